"""MNIST as spike trains: rate and latency coding, encoded on the fly.

The setting of the SDFA paper's MLPs (784 input channels, ``T`` steps of
binary spikes; see ``docs/sdfa.md``):

* **rate** (``mnist-rate``): pixel ``p = grey / 255`` fires at step ``t``
  with probability ``p``, independently over pixels and steps::

      s[c, t] = 1  if  u[c, t] < p[c],   u ~ U[0, 1)

* **latency** (``mnist-latency``): a pixel fires once, the brighter the
  earlier; a black pixel never fires (deterministic)::

      s[c, t] = 1  if  p[c] > 0  and  t = min(T - 1, floor((1 - p[c]) T))

The random numbers of sample ``i`` come from
``numpy.random.default_rng([stream, i])``: a sample's spikes do not depend on
the batch it is drawn in, on ``limit`` or on how a set is sharded. Training
draws a new ``stream`` every epoch (:meth:`CodedMNIST.set_epoch`, called by
the trainer with the epoch's seed); a test set keeps one fixed stream, so
every evaluation of a network sees the same spikes.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from lava_dmp._checks import check_choice, check_int
from lava_dmp.datasets.custom import InputSpec
from lava_dmp.datasets.mnist import load_mnist

__all__ = ["CodedMNIST", "CODINGS", "DEFAULT_STEPS", "encode", "coded_spec"]

#: task name -> coding
CODINGS = {"mnist-rate": "rate", "mnist-latency": "latency"}
#: steps when none are given (the paper's MLPs use T = 10 to 25)
DEFAULT_STEPS = 25
#: the stream of every test set (training streams are epoch seeds, >= 0)
TEST_STREAM = 2**32 - 1


def coded_spec(task: str, steps: int) -> InputSpec:
    """The input spec of a coded task: 784 channels of binary spikes."""
    check_choice("task", task, tuple(CODINGS))
    return InputSpec(784, check_int("steps", steps, 1, 10_000), 1.0, False, 0, task)


def encode(
    pixels: np.ndarray, index: np.ndarray, coding: str, steps: int, stream: int
) -> np.ndarray:
    """Spikes ``(n, 784, steps)`` uint8 of grey images ``pixels (n, 784)``.

    ``index`` gives each image's sample number (its random numbers: see the
    module docstring).
    """
    check_choice("coding", coding, ("rate", "latency"))
    p = pixels.astype(np.float64) / 255.0
    out = np.zeros((len(p), p.shape[1], steps), dtype=np.uint8)
    if coding == "latency":
        t = np.minimum(steps - 1, np.floor((1.0 - p) * steps).astype(np.int64))
        n, c = np.nonzero(p > 0)
        out[n, c, t[n, c]] = 1
        return out
    for k, i in enumerate(index):
        u = np.random.default_rng([stream, int(i)]).random((p.shape[1], steps))
        out[k] = u < p[k, :, None]
    return out


class _Spikes:
    """``dataset.x``: indexing encodes the samples asked for (float32
    ``(batch, 784, T)``), nothing is stored."""

    def __init__(self, owner: CodedMNIST) -> None:
        self.owner = owner

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.owner), 784, self.owner.steps)

    def __len__(self) -> int:
        return len(self.owner)

    def __getitem__(self, idx) -> torch.Tensor:
        o = self.owner
        index = np.arange(len(o))[np.asarray(idx) if torch.is_tensor(idx) else idx]
        scalar = np.ndim(index) == 0
        index = np.atleast_1d(index)
        s = encode(o.images[index], index, o.coding, o.steps, o.stream)
        x = torch.from_numpy(s.astype(np.float32))
        return x[0] if scalar else x


class CodedMNIST(torch.utils.data.Dataset):
    """Rate- or latency-coded MNIST: items ``(x (784, T) float32, label)``.

    Parameters
    ----------
    split : 'train' or 'test'
    task : 'mnist-rate' or 'mnist-latency'
    steps : int
        Time steps ``T`` per image.
    limit : int or None
        Use only the first ``limit`` images.
    data_dir : path or None
        See :func:`lava_dmp.datasets.mnist.load_mnist`.
    """

    def __init__(
        self,
        split: str,
        task: str = "mnist-rate",
        steps: int = DEFAULT_STEPS,
        limit: int | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> None:
        self.spec = coded_spec(task, steps)
        self.coding, self.steps = CODINGS[task], self.spec.steps
        images, labels = load_mnist(split, data_dir)
        if limit is not None:
            limit = check_int("limit", limit, minimum=1)
            images, labels = images[:limit], labels[:limit]
        self.images = images.reshape(len(images), 784)
        self.y = torch.from_numpy(labels.astype(np.int64))
        self.x = _Spikes(self)
        self.stream = TEST_STREAM
        self.permutation = None
        self.lengths = None

    def set_epoch(self, seed: int) -> None:
        """Draw the spikes of a training epoch from ``seed`` (>= 0)."""
        self.stream = check_int("seed", seed, 0, TEST_STREAM - 1)

    def sequence(self, i: int) -> np.ndarray:
        """Sample ``i`` as Lava takes it: integers ``(T, 784)``."""
        s = encode(self.images[i : i + 1], [i], self.coding, self.steps, self.stream)
        return s[0].T.astype(np.int64)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]
