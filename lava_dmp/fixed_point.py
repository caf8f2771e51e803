"""The fixed-point contract: one integer arithmetic for every integer path.

The golden model, the Lava ``fixed_pt`` models, the quantisation-aware
training forward and the cost model all use these primitives.

Rules
-----
* Integers are held in ``int64``; every stored quantity saturates to its
  signed width ``[-2^(b-1), 2^(b-1) - 1]`` (or raises :class:`OverflowError`
  with ``overflow="raise"``). Nothing ever wraps.
* Every right shift rounds **half away from zero**:
  ``rshift(x, n) = sign(x) * floor((|x| + 2^(n-1)) / 2^n)`` for ``n > 0``;
  ``n <= 0`` is an exact left shift. (``numpy.round`` and ``torch.round`` are
  half-to-even and are *not* this rule.)
* Quantising a real ``r`` to ``f`` fractional bits is ``q = rhaz(r 2^f)``,
  rounding half away from zero, so ``|r - q 2^-f| <= 2^-(f+1)``.
* Weights carried by a Lava ``Dense`` follow Lava's bit-accurate ``Dense``
  exactly: mantissas clipped to ``[-256, 255]`` (mixed sign), the lowest
  ``8 - num_weight_bits + 1`` bits dropped by an arithmetic (floor) shift for
  mixed sign, ``a = (W s) << weight_exp`` or ``>> -weight_exp`` (floor).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from lava.utils.weightutils import SignMode

from lava_dmp.validation import check_choice, check_int

__all__ = [
    "FixedPointFormat",
    "rshift",
    "round_half_away",
    "saturate",
    "signed_range",
    "quantize",
    "max_frac_bits",
    "dense_weights_bit_acc",
    "dense_bit_acc",
    "leak",
    "DECAY_BITS",
]

#: Lava's LIF scales its decay constants by ``2^12``.
DECAY_BITS = 12


def signed_range(bits: int) -> tuple[int, int]:
    """Inclusive range of a signed two's-complement integer of ``bits`` bits."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round reals to the nearest integer, ties away from zero (int64)."""
    x = np.asarray(x, dtype=np.float64)
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def rshift(x: np.ndarray, n: int) -> np.ndarray:
    """Arithmetic shift by ``n`` bits to the right, rounding half away from zero.

    ``n <= 0`` shifts left by ``-n`` (exact).
    """
    x = np.asarray(x, dtype=np.int64)
    if n <= 0:
        return np.left_shift(x, -n)
    half = np.int64(1) << (n - 1)
    mag = np.right_shift(np.abs(x) + half, n)
    return np.where(x < 0, -mag, mag)


def saturate(x: np.ndarray, bits: int, name: str = "value",
             overflow: str = "saturate") -> np.ndarray:
    """Clip ``x`` to ``bits``-bit signed, or raise ``OverflowError``."""
    lo, hi = signed_range(bits)
    x = np.asarray(x, dtype=np.int64)
    if overflow == "raise":
        if x.size and (x.min() < lo or x.max() > hi):
            raise OverflowError(
                f"{name}: fixed-point overflow, value range [{x.min()}, {x.max()}] "
                f"exceeds {bits}-bit signed [{lo}, {hi}]"
            )
        return x
    return np.clip(x, lo, hi)


def quantize(values: np.ndarray, frac_bits: int, bits: int, name: str) -> np.ndarray:
    """Quantise reals to ``bits``-bit signed integers with ``frac_bits``.

    Raises ``ValueError`` naming ``name`` if a value is not representable.
    """
    q = round_half_away(np.asarray(values, dtype=np.float64) * 2.0**frac_bits)
    lo, hi = signed_range(bits)
    if q.size and (q.min() < lo or q.max() > hi):
        bound = hi * 2.0**-frac_bits
        raise ValueError(
            f"{name}: values in [{np.min(values):.4g}, {np.max(values):.4g}] are "
            f"not representable with {bits} bits and {frac_bits} fractional bits "
            f"(accepted range about [-{bound:.4g}, {bound:.4g}]); use fewer "
            f"fractional bits or a wider format"
        )
    return q


def max_frac_bits(values: np.ndarray, bits: int, limit: int = 30) -> int:
    """Largest ``f <= limit`` such that ``values * 2^f`` fits ``bits``-bit signed.

    An all-zero array gets ``limit``.
    """
    peak = float(np.max(np.abs(values))) if np.size(values) else 0.0
    if peak == 0.0:
        return limit
    _, hi = signed_range(bits)
    f = int(np.floor(np.log2(hi / peak)))
    while f > -64 and np.max(np.abs(round_half_away(np.asarray(values) * 2.0**f))) > hi:
        f -= 1
    return min(f, limit)


def dense_weights_bit_acc(weights: np.ndarray, num_weight_bits: int = 8) -> np.ndarray:
    """The integer weights Lava's bit-accurate ``Dense`` uses (mixed sign mode).

    Mirrors ``clip_weights(..., num_bits=8)`` then ``truncate_weights``.
    """
    w = np.clip(np.asarray(weights, dtype=np.int64), -256, 255)
    drop = 8 - num_weight_bits + 1
    return np.left_shift(np.right_shift(w, drop), drop)


def dense_bit_acc(weights: np.ndarray, s: np.ndarray, weight_exp: int) -> np.ndarray:
    """Lava bit-accurate ``Dense`` output for integer input ``s``.

    ``weights`` must already be the processed integers of
    :func:`dense_weights_bit_acc`. ``s`` may carry a leading batch axis
    (shape ``(..., M)``); the result has shape ``(..., N)``.
    """
    acc = np.asarray(s, dtype=np.int64) @ np.asarray(weights, dtype=np.int64).T
    if weight_exp > 0:
        return np.left_shift(acc, weight_exp)
    return np.right_shift(acc, -weight_exp)


def leak(v: np.ndarray, dv: int) -> np.ndarray:
    """Membrane leak ``v (2^12 - dv) >> 12`` with the contract's rounding."""
    return rshift(np.asarray(v, dtype=np.int64) * ((1 << DECAY_BITS) - dv), DECAY_BITS)


@dataclass(frozen=True)
class FixedPointFormat:
    """Bit widths and fractional bits of a fixed-point DMP layer.

    Defaults follow the accelerator's public model (8-bit weights, 16-bit
    memory, 24-bit membrane and accumulators) and dmp-model.md section 4.

    Attributes
    ----------
    v_bits : int
        Membrane ``v`` width (signed), default 24.
    v_frac : int
        Fractional bits of ``v``, of the currents, of ``bias``, ``vth`` and of
        the scalar drive ``x`` (all share one scale), default 12.
    acc_bits : int
        Width of the current and drive accumulators, default 24.
    m_bits : int
        Memory ``m`` width, default 16.
    m_frac : int or None
        Fractional bits of ``m``; ``None`` lets the converter choose the
        largest value for which the worst-case memory fits ``m_bits``.
    a_bits, a_frac : int
        Width and fractional bits of ``A_bar`` (default 16 and 14).
    b_bits, b_frac : int
        Width and fractional bits of ``B_bar`` (default 16 and 14).
    p_bits : int
        Width of ``P = W_m A_bar`` and ``nu = W_m B_bar``; their exponents are
        chosen per layer by the converter. Default 16.
    weight_bits : int
        Mantissa bits of the Dense weights (Lava's ``num_weight_bits``), 8.
    overflow : str
        ``"saturate"`` (default) or ``"raise"``.
    """

    v_bits: int = 24
    v_frac: int = 12
    acc_bits: int = 24
    m_bits: int = 16
    m_frac: int | None = None
    a_bits: int = 16
    a_frac: int = 14
    b_bits: int = 16
    b_frac: int = 14
    p_bits: int = 16
    weight_bits: int = 8
    overflow: str = "saturate"

    def __post_init__(self) -> None:
        for name in ("v_bits", "acc_bits", "m_bits", "a_bits", "b_bits", "p_bits"):
            check_int(name, getattr(self, name), minimum=2, maximum=48)
        check_int("weight_bits", self.weight_bits, minimum=1, maximum=8)
        check_int("v_frac", self.v_frac, minimum=0, maximum=self.v_bits - 2)
        check_int("a_frac", self.a_frac, minimum=0, maximum=40)
        check_int("b_frac", self.b_frac, minimum=0, maximum=40)
        if self.m_frac is not None:
            check_int("m_frac", self.m_frac, minimum=-16, maximum=40)
        check_choice("overflow", self.overflow, ("saturate", "raise"))

    def to_dict(self) -> dict:
        return asdict(self)


#: Sign mode every lava-dmp Dense is built with (passed explicitly to Lava).
SIGN_MODE = SignMode.MIXED
