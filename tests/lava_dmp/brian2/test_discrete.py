"""Reading (a) against the Lava float models: same v and m, same spikes."""

import numpy as np
import pytest

from lava_dmp.brian2.discrete import run_discrete
from lava_dmp.brian2.validate import default_layers, run_lava_float
from lava_dmp.convert import DMPLayerParams
from lava_dmp.train.data import make_dataset


def _compare(layers, x, graded):
    lava = run_lava_float(layers, x, graded=graded)
    brian = run_discrete(layers, x)
    spikes = 0
    for a, b in zip(lava, brian):
        assert np.abs(a["v"] - b["v"]).max() < 1e-9
        assert np.abs(a["m"] - b["m"]).max() < 1e-9
        np.testing.assert_array_equal(a["s"], b["s"])
        spikes += int(a["s"].sum())
    assert spikes > 0  # the comparison covers spikes and resets


def test_random_spikes_two_layers_dilation_and_soft_reset():
    layers = [
        DMPLayerParams.random(12, 5, 4, seed=1, std=0.8),
        DMPLayerParams.random(7, 12, 3, seed=2, std=0.8, dilation=2, reset="soft"),
    ]
    x = (np.random.default_rng(0).random((80, 5)) < 0.4).astype(float)
    _compare(layers, x, graded=False)


def test_mnist_digit():
    data = make_dataset("smnist", "test", limit=1)
    x = data.pixels[0][200:500, None] / 255.0
    _compare(default_layers(), x, graded=True)


def test_bad_input_is_refused():
    layers = default_layers()
    with pytest.raises(ValueError, match="inputs: expected shape"):
        run_discrete(layers, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        run_discrete(layers, np.full((10, 1), np.nan))
