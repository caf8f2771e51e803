"""The Legendre Memory Unit alone as a Lava process (cf. lava issue 569)."""

from __future__ import annotations

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_dmp._checks import check_int
from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.legendre import check_theta, quantize_lmu, update_matrices

__all__ = ["LMU"]


class LMU(AbstractProcess):
    r"""Legendre memory of a scalar graded signal, same step.

    .. math::

        m[k] = \bar A\, m[k-1] + \bar B\, x[k]

    with ``x`` on ``a_in`` (1 value) and ``m`` sent on ``m_out`` (d values) in
    the same step. With ``dilation = d_s > 1`` the memory is refreshed at
    ``k = 0, d_s, ...`` with the matrices at ``dt = d_s`` driven by the mean of
    ``x`` over the period, and held in between. The memory holds a
    Legendre projection of the last ``theta`` steps of ``x``: read a delayed
    copy back with :func:`lava_dmp.legendre.delay_readout`.

    Parameters
    ----------
    order : int
        Memory order ``d >= 1``.
    theta : float
        Window in steps, at least one step and one update period
        (:func:`lava_dmp.legendre.check_theta`).
    dilation : int
        Update period ``d_s >= 1``.
    fixed : FixedPointFormat or None
        ``None`` for the float model. Otherwise the ``fixed_pt`` model is
        used with ``x`` as integers at ``fixed.v_frac`` fractional bits and
        ``m`` at ``fixed.m_frac`` (required here) fractional bits, saturating
        to ``fixed.m_bits``. The input arrives through a port, already
        integer: Lava's fixed-point RingBuffer truncates float data (0.5 to
        0), so check a source array with
        :func:`lava_dmp._checks.check_int_input` first.

    Vars
    ----
    m (d,), xsum (1,), k (1,), a_bar (d, d), b_bar (d,) (``B_bar / d_s``).
    """

    # Lava's __del__ reads _runtime; a constructor that refuses its arguments
    # raises before AbstractProcess.__init__ sets it.
    _runtime = None

    def __init__(
        self,
        *,
        order: int,
        theta: float,
        dilation: int = 1,
        fixed: FixedPointFormat | None = None,
        name: str | None = None,
        log_config: LogConfig | None = None,
    ) -> None:
        order = check_int("order", order, minimum=1)
        dilation = check_int("dilation", dilation, minimum=1)
        theta = check_theta(theta, dilation)
        if fixed is None:
            a_bar, b_bar = update_matrices(order, theta, dilation)
            numeric, shifts, fmt = "float", {}, {}
        else:
            if not isinstance(fixed, FixedPointFormat) or fixed.m_frac is None:
                raise ValueError(
                    "fixed: expected a FixedPointFormat with m_frac set (the "
                    "memory's fractional bits), got "
                    f"{fixed!r}"
                )
            q = quantize_lmu(
                order,
                theta,
                dilation,
                fixed.a_bits,
                fixed.a_frac,
                fixed.b_bits,
                fixed.b_frac,
            )
            a_bar, b_bar = q.a_int, q.b_int
            numeric = "fixed"
            shifts = {"a": q.a_frac, "b": q.b_frac + fixed.v_frac - fixed.m_frac}
            fmt = fixed.to_dict()
        super().__init__(
            order=order,
            theta=theta,
            dilation=dilation,
            numeric=numeric,
            shifts=shifts,
            fmt=fmt,
            name=name,
            log_config=log_config,
        )
        self.a_in = InPort(shape=(1,))
        self.m_out = OutPort(shape=(order,))
        self.m = Var(shape=(order,), init=0)
        self.xsum = Var(shape=(1,), init=0)
        self.k = Var(shape=(1,), init=0)
        self.a_bar = Var(shape=(order, order), init=a_bar)
        self.b_bar = Var(shape=(order,), init=b_bar)
