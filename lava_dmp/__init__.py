"""lava-dmp: Dual-Memory-Pathway spiking networks for the Lava framework.

The main entry points, imported on first use (Lava imports ``lava_dmp``
during every model discovery, so nothing heavy is imported here):

* Lava processes: ``LMU``, ``DMP``, ``DMPLayer``, ``Readout``, ``Network``
  (also in :mod:`lava_dmp.proc`);
* deployment: ``export_checkpoint``, ``run_exported``, ``read_network``
  (:mod:`lava_dmp.netx`);
* training (torch, lava-dl): ``NetConfig``, ``DMPNet``, ``TrainConfig``,
  ``evaluate``, ``export_network``, ``quantize_network``; the training loop
  is ``lava_dmp.train.train`` (the name ``train`` is the subpackage);
* your own data: ``InputSpec``, ``from_arrays``, ``load_npz``
  (:mod:`lava_dmp.datasets.custom`);
* cost: ``cost_network``, ``NearMemorySimCfg``, ``HardwareSpec``
  (:mod:`lava_dmp.cost`);
* pretrained networks: :mod:`lava_dmp.pretrained` (``load``).

The mathematics live in :mod:`lava_dmp.legendre` (LMU), :mod:`lava_dmp.
fixed_point` (the fixed-point contract), :mod:`lava_dmp.convert` (the
converter) and :mod:`lava_dmp.golden` (the integer golden model).
"""

from lava_dmp._lazy import lazy_exports

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "LMU": "lava_dmp.proc.lmu.process",
        "DMP": "lava_dmp.proc.dmp.process",
        "DMPLayer": "lava_dmp.proc.dmp_layer.process",
        "Readout": "lava_dmp.proc.readout.process",
        "Network": "lava_dmp.proc.network.process",
        "export_checkpoint": "lava_dmp.netx.deploy",
        "run_exported": "lava_dmp.netx.deploy",
        "read_network": "lava_dmp.netx.format",
        "NetConfig": "lava_dmp.train.model",
        "DMPNet": "lava_dmp.train.model",
        "TrainConfig": "lava_dmp.train.trainer",
        "evaluate": "lava_dmp.train.trainer",
        "export_network": "lava_dmp.train.export",
        "quantize_network": "lava_dmp.train.export",
        "InputSpec": "lava_dmp.datasets.custom",
        "from_arrays": "lava_dmp.datasets.custom",
        "load_npz": "lava_dmp.datasets.custom",
        "cost_network": "lava_dmp.cost.run",
        "NearMemorySimCfg": "lava_dmp.cost.run_config",
        "HardwareSpec": "lava_dmp.cost.hardware",
    },
)
