"""SHD/SSC reader on small files written in the official HDF5 schema."""

import h5py
import numpy as np
import pytest

from lava_dmp.datasets.shd import bin_events, load_spike_dataset
from lava_dmp.datasets.synthetic import write_spike_file


def write_shd(path, trains, labels):
    write_spike_file(path, trains, labels)


def test_binning_and_pooling_by_hand():
    times = [0.0, 0.004, 0.0101, 0.5, 0.999, 1.0, 1.2]
    units = [0, 4, 5, 699, 12, 3, 3]
    frame, dropped = bin_events(times, units, bins=100, duration=1.0, mode="max")
    assert frame.shape == (140, 100) and dropped == 2
    expected = np.zeros((140, 100), dtype=np.uint8)
    expected[0, 0] = 1  # units 0 and 4 share group 0 and bin 0: max -> 1
    expected[1, 1] = 1  # unit 5 at 10.1 ms -> group 1, bin 1
    expected[139, 50] = 1
    expected[2, 99] = 1
    assert np.array_equal(frame, expected)
    summed, _ = bin_events(times, units, bins=100, duration=1.0, mode="sum")
    assert summed[0, 0] == 2 and summed.sum() == 5


def test_load_files_in_schema(tmp_path):
    rng = np.random.default_rng(0)
    trains = [
        (np.sort(rng.uniform(0, 1.1, 50)), rng.integers(0, 700, 50)) for _ in range(3)
    ]
    write_shd(tmp_path / "shd_train.h5", trains, [3, 7, 19])
    ds = load_spike_dataset("shd", "train", tmp_path)
    assert ds.x.shape == (3, 140, 100) and ds.labels.tolist() == [3, 7, 19]
    assert ds.dropped == sum(int((t >= 1.0).sum()) for t, _ in trains)
    frame, _ = bin_events(*trains[1], bins=100, duration=1.0)
    assert np.array_equal(ds.x[1], frame)
    ssc = tmp_path / "ssc"
    ssc.mkdir()
    write_shd(ssc / "ssc_valid.h5", trains[:2], [1, 2])
    d2 = load_spike_dataset("ssc", "valid", tmp_path, bins=250)
    assert d2.x.shape == (2, 140, 250) and d2.x.max() >= 1


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="shd_test.h5.*Spiking Heidelberg"):
        load_spike_dataset("shd", "test", tmp_path)
    with h5py.File(tmp_path / "shd_test.h5", "w") as f:
        f.create_dataset("labels", data=np.zeros(2))
    with pytest.raises(ValueError, match="not an SHD/SSC HDF5 file"):
        load_spike_dataset("shd", "test", tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_spike_dataset("shd", "valid", tmp_path)
