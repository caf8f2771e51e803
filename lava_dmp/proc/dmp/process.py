"""The DMP neuron population of one layer as a Lava process."""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_dmp._checks import check_int
from lava_dmp.convert import DMPLayerParams, FixedDMPParams
from lava_dmp.fixed_point import DECAY_BITS
from lava_dmp.legendre import update_matrices

__all__ = ["DMP"]


class DMP(AbstractProcess):
    r"""Spiking neurons sharing one Legendre memory (dual memory pathways).

    Dynamics per step ``k`` (docs/model.md section 1), all same-step:

    .. math::

        x[k] &= \max(0,\ a_x[k] + b_x) \\
        m[k] &= \bar A\, m[k-1] + \bar B\, x[k] \\
        I[k] &= a_f[k] + W_m m[k] + b \\
        v[k] &= \beta\, v[k-1] + I[k], \qquad s[k] = [v[k] \ge v_{th}]

    then ``v = 0`` (hard reset) or ``v -= vth`` (soft reset) where ``s``.
    With a memory update period ``d_s > 1`` (``dilation``), ``m`` and
    ``W_m m`` are refreshed only at ``k = 0, d_s, 2 d_s, ...`` using the
    matrices at ``dt = d_s`` and the mean of ``x`` over the period; in between
    they are held.

    ``a_f`` arrives on ``a_in`` (N values) and ``a_x`` on ``x_in`` (1 value).
    With ``fused_drive=True`` ``a_in`` carries N+1 values whose last is
    ``a_x`` (one Dense of N+1 rows feeds the whole layer, as in ``DMPLayer``).

    Build it from float parameters with this constructor (``floating_pt``
    models) or from converter output with :meth:`from_fixed` (``fixed_pt``
    models, bit-exact with :mod:`lava_dmp.golden`).

    Parameters
    ----------
    shape : tuple of int
        ``(N,)``.
    theta : float
        Memory window in steps, at least one step and one update period
        (:func:`lava_dmp.legendre.check_theta`).
    weights_m : numpy.ndarray
        Memory weights ``W_m``, shape ``(N, d)``; ``d`` is the memory order.
    bias : float or numpy.ndarray
        ``b``, scalar or ``(N,)``.
    bias_x : float
        ``b_x`` of the drive.
    beta : float
        Membrane decay in ``[0, 1]``.
    vth : float
        Threshold, > 0.
    reset : str
        ``'hard'`` (default) or ``'soft'``.
    dilation : int
        Memory update period ``d_s >= 1``.
    fused_drive : bool
        Take ``a_x`` as the last entry of ``a_in``.
    reset_interval : int
        0 (default): never. ``R > 0``: at every step ``k`` with ``k % R == 0``
        (counted from the first step of the run) the state goes back to zero
        and what the synapse delivers in that step is dropped (it belongs to
        the sample before), so samples of ``R - 1`` steps, each followed by one
        zero step, run as on a fresh network (as lava-dl's netx resets).

    Vars
    ----
    v (N,), m (d,), x (1,) drive of the current step, xsum (1,) drive
    accumulated since the last refresh, i_m (N,) held memory current, k (1,)
    step counter; parameters bias, bias_x, vth, beta, dv, a_bar, b_bar
    (``B_bar / d_s``), weights_m, p (``W_m A_bar``), nu (``W_m b_bar``).
    """

    # Lava's __del__ reads _runtime; a constructor that refuses its arguments
    # raises before AbstractProcess.__init__ sets it.
    _runtime = None

    def __init__(
        self,
        *,
        shape: tuple[int, ...],
        theta: float,
        weights_m: np.ndarray,
        bias: float | np.ndarray = 0.0,
        bias_x: float = 0.0,
        beta: float = 0.5,
        vth: float = 1.0,
        reset: str = "hard",
        dilation: int = 1,
        fused_drive: bool = False,
        reset_interval: int = 0,
        name: str | None = None,
        log_config: LogConfig | None = None,
        _fixed: FixedDMPParams | None = None,
    ) -> None:
        n = _check_shape(shape)
        if _fixed is None:
            # DMPLayerParams validates weights_m (shape (N, d), finite) and the rest
            params = DMPLayerParams(
                weights_f=np.zeros((n, 1)),
                weights_x=np.zeros(1),
                weights_m=weights_m,
                bias=bias,
                bias_x=bias_x,
                theta=theta,
                beta=beta,
                vth=vth,
                reset=reset,
                dilation=dilation,
            )
            d, ds = params.order, params.dilation
            a_bar, b_bar = update_matrices(d, params.theta, ds)
            values = dict(
                bias=params.bias,
                bias_x=params.bias_x,
                vth=params.vth,
                beta=params.beta,
                dv=float(round((1 << DECAY_BITS) * (1 - params.beta))),
                a_bar=a_bar,
                b_bar=b_bar,
                weights_m=params.weights_m,
                p=params.weights_m @ a_bar,
                nu=params.weights_m @ b_bar,
            )
            numeric, reset, shifts, fmt = "float", params.reset, {}, {}
        else:
            if _fixed.n != n:
                raise ValueError(
                    f"shape: ({n},) does not match the fixed parameters' N = {_fixed.n}"
                )
            d, ds = _fixed.order, _fixed.dilation
            values = dict(
                bias=_fixed.bias,
                bias_x=_fixed.bias_x,
                vth=_fixed.vth,
                beta=1.0 - _fixed.dv / (1 << DECAY_BITS),
                dv=_fixed.dv,
                a_bar=_fixed.a_bar,
                b_bar=_fixed.b_bar,
                weights_m=np.zeros((n, d), dtype=np.int64),
                p=_fixed.p,
                nu=_fixed.nu,
            )
            numeric, reset, shifts = "fixed", _fixed.reset, _fixed.shifts
            fmt = _fixed.fmt.to_dict()
            theta = _fixed.theta
        fused_drive = bool(fused_drive)
        reset_interval = check_int("reset_interval", reset_interval, minimum=0)
        super().__init__(
            shape=(n,),
            numeric=numeric,
            reset=reset,
            dilation=ds,
            fused_drive=fused_drive,
            reset_interval=reset_interval,
            shifts=shifts,
            fmt=fmt,
            theta=theta,
            name=name,
            log_config=log_config,
        )
        self.a_in = InPort(shape=(n + 1,) if fused_drive else (n,))
        self.x_in = InPort(shape=(1,))
        self.s_out = OutPort(shape=(n,))
        self.v = Var(shape=(n,), init=0)
        self.m = Var(shape=(d,), init=0)
        self.x = Var(shape=(1,), init=0)
        self.xsum = Var(shape=(1,), init=0)
        self.i_m = Var(shape=(n,), init=0)
        self.k = Var(shape=(1,), init=0)
        self.bias = Var(shape=(n,), init=values["bias"])
        self.bias_x = Var(shape=(1,), init=values["bias_x"])
        self.vth = Var(shape=(1,), init=values["vth"])
        self.beta = Var(shape=(1,), init=values["beta"])
        self.dv = Var(shape=(1,), init=values["dv"])
        self.a_bar = Var(shape=(d, d), init=values["a_bar"])
        self.b_bar = Var(shape=(d,), init=values["b_bar"])
        self.weights_m = Var(shape=(n, d), init=values["weights_m"])
        self.p = Var(shape=(n, d), init=values["p"])
        self.nu = Var(shape=(n,), init=values["nu"])

    @classmethod
    def from_fixed(
        cls,
        params: FixedDMPParams,
        *,
        fused_drive: bool = False,
        reset_interval: int = 0,
        name: str | None = None,
        log_config: LogConfig | None = None,
    ) -> DMP:
        """A DMP population from converter output, for ``fixed_pt`` models.

        The fast current on ``a_in`` and the drive on ``x_in`` must then be
        integers at ``params.fmt.v_frac`` fractional bits (Lava's fixed-point
        RingBuffer truncates float data: check a source array with
        :func:`lava_dmp._checks.check_int_input`).
        """
        if not isinstance(params, FixedDMPParams):
            raise ValueError(
                "params: expected FixedDMPParams from lava_dmp.convert."
                f"convert_layer, got {type(params).__name__}"
            )
        return cls(
            shape=(params.n,),
            theta=params.theta,
            weights_m=None,
            fused_drive=fused_drive,
            reset_interval=reset_interval,
            name=name,
            log_config=log_config,
            _fixed=params,
        )

    @property
    def numeric(self) -> str:
        """``'float'`` or ``'fixed'``: which kind of model this process needs."""
        return self.proc_params["numeric"]


def _check_shape(shape: tuple[int, ...]) -> int:
    if not isinstance(shape, tuple) or len(shape) != 1:
        raise ValueError(f"shape: expected a 1-tuple (N,), got {shape!r}")
    return check_int("shape[0]", shape[0], minimum=1)
