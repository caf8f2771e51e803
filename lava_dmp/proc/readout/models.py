"""Float and fixed-point models of the Readout process.

Absolute imports only: Lava loads this file as a bare module.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_dmp.fixed_point import saturate
from lava_dmp.proc.readout.process import Readout


class AbstractPyReadoutModel(PyLoihiProcessModel):
    """Shared step logic; subclasses fix the number type."""

    def __init__(self, proc_params):
        super().__init__(proc_params)
        self.t_start = proc_params["t_start"]
        self.acc_bits = proc_params["acc_bits"]
        self.reset_interval = proc_params.get("reset_interval", 0)

    def _add(self, a: np.ndarray) -> np.ndarray:
        return self.acc + a + self.bias

    def run_spk(self) -> None:
        a = self.a_in.recv()
        if self.reset_interval and (self.time_step - 1) % self.reset_interval == 0:
            # a new sample: its scores start from zero, the last one's input
            # still in the synapse is dropped
            self.acc[:], self.count[:], self.k[:] = 0, 0, 0
            a = np.zeros_like(a)
        if self.k[0] >= self.t_start:
            self.acc[:] = self._add(a)
            self.count[0] += 1
        self.k[0] += 1


@implements(proc=Readout, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyReadoutModelFloat(AbstractPyReadoutModel):
    """Float64 accumulator."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    acc: np.ndarray = LavaPyType(np.ndarray, float)
    count: np.ndarray = LavaPyType(np.ndarray, int)
    k: np.ndarray = LavaPyType(np.ndarray, int)
    bias: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=Readout, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate")
class PyReadoutModelFixed(AbstractPyReadoutModel):
    """Integer accumulator saturating to ``acc_bits``."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    acc: np.ndarray = LavaPyType(np.ndarray, np.int64)
    count: np.ndarray = LavaPyType(np.ndarray, np.int64)
    k: np.ndarray = LavaPyType(np.ndarray, np.int64)
    bias: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def _add(self, a: np.ndarray) -> np.ndarray:
        total = self.acc + np.asarray(a, dtype=np.int64) + self.bias
        return saturate(total, self.acc_bits, "acc")
