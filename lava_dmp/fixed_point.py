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

from lava_dmp._checks import check_choice, check_int

__all__ = [
    "FixedPointFormat",
    "rshift",
    "round_half_away",
    "saturate",
    "saturate_int",
    "signed_range",
    "quantize",
    "max_frac_bits",
    "dense_weights_bit_acc",
    "dense_bit_acc",
    "leak",
    "lmu_update",
    "memory_current",
    "lif_update",
    "DECAY_BITS",
    "SIGN_MODE",
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

    ``n <= 0`` shifts left by ``-n`` (exact). For ``n > 0`` this is
    ``(x + 2^(n-1) - [x < 0]) >> n`` with a floor shift, which equals
    ``sign(x) floor((|x| + 2^(n-1)) / 2^n)`` (checked in the tests).
    """
    x = np.asarray(x, dtype=np.int64)
    if n <= 0:
        return np.left_shift(x, -n)
    return np.right_shift(x + ((1 << (n - 1)) - (x < 0)), n)


def saturate(
    x: np.ndarray, bits: int, name: str = "value", overflow: str = "saturate"
) -> np.ndarray:
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
    return np.core.umath.clip(x, lo, hi)  # the ufunc: np.clip's wrapper is slow


def saturate_int(
    x: int, bits: int, name: str = "value", overflow: str = "saturate"
) -> int:
    """:func:`saturate` for one Python integer (fast path for scalars)."""
    lo, hi = signed_range(bits)
    if lo <= x <= hi:
        return x
    if overflow == "raise":
        raise OverflowError(
            f"{name}: fixed-point overflow, value {x} exceeds {bits}-bit signed "
            f"[{lo}, {hi}]"
        )
    return lo if x < lo else hi


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


def lmu_update(
    m: np.ndarray,
    xsum: np.ndarray,
    a_int: np.ndarray,
    b_int: np.ndarray,
    shift_a: int,
    shift_b: int,
    m_bits: int,
    overflow: str = "saturate",
) -> np.ndarray:
    """One fixed-point memory update ``m <- sat(A m >> sA + B xsum >> sB)``.

    ``m`` has shape ``(..., d)`` and ``xsum`` shape ``(...)``; both integer.
    Each product is shifted with :func:`rshift` before the sum, so the error
    of one update is at most one LSB of ``m`` plus the matrix quantisation.
    """
    m = np.asarray(m, dtype=np.int64)
    xsum = np.asarray(xsum, dtype=np.int64)
    new = rshift(m @ a_int.T, shift_a) + rshift(xsum[..., None] * b_int, shift_b)
    return saturate(new, m_bits, "m", overflow)


def memory_current(
    m_prev: np.ndarray,
    xsum: np.ndarray,
    p_int: np.ndarray,
    nu_int: np.ndarray,
    shift_p: int,
    shift_nu: int,
) -> np.ndarray:
    """Hardware-form memory current ``P m[k-1] >> sP + nu xsum >> sNu``.

    Returns the unsaturated integer current, shape ``(..., N)``.
    """
    m_prev = np.asarray(m_prev, dtype=np.int64)
    xsum = np.asarray(xsum, dtype=np.int64)
    return rshift(m_prev @ p_int.T, shift_p) + rshift(
        xsum[..., None] * nu_int, shift_nu
    )


def lif_update(
    v: np.ndarray,
    i: np.ndarray,
    dv: int,
    vth: int,
    reset: str,
    v_bits: int,
    overflow: str = "saturate",
) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point membrane step: leak, integrate, saturate, spike, reset.

    ``v <- sat(leak(v, dv) + i)``; ``s = v >= vth``; hard reset sets ``v = 0``
    where ``s``, soft reset subtracts ``vth``. Returns ``(v, s)`` with ``s``
    as int64 0/1.
    """
    v = saturate(leak(v, dv) + np.asarray(i, dtype=np.int64), v_bits, "v", overflow)
    s = v >= vth
    if reset == "hard":
        v = np.where(s, 0, v)
    else:
        v = np.where(s, v - vth, v)
    return v, s.astype(np.int64)


@dataclass(frozen=True)
class FixedPointFormat:
    """Bit widths and fractional bits of a fixed-point DMP layer.

    Defaults follow the accelerator's public model (8-bit weights, 16-bit
    memory, 24-bit membrane and accumulators) and docs/fixed-point.md.

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
        Width and fractional bits of ``A_bar`` (default 16 and 14; ``A_bar``
        has entries of magnitude up to about 1.5, so 14 is the most 16 bits
        hold).
    b_bits : int
        Width of the effective input vector ``B_bar / d_s``, default 16.
    b_frac : int or None
        Its fractional bits; ``None`` (default) takes the most that fit
        ``b_bits`` (``B_bar`` scales as ``1/theta``, so a fixed 14 bits would
        waste most of the word for long windows).
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
    b_frac: int | None = None
    p_bits: int = 16
    weight_bits: int = 8
    overflow: str = "saturate"

    def __post_init__(self) -> None:
        for name in ("v_bits", "acc_bits", "m_bits", "a_bits", "b_bits", "p_bits"):
            check_int(name, getattr(self, name), minimum=2, maximum=48)
        check_int("weight_bits", self.weight_bits, minimum=1, maximum=8)
        check_int("v_frac", self.v_frac, minimum=0, maximum=self.v_bits - 2)
        check_int("a_frac", self.a_frac, minimum=0, maximum=40)
        if self.b_frac is not None:
            check_int("b_frac", self.b_frac, minimum=0, maximum=40)
        if self.m_frac is not None:
            check_int("m_frac", self.m_frac, minimum=-16, maximum=40)
        check_choice("overflow", self.overflow, ("saturate", "raise"))

    def to_dict(self) -> dict:
        return asdict(self)


#: Sign mode every lava-dmp Dense is built with (passed explicitly to Lava).
SIGN_MODE = SignMode.MIXED
