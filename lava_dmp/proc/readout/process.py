"""Non-spiking time-averaged readout for the last layer of a DMP network."""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_dmp._checks import check_int

__all__ = ["Readout"]


class Readout(AbstractProcess):
    r"""Accumulates its input current: class scores of a DMP network.

    .. math::

        acc[k] = acc[k-1] + a_{in}[k] + b \quad (k \ge t_{start})

    Feed it from a ``Dense`` on the last layer's spikes; the time-averaged
    linear readout of docs/model.md section 2 is ``acc / count``. ``t_start`` skips the
    first steps (a network of L layers delivers its first meaningful current
    after L steps). In ``fixed_pt`` the accumulator saturates to ``acc_bits``.

    Parameters
    ----------
    shape : tuple of int
        ``(C,)`` classes.
    bias : float, int or numpy.ndarray
        Added each accumulated step (int for fixed point).
    t_start : int
        First accumulated step (0-based).
    acc_bits : int
        Fixed-point accumulator width, default 32.
    reset_interval : int
        0 (default): never. ``R > 0``: at every step ``k`` with ``k % R == 0``
        (counted from the first step of the run) ``acc``, ``count`` and ``k``
        go back to zero and what the synapse delivers in that step is dropped
        (it belongs to
        the sample before), so samples of ``R - 1`` steps, each followed by one
        zero step, run as on a fresh network (as lava-dl's netx resets).

    Vars
    ----
    acc (C,), count (1,) accumulated steps, k (1,) step counter, bias (C,).
    """

    # Lava's __del__ reads _runtime; a constructor that refuses its arguments
    # raises before AbstractProcess.__init__ sets it.
    _runtime = None

    def __init__(
        self,
        *,
        shape: tuple[int, ...],
        bias: float | np.ndarray = 0,
        t_start: int = 0,
        acc_bits: int = 32,
        reset_interval: int = 0,
        name: str | None = None,
        log_config: LogConfig | None = None,
    ) -> None:
        if not isinstance(shape, tuple) or len(shape) != 1:
            raise ValueError(f"shape: expected a 1-tuple (C,), got {shape!r}")
        c = check_int("shape[0]", shape[0], minimum=1)
        t_start = check_int("t_start", t_start, minimum=0)
        acc_bits = check_int("acc_bits", acc_bits, minimum=2, maximum=62)
        reset_interval = check_int("reset_interval", reset_interval, minimum=0)
        b = np.broadcast_to(np.asarray(bias), (c,)).copy()
        if not np.all(np.isfinite(b)):
            raise ValueError("bias: must be finite (no NaN or inf)")
        super().__init__(
            shape=(c,),
            t_start=t_start,
            acc_bits=acc_bits,
            reset_interval=reset_interval,
            name=name,
            log_config=log_config,
        )
        self.a_in = InPort(shape=(c,))
        self.acc = Var(shape=(c,), init=0)
        self.count = Var(shape=(1,), init=0)
        self.k = Var(shape=(1,), init=0)
        self.bias = Var(shape=(c,), init=b)
