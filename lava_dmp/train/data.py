"""Sequential and permuted sequential MNIST as ``[batch, 1, 784]`` tensors.

One grey level per step, scaled to ``[0, 1]`` (the Lava fixed-point network
receives the raw bytes with ``in_scale = 1/255``). PS-MNIST applies a fixed
pixel permutation drawn from a seed; the permutation is saved with the model.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from lava_dmp.datasets.mnist import load_mnist
from lava_dmp.validation import check_choice, check_int

__all__ = [
    "SequentialMNIST",
    "SpikeTask",
    "make_dataset",
    "permutation",
    "TASKS",
    "input_format",
]

TASKS = ("smnist", "psmnist", "shd", "ssc")


def permutation(seed: int) -> np.ndarray:
    """The fixed PS-MNIST pixel order for ``seed``."""
    return np.random.default_rng(seed).permutation(784)


class SequentialMNIST(torch.utils.data.Dataset):
    """(S-/PS-)MNIST split: items ``(x (1, 784) float32, label)``.

    Parameters
    ----------
    split : 'train' or 'test'
    task : 'smnist' or 'psmnist'
    perm_seed : int
        Seed of the PS-MNIST permutation.
    limit : int or None
        Use only the first ``limit`` samples.
    data_dir : path or None
        See :func:`lava_dmp.datasets.mnist.load_mnist`.
    """

    def __init__(
        self,
        split: str,
        task: str = "smnist",
        perm_seed: int = 0,
        limit: int | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> None:
        check_choice("task", task, ("smnist", "psmnist"))
        images, labels = load_mnist(split, data_dir)
        if limit is not None:
            limit = check_int("limit", limit, minimum=1)
            images, labels = images[:limit], labels[:limit]
        if len(images) == 0:
            raise ValueError(f"limit: the {split} split is empty")
        seq = images.reshape(len(images), 784)
        self.permutation = permutation(perm_seed) if task == "psmnist" else None
        if self.permutation is not None:
            seq = seq[:, self.permutation]
        self.pixels = seq  # uint8, for the Lava fixed-point run
        self.x = torch.from_numpy(seq.astype(np.float32) / 255.0)[:, None, :]
        self.y = torch.from_numpy(labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class SpikeTask(torch.utils.data.Dataset):
    """SHD / SSC binned and pooled to ``(n, 140, bins)``; items ``(x, label)``.

    ``pixels`` holds the integer frames ``(n, bins, 140)`` for the Lava run.
    """

    def __init__(
        self,
        split: str,
        task: str = "shd",
        limit: int | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> None:
        from lava_dmp.datasets.shd import load_spike_dataset

        ds = load_spike_dataset(task, split, data_dir, limit=limit)
        self.permutation = None
        self.dropped = ds.dropped
        self.pixels = ds.x.transpose(0, 2, 1)  # (n, T, 140) integers
        self.x = torch.from_numpy(ds.x.astype(np.float32))
        self.y = torch.from_numpy(ds.labels)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def make_dataset(
    task: str,
    split: str,
    perm_seed: int = 0,
    limit: int | None = None,
    data_dir: str | os.PathLike | None = None,
):
    """The dataset of ``task`` (see :data:`TASKS`); ``split`` 'train' or 'test'."""
    check_choice("task", task, TASKS)
    if task in ("shd", "ssc"):
        return SpikeTask(split, task, limit, data_dir)
    return SequentialMNIST(split, task, perm_seed, limit, data_dir)


def input_format(task: str) -> tuple[float, int]:
    """``(in_scale, num_message_bits)`` of the first layer's integer input:
    grey levels / 255 for MNIST, binary spikes for SHD, 8-bit counts for SSC."""
    check_choice("task", task, TASKS)
    return {
        "smnist": (1 / 255, 8),
        "psmnist": (1 / 255, 8),
        "shd": (1.0, 0),
        "ssc": (1.0, 8),
    }[task]
