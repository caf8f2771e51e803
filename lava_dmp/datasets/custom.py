"""Your own data: the dataset contract and its integer encoding.

The contract
------------
Any object with ``__len__`` and ``__getitem__`` (a ``torch.utils.data.Dataset``
is one) whose item ``i`` is ``(x, y)`` or ``(x, y, length)``:

* ``x``: array ``(channels, time)`` (numpy or torch), graded values or spikes
  (0/1); sequences may differ in length;
* ``y``: the integer class label, ``0 <= y < classes``;
* ``length`` (optional): the valid steps of a padded ``x`` (default: all of
  ``x``'s columns).

:func:`as_dataset` turns such an object into a :class:`SequenceDataset`, and
:func:`from_arrays` and :func:`load_npz` build one from arrays or an ``.npz``.

The encoding (one rule, applied once, at load)
----------------------------------------------
A DMP network's first layer receives integers: Lava sends them as graded
spike messages of ``message_bits`` bits, and every path (training, the
quantised forward, the Lava run) sees exactly the same values::

    q = round_half_away_from_zero(x / scale)      the integer sent
    x_network = q * scale                          what the network computes with

``message_bits = 0`` means binary spikes (``x`` must be 0 or 1, ``scale = 1``).
Otherwise ``q`` must lie in ``[0, 2^b - 1]`` (unsigned) or ``[-2^(b-1),
2^(b-1) - 1]`` (signed); a value outside is refused, naming the range. What
is not given is derived from the data (an ``.npz``: all its splits; objects:
the training set): ``signed`` if any value is
negative; ``message_bits`` 0 if every value is 0 or 1, else 8; ``scale`` 1 if
every value is an integer, else ``max|x| / q_max`` (the largest magnitude
lands on the top of the grid). Test data for a trained or exported network
are encoded with *its* :class:`InputSpec`, never re-derived.

Variable lengths: a shorter sequence is padded with zeros to the longest;
``lengths`` keeps its valid steps. The readout averages over those steps
only, so padding never changes a prediction.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lava_dmp._checks import check_choice, check_int, check_positive
from lava_dmp.fixed_point import round_half_away

__all__ = [
    "InputSpec",
    "SequenceDataset",
    "task_spec",
    "as_dataset",
    "from_arrays",
    "load_npz",
    "load_module",
    "BUILTIN_SPECS",
    "TASK_NAMES",
]


#: Every task a network can be trained on (the built-in ones and ``custom``).
TASK_NAMES = (
    "smnist",
    "psmnist",
    "shd",
    "ssc",
    "mnist-rate",
    "mnist-latency",
    "custom",
)


@dataclass(frozen=True)
class InputSpec:
    """How a network's input is encoded (stored in checkpoints and exports).

    Attributes
    ----------
    channels : int
        Input channels ``M``.
    steps : int
        Longest sequence (time steps) the network was trained on; 0 if unknown.
    scale : float
        Real value of one integer step of the input (1 for spikes, 1/255
        for grey levels).
    signed : bool
        Whether the integers may be negative.
    message_bits : int
        0 for binary spikes, else the width of Lava's graded messages.
    task : str
        ``smnist``, ``psmnist``, ``shd``, ``ssc``, ``mnist-rate``,
        ``mnist-latency`` or ``custom``.
    """

    channels: int
    steps: int = 0
    scale: float = 1.0
    signed: bool = False
    message_bits: int = 0
    task: str = "custom"

    def __post_init__(self) -> None:
        check_int("channels", self.channels, minimum=1)
        check_int("steps", self.steps, minimum=0)
        check_positive("scale", self.scale)
        check_int("message_bits", self.message_bits, 0, 24)
        if not isinstance(self.signed, (bool, np.bool_)):
            raise ValueError(f"signed: expected True or False, got {self.signed!r}")
        if self.message_bits == 0 and (self.signed or self.scale != 1.0):
            raise ValueError(
                "message_bits: 0 means binary spikes (unsigned, scale 1); got "
                f"signed={self.signed}, scale={self.scale}"
            )
        check_choice("task", self.task, TASK_NAMES)

    @property
    def int_range(self) -> tuple[int, int]:
        """The integers a message may carry."""
        b = self.message_bits
        if b == 0:
            return 0, 1
        if self.signed:
            return -(1 << (b - 1)), (1 << (b - 1)) - 1
        return 0, (1 << b) - 1

    @property
    def magnitude(self) -> int:
        """Largest ``|q|`` (for worst-case bounds in the converter)."""
        lo, hi = self.int_range
        return max(-lo, hi)

    def describe(self) -> str:
        lo, hi = self.int_range
        kind = (
            "binary spikes"
            if self.message_bits == 0
            else (f"{self.message_bits}-bit {'signed' if self.signed else 'unsigned'}")
        )
        return (
            f"{self.channels} channels x {self.steps or 'any'} steps, {kind} "
            f"in [{lo}, {hi}] x scale {self.scale:g}"
        )

    def encode(self, x: np.ndarray, name: str = "x") -> np.ndarray:
        """``round_half_away(x / scale)`` as integers, refusing values outside
        :attr:`int_range` (the message names the range and the first one)."""
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise ValueError(f"{name}: expected numbers, got dtype {x.dtype}")
        if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
            raise ValueError(f"{name}: contains NaN or infinite values")
        if x.dtype.kind in "biu" and self.scale == 1.0:
            q = x.astype(np.int64)
        else:
            q = round_half_away(x.astype(np.float64) / self.scale).astype(np.int64)
        lo, hi = self.int_range
        bad = np.flatnonzero((q < lo) | (q > hi))
        if bad.size:
            idx = tuple(int(i) for i in np.unravel_index(bad[0], q.shape))
            raise ValueError(
                f"{name}: {x[idx]!r} at index {idx} encodes to {q[idx]}, outside "
                f"[{lo}, {hi}] of {self.describe()}"
            )
        return q

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> InputSpec:
        if not isinstance(data, dict):
            raise ValueError(f"input spec: expected a dict, got {type(data).__name__}")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"input spec: unknown fields {sorted(unknown)}")
        return cls(**data)


#: The built-in tasks' encodings.
BUILTIN_SPECS = {
    "smnist": InputSpec(1, 784, 1 / 255, False, 8, "smnist"),
    "psmnist": InputSpec(1, 784, 1 / 255, False, 8, "psmnist"),
    "shd": InputSpec(140, 100, 1.0, False, 0, "shd"),
    "ssc": InputSpec(140, 250, 1.0, False, 8, "ssc"),
}


def task_spec(task: str) -> InputSpec:
    """The :class:`InputSpec` of a built-in task."""
    check_choice("task", task, tuple(BUILTIN_SPECS))
    return BUILTIN_SPECS[task]


class SequenceDataset:
    """Labelled sequences on the integer grid of an :class:`InputSpec`.

    Attributes
    ----------
    ints : numpy.ndarray
        ``(n, channels, T)`` integers, zero-padded past each length.
    y : torch.Tensor
        ``(n,)`` labels (int64).
    lengths : torch.Tensor or None
        ``(n,)`` valid steps; None when every sequence has ``T`` steps.
    spec : InputSpec
    x : torch.Tensor
        ``(n, channels, T)`` float32 ``ints * scale``: what the network sees.
    """

    permutation = None

    def __init__(
        self, ints: np.ndarray, y: np.ndarray, lengths, spec: InputSpec
    ) -> None:
        import torch

        self.ints = ints
        self.spec = spec
        self.y = torch.as_tensor(np.asarray(y, dtype=np.int64))
        full = lengths is None or bool(np.all(np.asarray(lengths) == ints.shape[2]))
        self.lengths = None if full else torch.as_tensor(np.asarray(lengths, np.int64))
        self.x = torch.from_numpy((ints * spec.scale).astype(np.float32))

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]

    def sequence(self, i: int) -> np.ndarray:
        """Sample ``i`` as Lava takes it: integers ``(T_i, channels)``."""
        n = self.ints.shape[2] if self.lengths is None else int(self.lengths[i])
        return self.ints[i, :, :n].T.astype(np.int64)

    def take(self, n: int) -> SequenceDataset:
        """The first ``n`` samples."""
        lengths = None if self.lengths is None else self.lengths[:n].numpy()
        return SequenceDataset(self.ints[:n], self.y[:n].numpy(), lengths, self.spec)


def _smallest_int(q: np.ndarray) -> np.ndarray:
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if q.size == 0 or (q.min() >= info.min and q.max() <= info.max):
            return q.astype(dtype)
    return q


def infer_spec(
    x: np.ndarray,
    scale: float | None = None,
    message_bits: int | None = None,
    signed: bool | None = None,
    steps: int = 0,
) -> InputSpec:
    """The encoding of training data ``x (n, channels, T)`` by the rule of the
    module docstring (what is given is kept)."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"x: expected numbers, got dtype {x.dtype}")
    finite = x if x.dtype.kind != "f" else x[np.isfinite(x)]
    if finite.size != x.size:
        raise ValueError("x: contains NaN or infinite values")
    binary = bool(np.all((x == 0) | (x == 1)))
    if signed is None:
        signed = bool(x.size and x.min() < 0)
    if message_bits is None:
        message_bits = 0 if binary and not signed else 8
    if scale is None:
        integral = x.dtype.kind in "biu" or bool(np.all(x == np.trunc(x)))
        if message_bits == 0 or integral:
            scale = 1.0
        else:
            q_max = (1 << (message_bits - 1)) - 1 if signed else (1 << message_bits) - 1
            scale = float(np.max(np.abs(x))) / q_max or 1.0
    return InputSpec(
        channels=int(x.shape[1]),
        steps=steps,
        scale=float(scale),
        signed=bool(signed),
        message_bits=int(message_bits),
    )


def from_arrays(
    x,
    y,
    lengths=None,
    spec: InputSpec | None = None,
    *,
    scale: float | None = None,
    message_bits: int | None = None,
    signed: bool | None = None,
) -> SequenceDataset:
    """A :class:`SequenceDataset` from arrays.

    Parameters
    ----------
    x : array ``(n, channels, T)`` or a list of ``(channels, T_i)`` arrays
        Sequences (a list is zero-padded to the longest, its lengths kept).
    y : array ``(n,)``
        Integer labels >= 0.
    lengths : array ``(n,)`` or None
        Valid steps of each padded sequence (``1 <= length <= T``).
    spec : InputSpec or None
        The encoding to use (test data of a trained network); None derives it
        from ``x`` (module docstring), keeping ``scale``, ``message_bits`` and
        ``signed`` where given.
    """
    if isinstance(x, (list, tuple)):
        seqs = [np.asarray(s) for s in x]
        if not seqs:
            raise ValueError("x: no sequences")
        if any(s.ndim != 2 for s in seqs) or len({s.shape[0] for s in seqs}) != 1:
            raise ValueError(
                f"x: expected (channels, time) arrays with one channel count, got "
                f"shapes {sorted({s.shape for s in seqs})[:4]}"
            )
        given = [s.shape[1] for s in seqs]
        padded = np.zeros((len(seqs), seqs[0].shape[0], max(given)), seqs[0].dtype)
        for i, s in enumerate(seqs):
            padded[i, :, : s.shape[1]] = s
        x = padded
        if lengths is None:
            lengths = given
    x = np.asarray(x)
    if x.ndim != 3 or 0 in x.shape:
        raise ValueError(f"x: expected shape (samples, channels, time), got {x.shape}")
    y = np.asarray(y)
    if y.shape != (x.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"y: expected {x.shape[0]} integer labels, got shape {y.shape} of {y.dtype}"
        )
    if y.size and y.min() < 0:
        raise ValueError(f"y: labels must be >= 0, found {int(y.min())}")
    if lengths is not None:
        lengths = np.asarray(lengths)
        if lengths.shape != (x.shape[0],) or lengths.dtype.kind not in "iu":
            raise ValueError(
                f"lengths: expected {x.shape[0]} integers, got shape {lengths.shape}"
            )
        if lengths.min() < 1 or lengths.max() > x.shape[2]:
            raise ValueError(
                f"lengths: must lie in [1, {x.shape[2]}] (the padded time axis), "
                f"found [{int(lengths.min())}, {int(lengths.max())}]"
            )
        # what lies past a length is padding: the network never sees it
        mask = np.arange(x.shape[2])[None, None, :] < lengths[:, None, None]
        x = np.where(mask, x, 0)
    if spec is None:
        spec = infer_spec(x, scale, message_bits, signed, steps=int(x.shape[2]))
    elif x.shape[1] != spec.channels:
        raise ValueError(
            f"x: the data has {x.shape[1]} channels (shape {x.shape}), the network "
            f"takes {spec.channels} ({spec.describe()})"
        )
    elif spec.steps and x.shape[2] > spec.steps:
        raise ValueError(
            f"x: the data has sequences of {x.shape[2]} steps (shape {x.shape}), "
            f"the network was trained on at most {spec.steps} "
            f"({spec.describe()})"
        )
    ints = _smallest_int(spec.encode(x))
    return SequenceDataset(ints, y, lengths, spec)


def load_npz(
    path: str | os.PathLike, split: str | None = None, spec: InputSpec | None = None
) -> SequenceDataset:
    """Read an ``.npz`` of the contract.

    Keys: ``x`` (n, channels, T), ``y`` (n,), optional ``lengths`` (n,),
    optional ``split`` (n,) of ``"train"``/``"test"`` (or 0/1), optional
    scalars ``scale``, ``message_bits``, ``signed`` (the encoding; else
    derived from the whole file, every split, see the module docstring).
    ``split`` selects those samples; a file without a ``split`` key is all one
    split. ``spec`` (a trained network's) overrides the file's encoding.
    """
    path = Path(path)
    if path.is_dir() or not path.is_file():
        raise FileNotFoundError(f"data: {path} does not exist or is not a file")
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except Exception as err:  # noqa: BLE001 - zip and format errors
        raise ValueError(
            f"data: {path} is not a readable .npz ({type(err).__name__}: {err})"
        ) from None
    missing = {"x", "y"} - set(data)
    if missing:
        raise ValueError(
            f"data: {path} lacks {sorted(missing)}; expected keys x (n, channels, "
            f"T), y (n,), optional lengths, split, scale, message_bits, signed"
        )
    x, y, lengths = data["x"], data["y"], data.get("lengths")
    if spec is None:  # one encoding for the whole file: every split fits it
        kw = {}
        for key, cast in (("scale", float), ("message_bits", int), ("signed", bool)):
            if key in data:
                kw[key] = cast(data[key])
        whole = from_arrays(x, y, lengths, **kw)
        spec = whole.spec
    if split is not None and "split" in data:
        which = _split_mask(data["split"], split, len(y), path)
        x, y = x[which], y[which]
        lengths = None if lengths is None else lengths[which]
        if not len(y):
            raise ValueError(f"data: {path} has no {split!r} samples")
    return from_arrays(x, y, lengths, spec)


def _split_mask(split_arr: np.ndarray, split: str, n: int, path) -> np.ndarray:
    check_choice("split", split, ("train", "test"))
    arr = np.asarray(split_arr)
    if arr.shape != (n,):
        raise ValueError(f"data: {path}: split must have shape ({n},), got {arr.shape}")
    if arr.dtype.kind in "iub":
        values = {0: "train", 1: "test"}
        if not set(np.unique(arr).tolist()) <= set(values):
            raise ValueError(
                f"data: {path}: an integer split takes 0 (train), 1 (test)"
            )
        return arr == (1 if split == "test" else 0)
    names = arr.astype(str)
    if not set(np.unique(names).tolist()) <= {"train", "test"}:
        raise ValueError(f"data: {path}: split values must be 'train' or 'test'")
    return names == split


def load_module(target: str, split: str, spec: InputSpec | None = None):
    """``module:factory``: import ``module``, call ``factory(split)`` and turn
    what it returns (an object of the contract) into a dataset."""
    if not isinstance(target, str) or target.count(":") != 1:
        raise ValueError(f"data_module: expected 'module:factory', got {target!r}")
    mod_name, attr = target.split(":")
    try:
        factory = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"data_module: cannot load {target!r} ({err})") from None
    if not callable(factory):
        raise ValueError(f"data_module: {target!r} is not callable")
    return as_dataset(factory(split), spec)


def as_dataset(data, spec: InputSpec | None = None, name: str = "data"):
    """A dataset the trainer and the runners take, from any object of the
    contract (module docstring). Datasets of this package pass through."""
    if hasattr(data, "x") and hasattr(data, "y") and hasattr(data, "spec"):
        return data
    if not (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
        raise ValueError(
            f"{name}: expected an object with __len__ and __getitem__ returning "
            f"(x (channels, time), y[, length]), got {type(data).__name__}"
        )
    if len(data) == 0:
        raise ValueError(f"{name}: the dataset is empty")
    xs, ys, lens = [], [], []
    for i in range(len(data)):
        item = data[i]
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise ValueError(
                f"{name}: item {i} must be (x, y) or (x, y, length), got "
                f"{type(item).__name__}"
            )
        x = _numpy(item[0])
        if x.ndim != 2:
            raise ValueError(
                f"{name}: item {i}: x must be (channels, time), got shape {x.shape}"
            )
        xs.append(x)
        ys.append(int(_numpy(item[1])))
        lens.append(int(_numpy(item[2])) if len(item) == 3 else x.shape[1])
    return from_arrays(xs, np.asarray(ys, dtype=np.int64), np.asarray(lens), spec)


def _numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, on any device
        value = value.detach().cpu().numpy()
    return np.asarray(value)
