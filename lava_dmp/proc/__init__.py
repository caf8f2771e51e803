"""Lava processes of lava-dmp, one folder each (``process.py``, ``models.py``).

``LMU`` (the Legendre memory), ``DMP`` (DMP neurons), ``DMPLayer`` (Dense +
DMP, a drop-in for Dense + LIF), ``Readout`` (time-averaged class scores),
``Recorder`` (a memmap sink) and ``Network`` (an exported network as one
hierarchical process). Imported on first use; no torch.
"""

from __future__ import annotations

from lava_dmp._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "LMU": "lava_dmp.proc.lmu.process",
        "DMP": "lava_dmp.proc.dmp.process",
        "DMPLayer": "lava_dmp.proc.dmp_layer.process",
        "Readout": "lava_dmp.proc.readout.process",
        "Recorder": "lava_dmp.proc.recorder.process",
        "Network": "lava_dmp.proc.network.process",
    },
)
