"""A ``--data-module`` for the failing-rank test: rank 1 cannot load its
training data."""

import os

from tests.lava_dmp.datasets.test_custom import bumps


def factory(split: str):
    if split == "train" and os.environ.get("RANK") == "1":
        raise OSError("rank 1 lost its data disk (a test of a failing rank)")
    x, y, lengths = bumps(40 if split == "train" else 12, 0 if split == "train" else 1)
    return [(x[i], int(y[i]), int(lengths[i])) for i in range(len(y))]
