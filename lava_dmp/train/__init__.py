"""Training DMP networks with PyTorch / lava-dl (imports torch).

Entry points (imported on first use): ``DMPDense``, ``DMPNeuron``,
``ReadoutBlock`` (slayer blocks), ``NetConfig``, ``DMPNet``, ``TrainConfig``,
``train``, ``evaluate``, ``load_checkpoint``, ``network_from_checkpoint``,
``quantize_network``, ``export_network``, ``layer_spikes``.

Lava sets the multiprocessing start method when its runtime module is first
imported and fails if anything (tqdm's lock, for one) has fixed it before.
Importing it here, ahead of the training code, lets a process train and then
run Lava (export, ``lava-dmp run``).
"""

import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401

from lava_dmp._quiet_imports import import_slayer as _import_slayer

# lava-dl's import prints two notices that do not concern lava-dmp (see
# lava_dmp._quiet_imports); every other line still reaches stderr
_import_slayer()

from lava_dmp._lazy import lazy_exports  # noqa: E402

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "DMPDense": "lava_dmp.train.blocks",
        "DMPNeuron": "lava_dmp.train.blocks",
        "ReadoutBlock": "lava_dmp.train.blocks",
        "NetConfig": "lava_dmp.train.model",
        "DMPNet": "lava_dmp.train.model",
        "TrainConfig": "lava_dmp.train.trainer",
        "train": "lava_dmp.train.trainer",
        "evaluate": "lava_dmp.train.trainer",
        "load_checkpoint": "lava_dmp.train.checkpoint",
        "network_from_checkpoint": "lava_dmp.train.checkpoint",
        "quantize_network": "lava_dmp.train.export",
        "export_network": "lava_dmp.train.export",
        "layer_spikes": "lava_dmp.train.export",
    },
)
