import numpy as np
import pytest

from lava_dmp.cli import main
from lava_dmp.datasets.shd import load_spike_dataset
from lava_dmp.datasets.synthetic import CHANNELS, synthetic_trains


def test_rates_match_the_documented_model():
    trains, labels = synthetic_trains(300, seed=3, warp=0.0, shift=0)
    counts = np.array([len(t) for t, _ in trains])
    # noise 1 Hz x 700 channels + 3 segments x 40 channels x 40 Hz x 0.25 s
    assert counts.mean() == pytest.approx(CHANNELS * 1.0 + 3 * 40 * 40 * 0.25, rel=0.03)
    for t, u in trains[:20]:
        assert np.all(np.diff(t) >= 0) and t.min() >= 0 and t.max() < 1.0
        assert u.min() >= 0 and u.max() < CHANNELS
    assert set(labels) == set(range(20))


def test_classes_differ_and_files_load_as_shd(tmp_path, capsys):
    assert (
        main(
            [
                "synthetic-shd",
                "--output",
                str(tmp_path),
                "--train",
                "60",
                "--test",
                "20",
                "--json",
            ]
        )
        == 0
    )
    train = load_spike_dataset("shd", "train", tmp_path)
    test = load_spike_dataset("shd", "test", tmp_path)
    assert train.x.shape == (60, 140, 100) and len(test.labels) == 20
    assert train.dropped == 0
    # a nearest-class-mean classifier on channel profiles beats chance by far:
    # the classes are separable, as a training test set must be
    prof = train.x.sum(axis=2).astype(float)
    means = np.stack(
        [
            prof[train.labels == c].mean(0)
            if np.any(train.labels == c)
            else np.full(140, np.inf)
            for c in range(20)
        ]
    )
    test_prof = test.x.sum(axis=2).astype(float)
    pred = np.argmin(((test_prof[:, None] - means[None]) ** 2).sum(-1), axis=1)
    assert np.mean(pred == test.labels) > 0.5
