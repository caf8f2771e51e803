"""Float DMP layer parameters and their conversion to the fixed-point contract.

A float layer is :class:`DMPLayerParams` (the equations of docs/model.md
section 1). :func:`convert_layer` turns it into :class:`FixedDMPParams`:
integers plus exponents that the ``fixed_pt`` Lava models, the golden model and
the training's quantised forward all consume.

Scales
------
All currents, ``v``, ``bias``, ``vth`` and the drive ``x`` share
``v_frac`` fractional bits. The Dense (weights ``[W_f; w_x]``, ``N+1`` rows)
carries integer mantissas ``W_int`` with one ``weight_exp`` such that
``W ~= W_int 2^(weight_exp - v_frac) / in_scale``, where ``in_scale`` is the
real value of one input LSB (1 for spikes, 1/255 for 8-bit grey levels).
The memory ``m`` has ``m_frac`` bits, ``P = W_m A_q`` and ``nu = W_m B_q``
their own per-layer exponents ``p_frac``, ``nu_frac``.

Input gain
----------
The authors' reference integrates ``v = 0.5 v + 0.5 I``. lava_dmp's models
use ``v = beta v + I``; pass ``input_gain=0.5`` (:data:`REFERENCE_INPUT_GAIN`)
and the gain is folded into ``W_f``, ``W_m`` and ``b`` (the scalar drive is
not scaled, it feeds the memory, not ``v``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from lava_dmp._checks import (
    check_array,
    check_choice,
    check_int,
    check_int_array,
    check_positive,
    check_real,
)
from lava_dmp.fixed_point import (
    DECAY_BITS,
    FixedPointFormat,
    dense_weights_bit_acc,
    lmu_update,
    max_frac_bits,
    quantize,
    round_half_away,
    signed_range,
)
from lava_dmp.legendre import (
    QuantizedLMU,
    check_theta,
    dilated_memory,
    memory_bound,
    quantize_lmu,
)

__all__ = [
    "DMPLayerParams",
    "FixedDMPParams",
    "ConversionReport",
    "convert_layer",
    "convert_readout",
    "REFERENCE_INPUT_GAIN",
]

#: Input gain of the authors' reference (``v = 0.5 v + 0.5 I``).
REFERENCE_INPUT_GAIN = 0.5

RESETS = ("hard", "soft")


@dataclass
class DMPLayerParams:
    """Float parameters of one DMP layer (N neurons, M inputs, order d).

    Dynamics (per step ``k``, docs/model.md section 1)::

        x[k] = max(0, w_x . s[k] + b_x)
        m[k] = A_bar m[k-1] + B_bar x[k]
        I[k] = W_f s[k] + W_m m[k] + b
        v[k] = beta v[k-1] + I[k];  spike if v[k] >= vth; reset hard or soft

    Attributes
    ----------
    weights_f : (N, M) fast weights ``W_f``.
    weights_x : (M,) drive weights ``w_x``.
    weights_m : (N, d) memory weights ``W_m``.
    bias : (N,) ``b``.
    bias_x : float, ``b_x``.
    theta : float >= max(1, dilation), memory window in steps
        (:func:`lava_dmp.legendre.check_theta`).
    beta : float in [0, 1], membrane decay.
    vth : float > 0, threshold.
    reset : 'hard' or 'soft'.
    dilation : int >= 1, memory update period ``d_s``.
    """

    weights_f: np.ndarray
    weights_x: np.ndarray
    weights_m: np.ndarray
    bias: np.ndarray | float = 0.0
    bias_x: float = 0.0
    theta: float = 40.0
    beta: float = 0.5
    vth: float = 1.0
    reset: str = "hard"
    dilation: int = 1

    def __post_init__(self) -> None:
        wf = np.asarray(self.weights_f)
        if wf.ndim != 2 or 0 in wf.shape:
            raise ValueError(
                f"weights_f: expected a non-empty 2-D array (N, M), got shape "
                f"{wf.shape}"
            )
        n, m_in = wf.shape
        self.weights_f = check_array("weights_f", wf, (n, m_in))
        self.weights_x = check_array("weights_x", self.weights_x, (m_in,))
        wm = np.asarray(self.weights_m)
        if wm.ndim != 2 or wm.shape[0] != n or wm.shape[1] < 1:
            raise ValueError(
                f"weights_m: expected shape ({n}, d) with order d >= 1, got {wm.shape}"
            )
        self.weights_m = check_array("weights_m", wm, wm.shape)
        bias = np.asarray(self.bias)
        self.bias = check_array(
            "bias", np.full(n, bias) if bias.ndim == 0 else bias, (n,)
        )
        self.bias_x = check_real("bias_x", self.bias_x)
        self.dilation = check_int("dilation", self.dilation, minimum=1)
        self.theta = check_theta(self.theta, self.dilation)
        self.beta = check_real("beta", self.beta, 0.0, 1.0)
        self.vth = check_positive("vth", self.vth)
        check_choice("reset", self.reset, RESETS)

    @property
    def n(self) -> int:
        """Number of neurons N."""
        return self.weights_f.shape[0]

    @property
    def m_in(self) -> int:
        """Number of inputs M."""
        return self.weights_f.shape[1]

    @property
    def order(self) -> int:
        """Memory order d."""
        return self.weights_m.shape[1]

    def fold_input_gain(self, gain: float) -> DMPLayerParams:
        """Parameters of ``v = beta v + gain I`` rewritten as ``v = beta v + I``."""
        gain = check_positive("input_gain", gain)
        return replace(
            self,
            weights_f=self.weights_f * gain,
            weights_m=self.weights_m * gain,
            bias=self.bias * gain,
        )

    @classmethod
    def random(
        cls,
        n: int,
        m_in: int,
        order: int,
        theta: float = 40.0,
        seed: int = 0,
        std: float = 0.5,
        **kwargs,
    ) -> DMPLayerParams:
        """Random parameters (normal init) for tests, demos and benchmarks."""
        rng = np.random.default_rng(seed)
        return cls(
            weights_f=rng.normal(0, std, (n, m_in)),
            weights_x=rng.normal(0, std, m_in),
            weights_m=rng.normal(0, std, (n, order)),
            bias=rng.normal(0, 0.05, n),
            bias_x=0.05,
            theta=theta,
            **kwargs,
        )


@dataclass(frozen=True)
class FixedDMPParams:
    """Integer parameters of one fixed-point DMP layer (from :func:`convert_layer`).

    Attributes
    ----------
    weights : (N+1, M) int
        Dense mantissas ``[W_f; w_x]`` as Lava's bit-accurate Dense uses them.
    weight_exp : int
        Shared Dense exponent.
    bias, bias_x, vth : int
        At ``fmt.v_frac`` fractional bits.
    dv : int
        Leak, ``beta = 1 - dv / 4096``.
    a_bar, b_bar : int
        Memory matrices at ``a_frac`` and ``b_frac`` (``b_bar`` is
        ``B_bar / d_s``).
    p, nu : int
        Hardware-form memory weights ``W_m A_q`` and ``W_m B_q``, at ``p_frac``
        and ``nu_frac``.
    m_frac : int
        Fractional bits of ``m``.
    """

    weights: np.ndarray
    weight_exp: int
    bias: np.ndarray
    bias_x: int
    vth: int
    dv: int
    a_bar: np.ndarray
    b_bar: np.ndarray
    p: np.ndarray
    nu: np.ndarray
    a_frac: int
    b_frac: int
    p_frac: int
    nu_frac: int
    m_frac: int
    theta: float
    reset: str = "hard"
    dilation: int = 1
    num_message_bits: int = 0
    in_scale: float = 1.0
    fmt: FixedPointFormat = field(default_factory=FixedPointFormat)

    def __post_init__(self) -> None:
        fmt = self.fmt
        w = np.asarray(self.weights)
        if w.ndim != 2 or w.shape[0] < 2:
            raise ValueError(f"weights: expected shape (N+1, M), got {w.shape}")
        n, m_in = w.shape[0] - 1, w.shape[1]
        d = np.asarray(self.a_bar).shape[0] if np.ndim(self.a_bar) == 2 else 0
        if d < 1:
            raise ValueError(
                f"a_bar: expected shape (d, d), got {np.shape(self.a_bar)}"
            )
        checks = {
            "weights": (w, (n + 1, m_in), 9),
            "bias": (self.bias, (n,), fmt.acc_bits),
            "a_bar": (self.a_bar, (d, d), fmt.a_bits),
            "b_bar": (self.b_bar, (d,), fmt.b_bits),
            "p": (self.p, (n, d), fmt.p_bits),
            "nu": (self.nu, (n,), fmt.p_bits),
        }
        for name, (arr, shape, bits) in checks.items():
            object.__setattr__(self, name, check_int_array(name, arr, shape, bits))
        lo, hi = signed_range(fmt.acc_bits)
        check_int("bias_x", self.bias_x, lo, hi)
        check_int("vth", self.vth, 1, signed_range(fmt.v_bits)[1])
        check_int("dv", self.dv, 0, 1 << DECAY_BITS)
        check_int("weight_exp", self.weight_exp, -32, 32)
        check_int("num_message_bits", self.num_message_bits, 0, 24)
        check_choice("reset", self.reset, RESETS)
        check_int("dilation", self.dilation, minimum=1)
        check_theta(self.theta, self.dilation)

    @property
    def n(self) -> int:
        return self.weights.shape[0] - 1

    @property
    def m_in(self) -> int:
        return self.weights.shape[1]

    @property
    def order(self) -> int:
        return self.a_bar.shape[0]

    @property
    def shifts(self) -> dict[str, int]:
        """Right shifts of the contract (negative means left shift).

        ``a``: ``A m`` to ``m``; ``b``: ``B xsum`` to ``m``; ``p``: ``P m`` to
        ``v``; ``nu``: ``nu xsum`` to ``v``.
        """
        v_frac = self.fmt.v_frac
        return {
            "a": self.a_frac,
            "b": self.b_frac + v_frac - self.m_frac,
            "p": self.p_frac + self.m_frac - v_frac,
            "nu": self.nu_frac,
        }

    def to_float(self) -> DMPLayerParams:
        """The real-valued layer these integers represent (for comparisons).

        ``weights_m`` is recovered from ``P`` only approximately; use it for
        inspection, not as a reference.
        """
        v = 2.0**-self.fmt.v_frac
        w = self.weights * 2.0**self.weight_exp * v / self.in_scale
        a_q = self.a_bar * 2.0**-self.a_frac
        p = self.p * 2.0**-self.p_frac
        wm = np.linalg.solve(a_q.T, p.T).T
        return DMPLayerParams(
            weights_f=w[:-1],
            weights_x=w[-1],
            weights_m=wm,
            bias=self.bias * v,
            bias_x=self.bias_x * v,
            theta=self.theta,
            beta=1.0 - self.dv / (1 << DECAY_BITS),
            vth=self.vth * v,
            reset=self.reset,
            dilation=self.dilation,
        )


@dataclass
class ConversionReport:
    """What the float-to-fixed conversion cost, in real units."""

    weight_exp: int
    m_frac: int
    a_frac: int
    b_frac: int
    p_frac: int
    nu_frac: int
    x_max: float
    max_error: dict[str, float]
    spectral_radius_float: float
    spectral_radius_fixed: float
    memory_error_measured: float
    memory_error_bound: float
    memory_peak: float

    def __str__(self) -> str:
        lines = [
            "DMP layer float -> fixed conversion",
            f"  exponents: weight_exp={self.weight_exp} m_frac={self.m_frac} "
            f"a_frac={self.a_frac} b_frac={self.b_frac} p_frac={self.p_frac} "
            f"nu_frac={self.nu_frac}",
            f"  A_bar spectral radius: float {self.spectral_radius_float:.6f}, "
            f"fixed {self.spectral_radius_fixed:.6f}",
            f"  memory error on test signal: {self.memory_error_measured:.3g} "
            f"(peak |m| {self.memory_peak:.3g}, worst-case bound "
            f"{self.memory_error_bound:.3g}, x_max {self.x_max:.3g})",
        ]
        for name, err in self.max_error.items():
            lines.append(f"  max |error| {name}: {err:.3g}")
        return "\n".join(lines)


def _dense_mantissas(
    w: np.ndarray, scale: float, fmt: FixedPointFormat, weight_exp: int | None
) -> tuple[np.ndarray, int]:
    """Integer Dense mantissas and exponent for real weights ``w``.

    Lava drops ``8 - weight_bits + 1`` low bits of mixed-sign mantissas with a
    floor shift; we round to that grid half away from zero first, so Lava's
    truncation leaves the values unchanged.
    """
    step = 1 << (8 - fmt.weight_bits + 1)
    hi = 256 - step  # largest mantissa on the grid
    scaled = w * scale * 2.0**fmt.v_frac
    peak = float(np.max(np.abs(scaled)))
    if weight_exp is None:
        weight_exp = 0 if peak == 0 else int(np.ceil(np.log2(peak / (hi + step / 2))))
        while (
            np.max(np.abs(round_half_away(scaled * 2.0**-weight_exp / step))) * step
            > hi
        ):
            weight_exp += 1
    mant = round_half_away(scaled * 2.0**-weight_exp / step) * step
    if mant.size and np.max(np.abs(mant)) > hi:
        raise ValueError(
            f"weights: with weight_exp={weight_exp} the largest weight "
            f"{np.max(np.abs(w)):.4g} needs a "
            f"mantissa of {int(np.max(np.abs(mant)))}, outside the accepted "
            f"[-256, {hi}] of {fmt.weight_bits}-bit mixed-sign Dense weights"
        )
    mant = dense_weights_bit_acc(mant, fmt.weight_bits)
    return mant, weight_exp


def _test_signal(steps: int, amplitude: float, seed: int = 0) -> np.ndarray:
    """Non-negative band-limited signal in ``[0, amplitude]``."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    x = np.zeros(steps)
    for _ in range(6):
        period = rng.uniform(20, 200)
        x += np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
    x = (x - x.min()) / max(x.max() - x.min(), 1e-12)
    return amplitude * x


def _measured_memory_error(
    fixed: FixedDMPParams, q, x_max: float, steps: int
) -> tuple[float, float]:
    """Largest memory error (real units) of the integer recurrence against the
    float memory on a band-limited test signal in ``[0, x_max]``, and the float
    memory's peak."""
    if steps == 0:
        return float("nan"), float("nan")
    fmt, ds, d = fixed.fmt, fixed.dilation, fixed.order
    x_int = round_half_away(_test_signal(steps, x_max) * 2.0**fmt.v_frac)
    m_float = dilated_memory(x_int * 2.0**-fmt.v_frac, d, fixed.theta, ds)
    m_int = np.zeros(d, dtype=np.int64)
    xsum = np.int64(0)
    err = 0.0
    sh = fixed.shifts
    for k in range(steps):
        xsum += x_int[k]
        if k % ds == 0:
            m_int = lmu_update(
                m_int, xsum, q.a_int, q.b_int, sh["a"], sh["b"], fmt.m_bits
            )
            xsum = np.int64(0)
        err = max(err, float(np.max(np.abs(m_int * 2.0**-fixed.m_frac - m_float[k]))))
    return err, float(np.max(np.abs(m_float)))


@functools.lru_cache(maxsize=32)
def _memory_constants(
    order: int,
    theta: float,
    dilation: int,
    a_bits: int,
    a_frac: int,
    b_bits: int,
    b_frac: int | None,
) -> tuple[QuantizedLMU, np.ndarray]:
    """:func:`quantize_lmu` and :func:`memory_bound` for ``x_max = 1`` (which
    scales its sum last, so ``unit * x_max`` is its value for any ``x_max``).

    Cached, read-only: they depend on the memory's constants alone, and the
    quantised training forward converts every layer at every step."""
    q = quantize_lmu(order, theta, dilation, a_bits, a_frac, b_bits, b_frac)
    unit = memory_bound(q.a_q, q.b_q * dilation, 1.0)
    for a in (q.a_int, q.b_int, q.a_bar, q.b_eff, unit):
        a.setflags(write=False)
    return q, unit


def convert_layer(
    params: DMPLayerParams,
    fmt: FixedPointFormat | None = None,
    *,
    in_scale: float = 1.0,
    num_message_bits: int = 0,
    signed_input: bool = False,
    input_gain: float = 1.0,
    x_max: float | None = None,
    weight_exp: int | None = None,
    test_steps: int = 2000,
) -> tuple[FixedDMPParams, ConversionReport]:
    """Convert a float DMP layer to the fixed-point contract.

    Parameters
    ----------
    params : DMPLayerParams
        Float layer (``v = beta v + I`` form, or ``input_gain`` form).
    fmt : FixedPointFormat
        Bit widths; default :class:`FixedPointFormat()`.
    in_scale : float
        Real value of one input LSB: 1 for spikes, ``1/255`` for grey levels
        sent as 8-bit integers.
    num_message_bits : int
        0 for binary spikes, else the graded message width of the input.
    signed_input : bool
        The input integers may be negative (``[-2^(b-1), 2^(b-1) - 1]``
        instead of ``[0, 2^b - 1]``); the worst cases below then take both
        signs.
    input_gain : float
        Gain on ``I`` in ``v = beta v + gain I``, folded into ``W_f``, ``W_m``
        and ``b``; 0.5 (:data:`REFERENCE_INPUT_GAIN`) for the authors'
        reference.
    x_max : float or None
        Largest drive ``x`` the memory must hold without saturating. ``None``
        takes the worst case ``sum(max(w_x, 0)) s_max + max(b_x, 0)`` for
        non-negative input, ``sum(|w_x|) |s|_max + max(b_x, 0)`` for signed.
    weight_exp : int or None
        Dense exponent; ``None`` picks the smallest that fits the weights.
    test_steps : int
        Length of the test signal for the memory error report; 0 skips the
        measurement (NaN in the report), as the quantised training forward
        does on every step.

    Returns
    -------
    (FixedDMPParams, ConversionReport)

    Raises
    ------
    ValueError
        A value that does not fit its width (naming it and the accepted range)
        or an unstable quantised ``A_bar``.
    """
    fmt = fmt or FixedPointFormat()
    in_scale = check_positive("in_scale", in_scale)
    num_message_bits = check_int("num_message_bits", num_message_bits, 0, 24)
    if input_gain != 1.0:
        params = params.fold_input_gain(input_gain)
    v_frac = fmt.v_frac
    d, ds = params.order, params.dilation

    w_full = np.vstack([params.weights_f, params.weights_x[None, :]])
    w_int, w_exp = _dense_mantissas(w_full, in_scale, fmt, weight_exp)
    w_real = w_int * 2.0 ** (w_exp - v_frac) / in_scale

    bias = quantize(params.bias, v_frac, fmt.acc_bits, "bias")
    bias_x = int(quantize(np.array([params.bias_x]), v_frac, fmt.acc_bits, "bias_x")[0])
    vth = int(quantize(np.array([params.vth]), v_frac, fmt.v_bits, "vth")[0])
    if vth < 1:
        raise ValueError(
            f"vth: {params.vth} rounds to 0 at v_frac={v_frac}; "
            f"accepted vth >= {2.0 ** -(v_frac + 1)}"
        )
    dv = int(round_half_away(np.array([(1 << DECAY_BITS) * (1 - params.beta)]))[0])

    q, unit_bound = _memory_constants(
        d, params.theta, ds, fmt.a_bits, fmt.a_frac, fmt.b_bits, fmt.b_frac
    )
    if signed_input and not num_message_bits:
        raise ValueError("signed_input: binary spikes (num_message_bits 0) are 0 or 1")
    if signed_input:  # the largest magnitude is the most negative integer
        s_max_int = 1 << (num_message_bits - 1)
    else:
        s_max_int = (1 << num_message_bits) - 1 if num_message_bits else 1
    s_max = in_scale * s_max_int
    if x_max is None:
        w_x = np.abs(w_real[-1]) if signed_input else np.maximum(w_real[-1], 0)
        x_max = float(w_x.sum() * s_max + max(params.bias_x, 0.0))
    x_max = check_real("x_max", x_max, 0.0)
    worst = int(np.abs(w_int).sum(axis=1).max()) * s_max_int * 2.0 ** max(w_exp, 0)
    if worst > np.iinfo(np.int32).max:
        raise ValueError(
            f"weights: worst-case Dense accumulation {worst:.4g} exceeds the "
            f"int32 range of Lava's bit-accurate Dense (accepted <= 2^31 - 1); "
            f"reduce the weights, num_message_bits or v_frac"
        )
    bound = unit_bound * max(x_max, 2.0**-v_frac)  # memory_bound's own last step
    m_hi = signed_range(fmt.m_bits)[1]
    if fmt.m_frac is None:
        m_frac = int(np.floor(np.log2(m_hi * 2.0**-0.1 / bound.max())))
        m_frac = min(m_frac, 30)
    else:
        m_frac = fmt.m_frac

    p_real = params.weights_m @ q.a_q
    nu_real = params.weights_m @ q.b_q
    p_frac = max_frac_bits(p_real, fmt.p_bits)
    nu_frac = max_frac_bits(nu_real, fmt.p_bits)
    fixed = FixedDMPParams(
        weights=w_int,
        weight_exp=w_exp,
        bias=bias,
        bias_x=bias_x,
        vth=vth,
        dv=dv,
        a_bar=q.a_int,
        b_bar=q.b_int,
        p=quantize(p_real, p_frac, fmt.p_bits, "p"),
        nu=quantize(nu_real, nu_frac, fmt.p_bits, "nu"),
        a_frac=q.a_frac,
        b_frac=q.b_frac,
        p_frac=p_frac,
        nu_frac=nu_frac,
        m_frac=m_frac,
        theta=params.theta,
        reset=params.reset,
        dilation=ds,
        num_message_bits=num_message_bits,
        in_scale=in_scale,
        fmt=fmt,
    )

    err, peak = _measured_memory_error(fixed, q, x_max, test_steps)
    report = ConversionReport(
        weight_exp=w_exp,
        m_frac=m_frac,
        a_frac=q.a_frac,
        b_frac=q.b_frac,
        p_frac=p_frac,
        nu_frac=nu_frac,
        x_max=x_max,
        max_error={
            "weights_f": float(np.max(np.abs(w_real[:-1] - params.weights_f))),
            "weights_x": float(np.max(np.abs(w_real[-1] - params.weights_x))),
            "p": float(np.max(np.abs(fixed.p * 2.0**-p_frac - p_real))),
            "nu": float(np.max(np.abs(fixed.nu * 2.0**-nu_frac - nu_real))),
            "a_bar": float(np.max(np.abs(q.a_q - q.a_bar))),
            "b_bar": float(np.max(np.abs(q.b_q - q.b_eff))),
            "bias": float(np.max(np.abs(bias * 2.0**-v_frac - params.bias))),
            "beta": abs(1 - dv / (1 << DECAY_BITS) - params.beta),
        },
        spectral_radius_float=float(np.max(np.abs(np.linalg.eigvals(q.a_bar)))),
        spectral_radius_fixed=q.spectral_radius(),
        memory_error_measured=err,
        # the bound sums matrix powers: skipped with the measurement (test_steps=0,
        # the quantised training forward converts on every step)
        memory_error_bound=(
            q.error_bound(m_frac, float(bound.sum()), x_max * ds)
            if test_steps
            else float("nan")
        ),
        memory_peak=peak,
    )
    return fixed, report


def convert_readout(
    weights: np.ndarray,
    bias: np.ndarray | float = 0.0,
    fmt: FixedPointFormat | None = None,
    weight_exp: int | None = None,
) -> tuple[np.ndarray, int, np.ndarray]:
    """Integer Dense mantissas, exponent and bias of a readout on spikes.

    ``weights`` has shape ``(C, N)``; scores come out at ``fmt.v_frac``
    fractional bits, like every current of a DMP layer.
    """
    fmt = fmt or FixedPointFormat()
    w = np.asarray(weights)
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"weights: expected a non-empty (C, N) array, got {w.shape}")
    w = check_array("weights", w, w.shape)
    b = np.asarray(bias, dtype=np.float64)
    b = check_array("bias", np.full(w.shape[0], b) if b.ndim == 0 else b, (w.shape[0],))
    w_int, w_exp = _dense_mantissas(w, 1.0, fmt, weight_exp)
    return w_int, w_exp, quantize(b, fmt.v_frac, fmt.acc_bits, "bias")
