"""Spiking Heidelberg Digits (SHD) and Spiking Speech Commands (SSC).

Reads the official HDF5 files (``spikes/times`` and ``spikes/units`` ragged
per sample, ``labels``; Cramer et al., IEEE TNNLS 2020), bins the events with a
fixed bin width over a fixed duration (docs/training.md: 100 bins over
1.0 s for SHD, 250 over 1.0 s for SSC; events past the window are dropped
and counted) and pools the 700 channels to 140 (max over groups of 5 for
SHD, as the reference does, sum for SSC).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from lava_dmp._checks import check_choice, check_int, check_positive
from lava_dmp.datasets.paths import DATA_ENV, data_root

__all__ = ["SpikeDataset", "load_spike_dataset", "bin_events", "SPLITS", "DEFAULTS"]

SPLITS = {"shd": ("train", "test"), "ssc": ("train", "valid", "test")}
DEFAULTS = {
    "shd": dict(bins=100, duration=1.0, pool="max"),
    "ssc": dict(bins=250, duration=1.0, pool="sum"),
}
CHANNELS = 700


@dataclass
class SpikeDataset:
    """Binned, pooled event data: ``x`` ``(n, channels, bins)`` uint8 counts
    (0/1 after max pooling), ``labels`` ``(n,)``, ``dropped`` events past the
    window."""

    x: np.ndarray
    labels: np.ndarray
    dropped: int


def bin_events(
    times: np.ndarray,
    units: np.ndarray,
    bins: int,
    duration: float,
    pool: int = 5,
    mode: str = "max",
) -> tuple[np.ndarray, int]:
    """One sample's events to a ``(700 / pool, bins)`` frame.

    ``mode='max'``: 1 where any channel of the group fired in the bin;
    ``'sum'``: the number of events of the group in the bin (saturating at
    255). Returns the frame and the number of events at ``t >= duration``.
    """
    times = np.asarray(times, dtype=np.float64)
    units = np.asarray(units, dtype=np.int64)
    if times.shape != units.shape:
        raise ValueError("spikes: times and units differ in length")
    if units.size and (units.min() < 0 or units.max() >= CHANNELS):
        raise ValueError(f"spikes/units: must lie in [0, {CHANNELS - 1}]")
    keep = (times >= 0) & (times < duration)
    idx = np.floor(times[keep] / duration * bins).astype(np.int64)
    counts = np.zeros((CHANNELS // pool, bins), dtype=np.int64)
    np.add.at(counts, (units[keep] // pool, idx), 1)
    frame = (counts > 0) if mode == "max" else np.minimum(counts, 255)
    return frame.astype(np.uint8), int((~keep).sum())


def _path(task: str, split: str, data_dir) -> Path:
    root = data_root(data_dir)
    name = f"{task}_{split}.h5"
    for folder in (root / task, root):
        if (folder / name).is_file():
            return folder / name
    expected = ", ".join(f"{task}_{s}.h5" for s in SPLITS[task])
    raise FileNotFoundError(
        f"data_dir: '{name}' not found in {root / task} or {root}. {task.upper()} "
        f"needs the official HDF5 files ({expected}) of the Spiking Heidelberg "
        f"Datasets (Cramer et al., 2020), unpacked from their .gz archives. Pass "
        f"--data-dir or set {DATA_ENV}."
    )


def load_spike_dataset(
    task: str,
    split: str,
    data_dir: str | os.PathLike | None = None,
    bins: int | None = None,
    duration: float | None = None,
    limit: int | None = None,
) -> SpikeDataset:
    """Load and bin one split of SHD or SSC (defaults in :data:`DEFAULTS`)."""
    check_choice("task", task, tuple(SPLITS))
    check_choice("split", split, SPLITS[task])
    cfg = DEFAULTS[task]
    bins = check_int("bins", cfg["bins"] if bins is None else bins, minimum=1)
    duration = check_positive(
        "duration", cfg["duration"] if duration is None else duration
    )
    path = _path(task, split, data_dir)
    try:
        with h5py.File(path, "r") as f:
            times, units = f["spikes/times"], f["spikes/units"]
            labels = np.asarray(f["labels"][()], dtype=np.int64)
            n = (
                len(labels)
                if limit is None
                else min(len(labels), check_int("limit", limit, 1))
            )
            if len(times) < n or len(units) < n:
                raise ValueError(f"data_dir: {path} has fewer spike trains than labels")
            frames, dropped = [], 0
            for i in range(n):
                frame, lost = bin_events(
                    times[i], units[i], bins, duration, 5, cfg["pool"]
                )
                frames.append(frame)
                dropped += lost
    except (KeyError, OSError) as err:
        raise ValueError(
            f"data_dir: {path} is not an SHD/SSC HDF5 file "
            f"(spikes/times, spikes/units, labels): {err}"
        ) from err
    if n == 0:
        raise ValueError(f"data_dir: {path} holds no samples")
    return SpikeDataset(np.stack(frames), labels[:n], dropped)
