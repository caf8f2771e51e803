"""Models of the Recorder sink. Absolute imports only: Lava loads this file
as a bare module."""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_dmp.proc.recorder.process import Recorder


class AbstractPyRecorderModel(PyLoihiProcessModel):
    """Writes each step's input into the memmap row ``k % steps``."""

    def __init__(self, proc_params):
        super().__init__(proc_params)
        self.rows = np.load(proc_params["path"], mmap_mode="r+")
        self.steps = proc_params["steps"]

    def run_spk(self) -> None:
        self.rows[int(self.k[0]) % self.steps] = self.a_in.recv()
        self.k[0] += 1


@implements(proc=Recorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyRecorderModelFloat(AbstractPyRecorderModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    k: np.ndarray = LavaPyType(np.ndarray, int)


@implements(proc=Recorder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate")
class PyRecorderModelFixed(AbstractPyRecorderModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32)
    k: np.ndarray = LavaPyType(np.ndarray, np.int64)
