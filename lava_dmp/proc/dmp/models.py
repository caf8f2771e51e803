"""Float and bit-accurate fixed-point models of the DMP process.

Absolute imports only: Lava loads this file as a bare module.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_dmp.fixed_point import (
    lif_update,
    lmu_update,
    memory_current,
    saturate,
    saturate_int,
)
from lava_dmp.proc.dmp.process import DMP


class AbstractPyDMPModel(PyLoihiProcessModel):
    """Shared plumbing: receive the fast current and the drive, send spikes."""

    numeric: str = ""

    def __init__(self, proc_params):
        super().__init__(proc_params)
        if proc_params["numeric"] != self.numeric:
            raise ValueError(
                "DMP: this process "
                f"was built from {proc_params['numeric']} parameters but the run "
                f"config selected the {self.numeric} model "
                f"({type(self).__name__}). Build fixed_pt processes with "
                "DMP.from_fixed(convert_layer(...)) and float ones with DMP(...)."
            )
        self.reset = proc_params["reset"]
        self.dilation = proc_params["dilation"]
        self.fused = proc_params["fused_drive"]
        self.reset_interval = proc_params.get("reset_interval", 0)

    def _receive(self):
        a = self.a_in.recv()
        x = None if self.fused else self.x_in.recv()
        if self.reset_interval and (self.time_step - 1) % self.reset_interval == 0:
            # a new sample: fresh state, and nothing of the last one's input
            for var in (self.v, self.m, self.x, self.xsum, self.i_m, self.k):
                var[:] = 0
            a = np.zeros_like(a)
            x = None if x is None else np.zeros_like(x)
        if self.fused:
            return a[:-1], a[-1]
        return a, x[0]


@implements(proc=DMP, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyDMPModelFloat(AbstractPyDMPModel):
    """Floating-point DMP neurons (float64), the equations of :class:`DMP`."""

    numeric = "float"
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    x_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    m: np.ndarray = LavaPyType(np.ndarray, float)
    x: np.ndarray = LavaPyType(np.ndarray, float)
    xsum: np.ndarray = LavaPyType(np.ndarray, float)
    i_m: np.ndarray = LavaPyType(np.ndarray, float)
    k: np.ndarray = LavaPyType(np.ndarray, int)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    bias_x: np.ndarray = LavaPyType(np.ndarray, float)
    vth: np.ndarray = LavaPyType(np.ndarray, float)
    beta: np.ndarray = LavaPyType(np.ndarray, float)
    dv: np.ndarray = LavaPyType(np.ndarray, float)
    a_bar: np.ndarray = LavaPyType(np.ndarray, float)
    b_bar: np.ndarray = LavaPyType(np.ndarray, float)
    weights_m: np.ndarray = LavaPyType(np.ndarray, float)
    p: np.ndarray = LavaPyType(np.ndarray, float)
    nu: np.ndarray = LavaPyType(np.ndarray, float)

    def run_spk(self) -> None:
        a_f, a_x = self._receive()
        x = max(0.0, float(a_x) + float(self.bias_x[0]))  # scalars as floats
        xsum = float(self.xsum[0]) + x
        self.x[0] = x
        if self.k[0] % self.dilation == 0:
            self.m[:] = self.a_bar @ self.m + self.b_bar * xsum
            self.i_m[:] = self.weights_m @ self.m
            xsum = 0.0
        self.xsum[0] = xsum
        self.v[:] = self.beta[0] * self.v + a_f + self.i_m + self.bias
        s = self.v >= self.vth[0]
        if self.reset == "hard":
            self.v[s] = 0.0
        else:
            self.v[s] -= self.vth[0]
        self.k[0] += 1
        self.s_out.send(s.astype(float))


@implements(proc=DMP, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate")
class PyDMPModelFixed(AbstractPyDMPModel):
    """Bit-accurate fixed-point DMP neurons (the contract of lava_dmp.golden).

    Every stored value saturates to its width (``fmt`` in proc_params), or
    raises ``OverflowError`` with ``overflow='raise'``.
    """

    numeric = "fixed"
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    x_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=1)
    v: np.ndarray = LavaPyType(np.ndarray, np.int64)
    m: np.ndarray = LavaPyType(np.ndarray, np.int64)
    x: np.ndarray = LavaPyType(np.ndarray, np.int64)
    xsum: np.ndarray = LavaPyType(np.ndarray, np.int64)
    i_m: np.ndarray = LavaPyType(np.ndarray, np.int64)
    k: np.ndarray = LavaPyType(np.ndarray, np.int64)
    bias: np.ndarray = LavaPyType(np.ndarray, np.int64)
    bias_x: np.ndarray = LavaPyType(np.ndarray, np.int64)
    vth: np.ndarray = LavaPyType(np.ndarray, np.int64)
    beta: np.ndarray = LavaPyType(np.ndarray, float)
    dv: np.ndarray = LavaPyType(np.ndarray, np.int64)
    a_bar: np.ndarray = LavaPyType(np.ndarray, np.int64)
    b_bar: np.ndarray = LavaPyType(np.ndarray, np.int64)
    weights_m: np.ndarray = LavaPyType(np.ndarray, np.int64)
    p: np.ndarray = LavaPyType(np.ndarray, np.int64)
    nu: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def __init__(self, proc_params):
        super().__init__(proc_params)
        fmt = proc_params["fmt"]
        self.acc_bits, self.v_bits = fmt["acc_bits"], fmt["v_bits"]
        self.m_bits, self.overflow = fmt["m_bits"], fmt["overflow"]
        self.sh = proc_params["shifts"]

    def run_spk(self) -> None:
        a_f, a_x = self._receive()
        acc, ov = self.acc_bits, self.overflow
        # scalars as Python ints: numpy calls on 1-element arrays are slow
        x = saturate_int(max(0, int(a_x) + int(self.bias_x[0])), acc, "x", ov)
        xsum = saturate_int(int(self.xsum[0]) + x, acc, "xsum", ov)
        self.x[0] = x
        if self.k[0] % self.dilation == 0:
            i_m = memory_current(
                self.m, xsum, self.p, self.nu, self.sh["p"], self.sh["nu"]
            )
            self.i_m[:] = saturate(i_m, acc, "i_m", ov)
            self.m[:] = lmu_update(
                self.m,
                xsum,
                self.a_bar,
                self.b_bar,
                self.sh["a"],
                self.sh["b"],
                self.m_bits,
                ov,
            )
            xsum = 0
        self.xsum[0] = xsum
        i_f = saturate(a_f, acc, "i_f", ov)
        i = saturate(i_f + self.i_m + self.bias, acc, "i", ov)
        v, s = lif_update(
            self.v, i, int(self.dv[0]), int(self.vth[0]), self.reset, self.v_bits, ov
        )
        self.v[:] = v
        self.k[0] += 1
        self.s_out.send(s.astype(np.int32))
