"""Float and fixed-point models of the LMU process.

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

from lava_dmp.fixed_point import lmu_update, saturate
from lava_dmp.proc.lmu.process import LMU


class AbstractPyLMUModel(PyLoihiProcessModel):
    """Refuses a process built for the other numeric kind."""

    numeric: str = ""

    def __init__(self, proc_params):
        super().__init__(proc_params)
        if proc_params["numeric"] != self.numeric:
            raise ValueError(
                f"LMU: built for {proc_params['numeric']} but the run config "
                f"selected {type(self).__name__}; pass fixed=FixedPointFormat(...)"
                " for fixed_pt runs and leave it None for floating_pt runs."
            )
        self.dilation = proc_params["dilation"]


@implements(proc=LMU, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLMUModelFloat(AbstractPyLMUModel):
    """Float64 Legendre memory."""

    numeric = "float"
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    m_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    m: np.ndarray = LavaPyType(np.ndarray, float)
    xsum: np.ndarray = LavaPyType(np.ndarray, float)
    k: np.ndarray = LavaPyType(np.ndarray, int)
    a_bar: np.ndarray = LavaPyType(np.ndarray, float)
    b_bar: np.ndarray = LavaPyType(np.ndarray, float)

    def run_spk(self) -> None:
        self.xsum[0] += self.a_in.recv()[0]
        if self.k[0] % self.dilation == 0:
            self.m[:] = self.a_bar @ self.m + self.b_bar * self.xsum[0]
            self.xsum[0] = 0.0
        self.k[0] += 1
        self.m_out.send(self.m)


@implements(proc=LMU, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate")
class PyLMUModelFixed(AbstractPyLMUModel):
    """Integer Legendre memory following the fixed-point contract."""

    numeric = "fixed"
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    m_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int64)
    m: np.ndarray = LavaPyType(np.ndarray, np.int64)
    xsum: np.ndarray = LavaPyType(np.ndarray, np.int64)
    k: np.ndarray = LavaPyType(np.ndarray, np.int64)
    a_bar: np.ndarray = LavaPyType(np.ndarray, np.int64)
    b_bar: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def __init__(self, proc_params):
        super().__init__(proc_params)
        fmt = proc_params["fmt"]
        self.acc_bits, self.m_bits = fmt["acc_bits"], fmt["m_bits"]
        self.overflow = fmt["overflow"]
        self.sh = proc_params["shifts"]

    def run_spk(self) -> None:
        x = np.asarray(self.a_in.recv(), dtype=np.int64)
        self.xsum[:] = saturate(self.xsum + x, self.acc_bits, "xsum", self.overflow)
        if self.k[0] % self.dilation == 0:
            self.m[:] = lmu_update(
                self.m,
                self.xsum[0],
                self.a_bar,
                self.b_bar,
                self.sh["a"],
                self.sh["b"],
                self.m_bits,
                self.overflow,
            )
            self.xsum[0] = 0
        self.k[0] += 1
        self.m_out.send(self.m)
