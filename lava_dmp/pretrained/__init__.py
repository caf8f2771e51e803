"""Pretrained DMP networks shipped with the package.

``load("smnist")`` and ``load("psmnist")`` give the paper-size networks of
the S-MNIST and PS-MNIST rows I (1-200-200-10, d = 20 and 40, theta = 300):
the weights (float, for :func:`~lava_dmp.train.trainer.evaluate` and
further training), the exported file (for Lava) and the provenance record
written by ``scripts/ship_pretrained.py`` when they were shipped (the
training command, the library commits, the measured float, quantised and
Lava accuracy). Each name has three files here: ``NAME.pt`` (weights only,
no optimizer state), ``NAME.h5`` (the exported network) and ``NAME.json``
(the provenance).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["Pretrained", "NAMES", "available", "load", "files", "FORMAT"]

#: the networks this package may ship
NAMES = ("smnist", "psmnist")
#: format tag of the weights file
FORMAT = "lava-dmp-pretrained"


def files(name: str) -> dict[str, Path]:
    """Paths of the weights, export and provenance of ``name``."""
    if name not in NAMES:
        raise ValueError(f"name: pretrained networks are {NAMES}, got {name!r}")
    root = Path(str(resources.files(__name__)))
    return {
        kind: root / f"{name}.{ext}"
        for kind, ext in (("weights", "pt"), ("network", "h5"), ("provenance", "json"))
    }


def available() -> list[str]:
    """The names whose three files are present in this installation."""
    return [n for n in NAMES if all(p.is_file() for p in files(n).values())]


@dataclass
class Pretrained:
    """A shipped network.

    Attributes
    ----------
    name : str
    net : DMPNet
        The trained network (float forward, eval mode); quantise it with
        :func:`lava_dmp.train.export.quantize_network` and ``spec``.
    network : Path
        The exported file: :class:`lava_dmp.netx.Network` and
        :func:`lava_dmp.netx.run_lava_many` take it.
    spec : InputSpec
        Its input encoding.
    permutation : numpy.ndarray or None
        PS-MNIST's pixel order (None for S-MNIST).
    provenance : dict
        How it was made and what it measured.
    """

    name: str
    net: object
    network: Path
    spec: object
    permutation: object
    provenance: dict

    def test_set(self, limit: int | None = None, data_dir=None):
        """The MNIST test digits as this network reads them (permuted for
        PS-MNIST): a dataset with ``.x``, ``.y`` and ``.sequence(i)``."""
        from lava_dmp.train.data import make_dataset

        return make_dataset(
            self.spec.task,
            "test",
            self.provenance["perm_seed"],
            limit,
            data_dir,
        )


def load(name: str) -> Pretrained:
    """The shipped network ``name`` (see :data:`NAMES`)."""
    import torch

    from lava_dmp.datasets.custom import InputSpec
    from lava_dmp.train.checkpoint import check_finite_weights
    from lava_dmp.train.model import DMPNet, NetConfig

    paths = files(name)
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"pretrained: {name} is not in this installation (missing "
            f"{', '.join(missing)}); shipped: {available()}"
        )
    state = torch.load(paths["weights"], map_location="cpu", weights_only=False)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"pretrained: {paths['weights']} is not a {FORMAT} file")
    check_finite_weights(state["model"], paths["weights"])
    net = DMPNet(NetConfig(**state["net"]))
    net.load_state_dict(state["model"])
    net.eval()
    return Pretrained(
        name=name,
        net=net,
        network=paths["network"],
        spec=InputSpec.from_dict(state["input"]),
        permutation=state.get("permutation"),
        provenance=json.loads(paths["provenance"].read_text()),
    )
