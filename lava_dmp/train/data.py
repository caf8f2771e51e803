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

__all__ = ["SequentialMNIST", "permutation", "TASKS"]

TASKS = ("smnist", "psmnist")


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
        check_choice("task", task, TASKS)
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
