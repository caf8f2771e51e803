"""Where training runs: ``cpu``, ``cuda`` or ``cuda:N``.

On a GPU the LIF op runs its torch path (the compiled kernels are CPU-only,
see :func:`lava_dmp.train.native.status`) and the memory's FFT runs on the
GPU; every tensor a block creates follows its input's device and dtype.
"""

from __future__ import annotations

import re

import torch

__all__ = ["check_device", "resolve_device", "describe", "lif_path"]

_PATTERN = re.compile(r"^(cpu|cuda(:\d+)?)$")


def check_device(name: object) -> str:
    """``name`` if it is ``'cpu'``, ``'cuda'`` or ``'cuda:N'``."""
    if not isinstance(name, str) or not _PATTERN.match(name):
        raise ValueError(f"device: expected cpu, cuda or cuda:N, got {name!r}")
    return name


def resolve_device(name: str, local_rank: int | None = None) -> torch.device:
    """The :class:`torch.device` of ``name``, refusing a GPU torch cannot see.

    Under torchrun, plain ``'cuda'`` is the rank's ``local_rank`` GPU.
    """
    check_device(name)
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError(
            f"device: {name!r} asked for, but torch sees no CUDA GPU "
            f"(torch {torch.__version__}, torch.cuda.is_available() is False); "
            f"use --device cpu"
        )
    index = int(name.split(":")[1]) if ":" in name else (local_rank or 0)
    count = torch.cuda.device_count()
    if index >= count:
        raise ValueError(
            f"device: cuda:{index} asked for, but torch sees {count} GPU(s) "
            f"(cuda:0 to cuda:{count - 1})"
        )
    return torch.device("cuda", index)


def describe(device: torch.device) -> str:
    """``'cpu'`` or ``'cuda:0 (NVIDIA ...)'``: for logs and metrics."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def lif_path(device: torch.device) -> str:
    """Which LIF implementation a float forward on ``device`` runs."""
    from lava_dmp.train import native

    if device.type != "cpu":
        return f"torch ({device.type}; the compiled kernels are CPU-only)"
    if native.available():
        return f"compiled CPU kernels ({native.status()})"
    return f"torch ({native.status()})"
