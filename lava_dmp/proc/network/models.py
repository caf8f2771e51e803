"""Sub-process model of Network: its layers are built by the process itself
(as lava-dl's netx does), so the model only declares it hierarchical.

Absolute imports only: Lava loads this file as a bare module.
"""

from __future__ import annotations

from lava.magma.core.decorator import implements
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_dmp.proc.network.process import Network


@implements(proc=Network, protocol=LoihiProtocol)
class SubNetworkModel(AbstractSubProcessModel):
    """The layers and the readout are the process's own sub-processes."""

    def __init__(self, proc: Network) -> None:
        # nothing to build (AbstractSubProcessModel.__init__ only raises): the
        # compiler finds the sub-processes through the ports' connections.
        # Keep no reference to proc here: every process attribute of a
        # sub-process model is taken for one of its sub-processes.
        del proc
