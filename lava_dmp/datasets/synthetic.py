"""Synthetic spike-train classification data in the official SHD HDF5 schema.

For machines without the Spiking Heidelberg Digits (they cannot be fetched
here): 20 classes of 1 s spike trains over 700 channels, written as
``shd_train.h5`` and ``shd_test.h5`` so that every SHD code path (binning,
pooling, training, export, Lava, cost) runs on them unchanged.

Each class is a sequence of three "formant" segments, like a spoken digit's
sweep over the cochlear channels: segment ``j`` of class ``c`` covers the
channels within ``+-band/2`` of a class-specific centre during
``[0.1 + 0.25 j, 0.35 + 0.25 j]`` s. Inside a segment every channel fires as
a Poisson process at ``rate_hz``; everywhere else at ``noise_hz``. Per
sample the whole pattern is stretched in time by a factor in
``[1 - warp, 1 + warp]`` and shifted by up to ``shift`` channels. With the
defaults (40 Hz, 1 Hz noise, 40-channel bands) a sample holds about 1900
spikes; after 5-to-1 max pooling and 10 ms bins about 12 of the 140 pooled
channels are active per bin (11.96 measured over 200 samples).
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from lava_dmp._checks import check_int, check_positive
from lava_dmp.outputs import atomic_write, claim_output

__all__ = ["synthetic_trains", "write_spike_file", "write_synthetic_shd"]

CHANNELS = 700
SEGMENTS = 3


def write_spike_file(path: str | os.PathLike, trains, labels) -> None:
    """Write ``(times, units)`` pairs and labels in the SHD HDF5 schema
    (ragged ``spikes/times`` in seconds, ``spikes/units``, ``labels``),
    atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        ft = h5py.vlen_dtype(np.float32)
        fu = h5py.vlen_dtype(np.uint16)
        times = f.create_dataset("spikes/times", (len(trains),), dtype=ft)
        units = f.create_dataset("spikes/units", (len(trains),), dtype=fu)
        for i, (t, u) in enumerate(trains):
            times[i] = np.asarray(t, dtype=np.float32)
            units[i] = np.asarray(u, dtype=np.uint16)
        f.create_dataset("labels", data=np.asarray(labels, dtype=np.uint16))
    os.replace(tmp, path)


def synthetic_trains(
    n: int,
    seed: int,
    classes: int = 20,
    rate_hz: float = 40.0,
    noise_hz: float = 1.0,
    band: int = 40,
    warp: float = 0.1,
    shift: int = 5,
    class_seed: int = 1234,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """``n`` labelled spike trains (see the module docstring)."""
    n = check_int("n", n, minimum=1)
    classes = check_int("classes", classes, minimum=2)
    check_positive("rate_hz", rate_hz)
    centres = np.random.default_rng(class_seed).integers(
        band, CHANNELS - band, (classes, SEGMENTS)
    )
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    trains = []
    for c in labels:
        stretch = 1.0 + rng.uniform(-warp, warp)
        offset = rng.integers(-shift, shift + 1)
        times, units = [], []
        # background: a Poisson process per channel over the whole second
        k = rng.poisson(noise_hz * CHANNELS)
        times.append(rng.uniform(0, 1, k))
        units.append(rng.integers(0, CHANNELS, k))
        for j in range(SEGMENTS):
            t0 = (0.1 + 0.25 * j) * stretch
            t1 = min(t0 + 0.25 * stretch, 1.0)
            lo = int(np.clip(centres[c, j] + offset - band // 2, 0, CHANNELS - band))
            k = rng.poisson(rate_hz * band * (t1 - t0))
            times.append(rng.uniform(t0, t1, k))
            units.append(rng.integers(lo, lo + band, k))
        t, u = np.concatenate(times), np.concatenate(units)
        order = np.argsort(t)
        trains.append((t[order], u[order]))
    return trains, labels


def write_synthetic_shd(
    folder: str | os.PathLike,
    train: int = 8000,
    test: int = 2000,
    seed: int = 0,
    overwrite: bool = False,
    **kw,
) -> dict:
    """Write ``shd_train.h5`` and ``shd_test.h5`` into ``folder`` (refusing
    earlier ones unless ``overwrite``)."""
    train = check_int("train", train, minimum=1)
    test = check_int("test", test, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    folder = claim_output(folder, ("shd_train.h5", "shd_test.h5"), overwrite)
    draws = {
        split: synthetic_trains(n, s, **kw)
        for split, n, s in (("train", train, seed), ("test", test, seed + 1))
    }
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, (trains, labels) in draws.items():
        n = len(labels)
        atomic_write(
            folder / f"shd_{split}.h5",
            lambda tmp, t=trains, lb=labels: write_spike_file(tmp, t, lb),
            "data",
        )
        out[split] = {
            "samples": n,
            "mean_spikes": float(np.mean([len(t) for t, _ in trains])),
        }
    out["folder"] = str(folder)
    return out
