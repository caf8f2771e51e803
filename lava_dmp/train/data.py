"""Sequential and permuted sequential MNIST as ``[batch, 1, 784]`` tensors.

One grey level per step, scaled to ``[0, 1]`` (the Lava fixed-point network
receives the raw bytes with ``in_scale = 1/255``). PS-MNIST applies a fixed
pixel permutation drawn from a seed; the permutation is saved with the model.
"""

from __future__ import annotations

import copy
import os

import numpy as np
import torch

from lava_dmp._checks import check_choice, check_int
from lava_dmp.datasets.coded_mnist import CODINGS, DEFAULT_STEPS, CodedMNIST
from lava_dmp.datasets.custom import (
    TASK_NAMES,
    InputSpec,
    SequenceDataset,
    as_dataset,
    load_module,
    load_npz,
    task_spec,
)
from lava_dmp.datasets.mnist import load_mnist

__all__ = [
    "CODINGS",
    "SequentialMNIST",
    "SpikeTask",
    "CodedMNIST",
    "make_dataset",
    "permutation",
    "TASKS",
    "input_format",
    "input_spec",
    "test_sequences",
    "as_training_data",
    "validation_split",
    "VALIDATION",
    "SequenceDataset",
]

TASKS = TASK_NAMES


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
        self.spec = task_spec(task)
        self.lengths = None

    def sequence(self, i: int) -> np.ndarray:
        """Sample ``i`` as Lava takes it: integers ``(784, 1)``."""
        return self.pixels[i][:, None].astype(np.int64)

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
        self.spec = task_spec(task)
        self.lengths = None

    def sequence(self, i: int) -> np.ndarray:
        """Sample ``i`` as Lava takes it: integers ``(T, 140)``."""
        return self.pixels[i].astype(np.int64)

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
    data: str | os.PathLike | None = None,
    data_module: str | None = None,
    spec: InputSpec | None = None,
    steps: int | None = None,
):
    """The dataset of ``task`` (see :data:`TASKS`); ``split`` 'train' or 'test'.

    The coded tasks (``mnist-rate``, ``mnist-latency``: :mod:`lava_dmp.
    datasets.coded_mnist`) take ``steps`` (default 25), or a trained
    network's ``spec``.

    ``task='custom'`` reads ``data`` (an ``.npz`` of the contract of
    :mod:`lava_dmp.datasets.custom`) or calls ``data_module``
    (``'module:factory'``); ``spec`` is the encoding of a trained network
    (test data), None derives it (training data).
    """
    check_choice("task", task, TASKS)
    check_choice("split", split, ("train", "test"))
    if limit is not None:
        limit = check_int("limit", limit, minimum=1)
    if task == "custom":
        if (data is None) == (data_module is None):
            raise ValueError(
                "data: the custom task reads --data FILE.npz or --data-module "
                "module:factory (exactly one)"
            )
        ds = (
            load_npz(data, split, spec)
            if data
            else load_module(data_module, split, spec)
        )
        return ds if limit is None else ds.take(limit)
    if task in ("shd", "ssc"):
        return SpikeTask(split, task, limit, data_dir)
    if task in CODINGS:
        if spec is not None:
            if steps is not None and steps != spec.steps:
                raise ValueError(
                    f"steps: the network was trained on {spec.steps} steps, not {steps}"
                )
            steps = spec.steps
        return CodedMNIST(split, task, steps or DEFAULT_STEPS, limit, data_dir)
    return SequentialMNIST(split, task, perm_seed, limit, data_dir)


#: samples at the end of a training set that the experiments hold out to
#: choose hyperparameters on (MNIST: train on the first 55 000)
VALIDATION = 5000


def validation_split(dataset, n: int = VALIDATION):
    """The last ``n`` samples of a training set, as a dataset of the same kind.

    The experiments choose hyperparameters on it and train on the first
    ``len(dataset) - n`` samples (``limit_train``), so it is never trained
    on. Spike-coded MNIST keeps encoding on the fly: sample ``i`` of the split
    draws its spikes as sample ``i`` of a dataset would.
    """
    n = check_int("n", n, minimum=1, maximum=len(dataset) - 1)
    tail = copy.copy(dataset)
    tail.y = dataset.y[-n:]
    if isinstance(dataset, CodedMNIST):
        tail.images = dataset.images[-n:]
        tail.x = type(dataset.x)(tail)  # the encoder reads the tail's images
        return tail
    tail.x = dataset.x[-n:]
    for name in ("pixels", "ints"):  # what sequence() hands to Lava
        if hasattr(dataset, name):
            setattr(tail, name, getattr(dataset, name)[-n:])
    if getattr(dataset, "lengths", None) is not None:
        tail.lengths = dataset.lengths[-n:]
    return tail


def input_spec(task: str, dataset=None) -> InputSpec:
    """The :class:`InputSpec` of a task (a custom task's is its dataset's)."""
    if task == "custom":
        if dataset is None:
            raise ValueError("task: a custom task's input spec comes from its data")
        return dataset.spec
    return task_spec(task)


def input_format(task: str) -> tuple[float, int]:
    """``(in_scale, num_message_bits)`` of the first layer's integer input:
    grey levels / 255 for MNIST, binary spikes for SHD, 8-bit counts for SSC."""
    spec = task_spec(task)
    return spec.scale, spec.message_bits


def test_sequences(dataset, count: int | None = None) -> list[np.ndarray]:
    """The first ``count`` samples as Lava takes them: integer ``(T_i, M)``."""
    n = len(dataset) if count is None else min(count, len(dataset))
    return [dataset.sequence(i) for i in range(n)]


def as_training_data(data, test_data, spec: InputSpec | None = None):
    """``(train, test)`` datasets from objects of the contract; the test set
    is encoded with the training set's spec."""
    train_set = as_dataset(data, spec, "data")
    test_set = as_dataset(test_data, train_set.spec, "test_data")
    if test_set.spec != train_set.spec:
        raise ValueError(
            f"test_data: encoded as {test_set.spec.describe()}, the training data "
            f"as {train_set.spec.describe()}"
        )
    return train_set, test_set
