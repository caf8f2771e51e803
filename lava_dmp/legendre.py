"""Legendre Memory Unit (LMU) mathematics, written once for the whole package.

The LMU (Voelker, Kajic and Eliasmith, NeurIPS 2019) keeps an order-``d``
projection of the last ``theta`` time steps of a scalar signal ``x`` onto the
shifted Legendre polynomials. Its continuous state-space form is

.. math::

    \\theta\\,\\dot m(t) = A' m(t) + B' x(t), \\quad
    A'_{ij} = (2i+1)\\begin{cases}-1 & i < j\\\\ (-1)^{i-j+1} & i \\ge j
    \\end{cases}, \\quad B'_i = (2i+1)(-1)^i,

so ``A = A'/theta`` and ``B = B'/theta``. Zero-order hold with step ``dt`` gives

.. math::

    m[k] = \\bar A\\, m[k-1] + \\bar B\\, x[k], \\quad \\bar A = e^{A\\,dt}, \\quad
    \\bar B = A^{-1}(e^{A\\,dt} - I)\\,B.

Everything that needs these matrices (Lava models, training blocks, cost model,
Brian2 builder) imports them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from lava_dmp._checks import check_int, check_positive, check_real
from lava_dmp.fixed_point import max_frac_bits, quantize

__all__ = [
    "MIN_THETA_STEPS",
    "check_theta",
    "continuous_lmu",
    "lmu_matrices",
    "update_matrices",
    "impulse_response",
    "memory_scan",
    "memory_fft",
    "dilated_memory",
    "legendre_decoder",
    "delay_readout",
    "QuantizedLMU",
    "quantize_lmu",
    "memory_bound",
]


#: Shortest memory window, in memory updates (steps at dilation 1). A window
#: shorter than one update holds no history: ``A_bar = expm(A' dt / theta)``
#: vanishes and ``B_bar`` tends to ``e_0`` (the memory is the last input
#: alone). Measured: at theta = 0.5 step the largest ``|A_bar|`` entry is
#: 3e-3 for d = 4, 1e-6 for d = 40 and 2e-9 for d = 128 (every entry
#: quantises to 0 at 14 fractional bits for d >= 40), at 0.1 step it is below
#: 5e-5 for every d; at 1 step it is 0.37 (d = 1) to 0.03 (d = 128) and
#: most entries survive quantisation (1542 of 1600 for d = 40). Far below, the
#: scaled matrix overflows: expm returns NaN below theta ~ 1e-35 (d = 256) to
#: 1e-39 (d = 1).
MIN_THETA_STEPS = 1.0


def check_theta(theta: object, period: float = 1.0) -> float:
    """Return the memory window ``theta`` (steps) as ``float`` if it is usable.

    Parameters
    ----------
    theta : float
        Window length in steps.
    period : float
        Memory update period in steps (the dilation ``d_s``, or ``dt``).

    Raises
    ------
    ValueError
        ``theta: must be >= ...`` unless ``theta`` is a finite real number of
        at least ``MIN_THETA_STEPS`` update periods, and at least one step.
    """
    theta = check_real("theta", theta)
    low = MIN_THETA_STEPS * max(float(period), 1.0)
    if theta < low:
        raise ValueError(
            f"theta: must be >= {low:g} (steps: at least one step and one memory "
            f"update period of {float(period):g}; a shorter window holds no "
            f"history, far shorter ones give NaN), got {theta:g}"
        )
    return theta


def continuous_lmu(order: int, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """Continuous LMU matrices ``A`` (d x d) and ``B`` (d,), both divided by theta.

    Parameters
    ----------
    order : int
        Memory order ``d >= 1``.
    theta : float
        Window length in time steps, ``theta >= 1`` (:func:`check_theta`).
    """
    check_int("order", order, minimum=1)
    check_theta(theta)
    idx = np.arange(order)
    i, j = np.meshgrid(idx, idx, indexing="ij")
    scale = (2 * i + 1).astype(np.float64)
    sign = np.where(i < j, -1.0, (-1.0) ** (i - j + 1))
    a_mat = scale * sign / theta
    b_vec = (2 * idx + 1) * (-1.0) ** idx / theta
    return a_mat, b_vec.astype(np.float64)


def lmu_matrices(
    order: int, theta: float, dt: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Zero-order-hold discretisation ``(A_bar, B_bar)`` of the LMU.

    Uses the augmented matrix exponential
    ``expm([[A, B], [0, 0]] dt) = [[A_bar, B_bar], [0, 1]]``, which needs no
    inverse of ``A``.

    Parameters
    ----------
    order : int
        Memory order ``d >= 1``.
    theta : float
        Window length in steps, at least one step and one ``dt``
        (:func:`check_theta`).
    dt : float
        Discretisation step in steps (the memory update period), ``dt > 0``.

    Returns
    -------
    A_bar : numpy.ndarray
        float64, shape ``(d, d)``.
    B_bar : numpy.ndarray
        float64, shape ``(d,)``.
    """
    check_positive("dt", dt)
    check_theta(theta, dt)
    a_mat, b_vec = continuous_lmu(order, theta)
    aug = np.zeros((order + 1, order + 1))
    aug[:order, :order] = a_mat * dt
    aug[:order, order] = b_vec * dt
    ex = scipy.linalg.expm(aug)
    return ex[:order, :order].copy(), ex[:order, order].copy()


def update_matrices(
    order: int, theta: float, dilation: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Matrices of one memory refresh with update period ``d_s``.

    ``(A_bar, B_bar / d_s)`` at ``dt = d_s``: the refresh is driven by the sum of
    the drive over the period, so ``B_bar / d_s`` applied to that sum uses its
    mean. ``d_s = 1`` gives :func:`lmu_matrices`.
    """
    check_int("dilation", dilation, minimum=1)
    a_bar, b_bar = lmu_matrices(order, theta, dt=float(dilation))
    return a_bar, b_bar / dilation


def impulse_response(a_bar: np.ndarray, b_bar: np.ndarray, steps: int) -> np.ndarray:
    """Impulse response ``h[j] = A_bar^j B_bar`` for ``j = 0..steps-1``.

    Returns an array of shape ``(steps, d)``.
    """
    check_int("steps", steps, minimum=1)
    h = np.empty((steps, b_bar.shape[0]))
    h[0] = b_bar
    for j in range(1, steps):
        h[j] = a_bar @ h[j - 1]
    return h


def memory_scan(
    x: np.ndarray, a_bar: np.ndarray, b_bar: np.ndarray, m0: np.ndarray | None = None
) -> np.ndarray:
    """Memory of a whole sequence by the step-by-step recurrence.

    Parameters
    ----------
    x : numpy.ndarray
        Drive, shape ``(T,)`` or ``(T, batch)``.

    Returns
    -------
    numpy.ndarray
        ``m`` with shape ``(T, d)`` or ``(T, batch, d)``.
    """
    x = np.asarray(x, dtype=np.float64)
    d = b_bar.shape[0]
    m = np.zeros(x.shape[1:] + (d,)) if m0 is None else np.array(m0, dtype=float)
    out = np.empty(x.shape + (d,))
    for k in range(x.shape[0]):
        m = m @ a_bar.T + x[k][..., None] * b_bar
        out[k] = m
    return out


def memory_fft(x: np.ndarray, a_bar: np.ndarray, b_bar: np.ndarray) -> np.ndarray:
    """Memory of a whole sequence at once, as a causal FFT convolution.

    ``m[k] = sum_{j<=k} h[j] x[k-j]`` with ``h`` the impulse response; equal to
    :func:`memory_scan` from a zero state up to float rounding.
    """
    x = np.asarray(x, dtype=np.float64)
    steps = x.shape[0]
    h = impulse_response(a_bar, b_bar, steps)  # (T, d)
    n = 1 << int(np.ceil(np.log2(2 * steps)))
    xf = np.fft.rfft(x, n=n, axis=0)  # (F, ...)
    hf = np.fft.rfft(h, n=n, axis=0)  # (F, d)
    hf = hf.reshape((hf.shape[0],) + (1,) * (x.ndim - 1) + (hf.shape[1],))
    m = np.fft.irfft(xf[..., None] * hf, n=n, axis=0)[:steps]
    return m


def dilated_memory(
    x: np.ndarray, order: int, theta: float, dilation: int = 1
) -> np.ndarray:
    """Memory with a slow-path update period ``d_s`` (dilation).

    At refresh steps ``k = 0, d_s, 2 d_s, ...`` the memory advances with the
    matrices discretised at ``dt = d_s``, driven by the mean of ``x`` over the
    ``d_s`` steps ending at ``k`` (inputs before step 0 count as zero); between
    refreshes it is held. ``d_s = 1`` is the plain recurrence.

    Returns ``m`` with shape ``(T, d)`` (or ``(T, batch, d)``).
    """
    a_bar, b_eff = update_matrices(order, theta, dilation)
    x = np.asarray(x, dtype=np.float64)
    m = np.zeros(x.shape[1:] + (order,))
    acc = np.zeros(x.shape[1:])
    out = np.empty(x.shape + (order,))
    for k in range(x.shape[0]):
        acc = acc + x[k]
        if k % dilation == 0:
            m = m @ a_bar.T + acc[..., None] * b_eff
            acc = np.zeros_like(acc)
        out[k] = m
    return out


def legendre_decoder(order: int, r: np.ndarray | float) -> np.ndarray:
    """Shifted Legendre polynomials ``P~_i(r) = P_i(2r - 1)`` for ``i < order``.

    The LMU memory approximates the window as
    ``x(t - r theta) ~= sum_i P~_i(r) m_i(t)`` for ``0 <= r <= 1``.

    Returns an array of shape ``r.shape + (order,)``.
    """
    check_int("order", order, minimum=1)
    r = np.asarray(r, dtype=np.float64)
    if np.any((r < 0) | (r > 1)) or not np.all(np.isfinite(r)):
        raise ValueError("r: relative delay must lie in [0, 1]")
    vander = np.polynomial.legendre.legvander(2.0 * r - 1.0, order - 1)
    return vander.reshape(r.shape + (order,))


def delay_readout(m: np.ndarray, delay: float, theta: float) -> np.ndarray:
    """Read ``x(k - delay)`` back out of the memory ``m`` (shape ``(..., d)``)."""
    theta = check_theta(theta)
    if not 0 <= delay <= theta:
        raise ValueError(f"delay: must lie in [0, theta={theta}], got {delay}")
    return m @ legendre_decoder(m.shape[-1], delay / theta)


@dataclass(frozen=True)
class QuantizedLMU:
    """Fixed-point LMU matrices for a memory update period ``d_s``.

    Q formats: ``A_bar ~= a_int 2^-a_frac`` (``a_bits`` signed) and
    ``B_bar / d_s ~= b_int 2^-b_frac`` (``b_bits`` signed), rounded half away
    from zero, so every entry is within half an LSB:
    ``|A_bar - a_int 2^-a_frac| <= 2^-(a_frac+1)`` and likewise for ``B``.

    With the memory held at ``m_frac`` fractional bits and updated as
    ``m <- (a_int m) >> a_frac + (b_int xsum) >> (b_frac + x_frac - m_frac)``
    (both shifts rounding half away from zero), the error ``e[k]`` against the
    float memory obeys ``e[k] = A_q e[k-1] + delta[k]`` with
    ``|delta_i| <= 2^-(a_frac+1) ||m||_1 + 2^-(b_frac+1) |xsum| + 2^-m_frac``
    (matrix rounding plus two half-LSB shift roundings), hence
    ``|e_i[k]| <= sum_j |A_q^j| delta_max`` (:meth:`error_bound`).
    """

    a_int: np.ndarray
    b_int: np.ndarray
    a_frac: int
    b_frac: int
    a_bar: np.ndarray
    b_eff: np.ndarray

    @property
    def a_q(self) -> np.ndarray:
        """Real value of the quantised ``A_bar``."""
        return self.a_int * 2.0**-self.a_frac

    @property
    def b_q(self) -> np.ndarray:
        """Real value of the quantised ``B_bar / d_s``."""
        return self.b_int * 2.0**-self.b_frac

    def spectral_radius(self) -> float:
        """Spectral radius of the quantised ``A_bar`` (must stay below 1)."""
        return float(np.max(np.abs(np.linalg.eigvals(self.a_q))))

    def error_bound(
        self, m_frac: int, m_abs_max: float, xsum_abs_max: float, horizon: int = 100_000
    ) -> float:
        """Worst-case absolute memory error (real units) of the fixed recurrence.

        ``m_abs_max`` bounds ``||m||_1 = sum_j |m_j|`` (real units) and
        ``xsum_abs_max`` bounds the accumulated drive ``|xsum|``. The bound is
        worst case over all inputs; measured errors are far smaller.
        """
        d = self.a_int.shape[0]
        delta = (
            2.0 ** -(self.a_frac + 1) * m_abs_max
            + 2.0 ** -(self.b_frac + 1) * xsum_abs_max
            + 2.0**-m_frac
        )
        gain = np.zeros(d)
        power = np.eye(d)
        for _ in range(horizon):
            row = np.abs(power).sum(axis=1)
            gain += row
            if row.max() < 1e-12:
                break
            power = self.a_q @ power
        return float(gain.max() * delta)


def quantize_lmu(
    order: int,
    theta: float,
    dilation: int = 1,
    a_bits: int = 16,
    a_frac: int = 14,
    b_bits: int = 16,
    b_frac: int | None = None,
) -> QuantizedLMU:
    """Quantise the LMU matrices at update period ``dilation`` (see QuantizedLMU).

    ``b_frac=None`` takes the most fractional bits that fit ``b_bits``.
    Raises ``ValueError`` if an entry does not fit its width or if the
    quantised ``A_bar`` is not stable (spectral radius >= 1).
    """
    check_int("dilation", dilation, minimum=1)
    a_bar, b_eff = update_matrices(order, theta, dilation)
    if b_frac is None:
        b_frac = max_frac_bits(b_eff, b_bits)
    q = QuantizedLMU(
        a_int=quantize(a_bar, a_frac, a_bits, "a_bar"),
        b_int=quantize(b_eff, b_frac, b_bits, "b_bar"),
        a_frac=a_frac,
        b_frac=b_frac,
        a_bar=a_bar,
        b_eff=b_eff,
    )
    rho = q.spectral_radius()
    if rho >= 1.0:
        raise ValueError(
            f"a_frac: quantised A_bar (a_bits={a_bits}, a_frac={a_frac}) has "
            f"spectral radius {rho:.6f} >= 1 and would make the memory unstable; "
            f"use more fractional bits (accepted: spectral radius < 1)"
        )
    return q


def memory_bound(
    a_bar: np.ndarray, b_bar: np.ndarray, x_max: float, horizon: int = 100_000
) -> np.ndarray:
    """Per-component bound ``|m_i| <= x_max sum_j |(A_bar^j B_bar)_i|``.

    Holds for any drive with ``|x| <= x_max`` from a zero state.
    """
    h = b_bar.copy()
    total = np.abs(h)
    for _ in range(horizon):
        h = a_bar @ h
        total += np.abs(h)
        if np.abs(h).max() < 1e-12 * max(total.max(), 1e-300):
            break
    return total * x_max
