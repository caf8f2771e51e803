"""The validation split: the last n training samples, read from the raw data."""

import numpy as np
import pytest

from lava_dmp.datasets.custom import from_arrays
from lava_dmp.datasets.mnist import load_mnist
from lava_dmp.train.data import make_dataset, permutation, validation_split
from tests.lava_dmp.datasets.test_coded_mnist import _latency_loop
from tests.lava_dmp.datasets.test_mnist import needs_mnist


@needs_mnist
def test_sequential_mnist_split_is_the_last_digits_in_the_pixel_order():
    full = make_dataset("psmnist", "train", 3, 300)
    val = validation_split(full, 50)
    images, labels = load_mnist("train")
    raw = images[250:300].reshape(50, 784)[:, permutation(3)]
    assert len(val) == 50 and len(full) == 300  # the full set is untouched
    assert np.array_equal(val.x[:, 0].numpy(), raw.astype(np.float32) / 255)
    assert np.array_equal(val.y.numpy(), labels[250:300])
    assert np.array_equal(val.sequence(7)[:, 0], raw[7])  # what Lava is fed


@needs_mnist
def test_coded_mnist_split_encodes_the_last_images_on_the_fly():
    images, labels = load_mnist("train")
    grey = images[:200].reshape(200, 784)
    late = validation_split(
        make_dataset("mnist-latency", "train", limit=200, steps=9), 20
    )
    assert np.array_equal(late.x[:].numpy(), _latency_loop(grey[180:], 9))
    assert np.array_equal(late.y.numpy(), labels[180:200])
    rate = validation_split(make_dataset("mnist-rate", "train", limit=200, steps=9), 20)
    # sample i of the split draws from (stream, i), as sample i of a dataset does
    u = np.random.default_rng([rate.stream, 4]).random((784, 9))
    assert np.array_equal(rate.x[4].numpy(), (u < grey[184, :, None] / 255.0))


def test_custom_split_keeps_lengths_and_integers():
    rng = np.random.default_rng(0)
    ints = rng.integers(-3, 4, (10, 2, 6))
    lengths = rng.integers(1, 7, 10)
    full = from_arrays(ints, np.arange(10) % 3, lengths)
    val = validation_split(full, 4)
    padded = ints.copy()  # the contract: zero past each sequence's length
    for i, n in enumerate(lengths):
        padded[i, :, n:] = 0
    assert np.array_equal(val.lengths.numpy(), lengths[6:])
    assert np.array_equal(val.x.numpy(), padded[6:])
    assert np.array_equal(val.y.numpy(), np.arange(6, 10) % 3)
    assert np.array_equal(val.sequence(2), ints[8, :, : lengths[8]].T)


def test_split_size_out_of_range_names_the_parameter():
    full = from_arrays(np.zeros((5, 1, 3), int), np.zeros(5, int))
    for n in (0, 5):
        with pytest.raises(ValueError, match="^n: must be"):
            validation_split(full, n)
