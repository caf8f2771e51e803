"""Training checkpoints: an atomic, versioned file, checked when it is read.

A checkpoint is a ``torch.save`` dict::

    format      "lava-dmp-checkpoint"
    version     CHECKPOINT_VERSION (checkpoints written before versions existed
                have neither field and are read as version 1)
    net         NetConfig fields          train    TrainConfig fields
    model       the network's state dict  optimizer, scheduler: their states
    epoch       completed epochs          history  one metrics dict per epoch
    permutation PS-MNIST pixel order or None
    input       the InputSpec of the data (optional; else the task's)
    feedback    the SDFA feedback matrices and their seed (SDFA runs)
    activity    per-step sums of inputs and spikes over the training samples
    resumes     what each --resume changed (optional)

:func:`load_checkpoint` refuses anything else with one ``ValueError`` naming
the file: a file that does not unpickle, a structure that is not this one, a
newer version or unknown fields (a newer lava-dmp), weights that do not fit
the stored network, and non-finite weights (a diverged run).
"""

from __future__ import annotations

import os
from numbers import Integral
from pathlib import Path

import torch

from lava_dmp.outputs import atomic_write

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "save_checkpoint",
    "load_checkpoint",
    "net_config",
    "network_from_checkpoint",
    "check_finite_weights",
]

CHECKPOINT_FORMAT = "lava-dmp-checkpoint"
CHECKPOINT_VERSION = 1

_REQUIRED = {"net": dict, "train": dict, "model": dict, "optimizer": dict}
_OPTIONAL = {
    "scheduler",
    "history",
    "permutation",
    "resumes",
    "input",
    "feedback",
    "activity",
    "format",
    "version",
}


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Write ``state`` atomically (a unique temporary file, then a rename): a
    crash, a full disk or an interrupt leaves the previous checkpoint whole."""
    state = {**state, "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION}
    atomic_write(path, lambda tmp: torch.save(state, tmp), what="checkpoint")


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint and check its structure (see the module docstring).

    Raises ``FileNotFoundError`` if ``path`` does not exist and
    ``ValueError`` (message ``checkpoint: <path> ...``) for anything that is
    not a readable checkpoint of this version.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"checkpoint: {path} is a folder; expected a .pt file")
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint: {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling failure
        raise ValueError(
            f"checkpoint: {path} is corrupt or not a lava-dmp "
            f"checkpoint ({type(err).__name__}: {err})"
        ) from err
    if not isinstance(state, dict):
        raise ValueError(
            f"checkpoint: {path} holds a {type(state).__name__}, not a lava-dmp "
            f"checkpoint"
        )
    version = state.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, Integral):
        raise ValueError(f"checkpoint: {path} has an invalid version {version!r}")
    if version > CHECKPOINT_VERSION:
        raise ValueError(
            f"checkpoint: {path} has version {version}, written by a newer "
            f"lava-dmp; this one reads version {CHECKPOINT_VERSION}"
        )
    fmt = state.get("format", CHECKPOINT_FORMAT)
    if fmt != CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint: {path} has format {fmt!r}, not a checkpoint")
    missing = sorted((set(_REQUIRED) | {"epoch"}) - set(state))
    if missing:
        raise ValueError(f"checkpoint: {path} lacks {missing}")
    unknown = sorted(set(state) - set(_REQUIRED) - {"epoch"} - _OPTIONAL)
    if unknown:
        raise ValueError(
            f"checkpoint: {path} has unknown fields {unknown} (version {version}; "
            f"written by a newer lava-dmp?)"
        )
    for key, kind in _REQUIRED.items():
        if not isinstance(state[key], kind):
            raise ValueError(
                f"checkpoint: {path}: '{key}' is a {type(state[key]).__name__}, "
                f"expected a {kind.__name__}"
            )
    epoch = state["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, Integral) or epoch < 0:
        raise ValueError(f"checkpoint: {path}: epoch {epoch!r} is not an integer >= 0")
    if not isinstance(state.get("history", []), list):
        raise ValueError(f"checkpoint: {path}: history is not a list")
    bad = [k for k, v in state["model"].items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f"checkpoint: {path}: model entries {bad} are not tensors")
    return state


def net_config(state: dict, path: str | os.PathLike = "checkpoint"):
    """The :class:`~lava_dmp.train.model.NetConfig` a checkpoint stores."""
    from lava_dmp.train.model import NetConfig

    try:
        return NetConfig(**state["net"])
    except TypeError as err:  # an unknown or missing field
        known = set(NetConfig.__dataclass_fields__)
        unknown = sorted(set(state["net"]) - known)
        raise ValueError(
            f"checkpoint: {path}: network settings "
            + (
                f"have unknown fields {unknown} (written by a newer lava-dmp?)"
                if unknown
                else f"are invalid ({err})"
            )
        ) from None
    except ValueError as err:
        raise ValueError(f"checkpoint: {path}: network settings: {err}") from None


def check_finite_weights(model: dict, path: str | os.PathLike = "checkpoint") -> None:
    """Refuse a state dict holding NaN or infinite values (a diverged run)."""
    bad = [
        k
        for k, v in model.items()
        if v.is_floating_point() and not bool(torch.isfinite(v).all())
    ]
    if bad:
        raise ValueError(
            f"checkpoint: {path} holds non-finite weights ({', '.join(bad[:4])}"
            f"{', ...' if len(bad) > 4 else ''}): its training diverged"
        )


def network_from_checkpoint(path: str | os.PathLike):
    """``(net, state)``: the :class:`~lava_dmp.train.model.DMPNet` of a
    checkpoint with its weights, after every check of :func:`load_checkpoint`,
    the weights' names and shapes and their finiteness."""
    from lava_dmp.train.model import DMPNet

    state = load_checkpoint(path)
    net = DMPNet(net_config(state, path))
    try:
        net.load_state_dict(state["model"])
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise ValueError(
            f"checkpoint: {path}: the weights do not fit the stored network "
            f"({' '.join(s.strip() for s in first[:3])})"
        ) from None
    check_finite_weights(state["model"], path)
    return net, state
