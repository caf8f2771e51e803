"""The dataset contract of your own data and its integer encoding."""

import math

import numpy as np
import pytest
import torch

from lava_dmp.datasets.custom import (
    InputSpec,
    as_dataset,
    from_arrays,
    infer_spec,
    load_module,
    load_npz,
)


def bumps(n: int, seed: int, channels: int = 4, t_min: int = 20, t_max: int = 40):
    """A variable-length temporal task: class 0 when a bump on channel 0
    comes before one on channel 1, class 1 the reverse, class 2 both at once;
    small signed noise on every channel; zero past each length."""
    rng = np.random.default_rng(seed)
    t = np.arange(t_max)
    x = np.zeros((n, channels, t_max))
    y = rng.integers(0, 3, n)
    lengths = rng.integers(t_min, t_max + 1, n)
    for i in range(n):
        a, b = sorted(rng.choice(np.arange(2, lengths[i] - 4), 2, replace=False))
        first, second = (0, 1) if y[i] != 1 else (1, 0)
        if y[i] == 2:
            a = b
        x[i, first] += np.exp(-0.5 * ((t - a) / 1.5) ** 2)
        x[i, second] += np.exp(-0.5 * ((t - b) / 1.5) ** 2)
        x[i] += 0.1 * rng.standard_normal((channels, t_max))
        x[i, :, lengths[i] :] = 0
    return x, y, lengths


def _half_away(v):
    return math.copysign(math.floor(abs(v) + 0.5), v)


def test_encoding_rounds_half_away_from_zero():
    spec = InputSpec(1, scale=0.5, signed=True, message_bits=4)
    x = np.array([[0.25, -0.25, 0.75, 1.25, -1.25, 0.7, 3.25, -4.0]])
    expected = [_half_away(v / 0.5) for v in x[0]]
    assert spec.encode(x)[0].tolist() == expected
    assert expected[:5] == [1, -1, 2, 3, -3]  # numpy's rint would give 0, -0, 2, 2


@pytest.mark.parametrize(
    "spec, value, message",
    [
        (InputSpec(1, message_bits=7), 128, r"outside \[0, 127\] of .*7-bit unsigned"),
        (InputSpec(1, message_bits=7, signed=True), -65, r"outside \[-64, 63\]"),
        (InputSpec(1, message_bits=7, signed=True), 64, r"outside \[-64, 63\]"),
        (InputSpec(1), 2, r"outside \[0, 1\] of .*binary spikes"),
        (InputSpec(1, scale=0.01, message_bits=8), 2.56, r"encodes to 256"),
    ],
)
def test_values_outside_the_messages_are_refused_naming_the_range(spec, value, message):
    x = np.zeros((1, 5))
    x[0, 3] = value
    with pytest.raises(ValueError, match=message):
        spec.encode(x)
    x[0, 3] = 0
    assert spec.encode(x).sum() == 0


def test_spec_inferred_by_the_documented_rule():
    spikes = (np.random.default_rng(0).random((3, 2, 9)) < 0.3).astype(float)
    assert infer_spec(spikes) == InputSpec(2, 0, 1.0, False, 0)
    counts = np.arange(3 * 2 * 9).reshape(3, 2, 9) % 50
    assert infer_spec(counts) == InputSpec(2, 0, 1.0, False, 8)
    graded = np.linspace(0, 2.0, 3 * 2 * 9).reshape(3, 2, 9)
    spec = infer_spec(graded)
    assert spec.scale == pytest.approx(2.0 / 255) and not spec.signed
    signed = graded - 1.0
    spec = infer_spec(signed)
    assert spec.signed and spec.scale == pytest.approx(1.0 / 127)
    # the largest magnitude lands on the top of the grid
    assert np.abs(spec.encode(signed)).max() == 127


def test_variable_lengths_are_padded_and_masked():
    x, y, lengths = bumps(6, 0)
    ds = from_arrays(x, y, lengths)
    assert ds.lengths.tolist() == lengths.tolist()
    for i in range(6):
        seq = ds.sequence(i)
        assert seq.shape == (lengths[i], 4)
        assert np.array_equal(seq, ds.spec.encode(x[i, :, : lengths[i]]).T)
        assert not ds.ints[i, :, lengths[i] :].any()
    # the network sees exactly the rounded values
    assert torch.equal(ds.x, torch.from_numpy((ds.ints * ds.spec.scale).astype("f4")))
    # a list of sequences of their own lengths gives the same dataset
    listed = from_arrays([x[i, :, : lengths[i]] for i in range(6)], y)
    longest = int(lengths.max())  # padded to the longest given
    assert np.array_equal(listed.ints, ds.ints[:, :, :longest])
    assert listed.spec.steps == longest and listed.spec.scale == ds.spec.scale


def test_npz_split_keys_and_test_data_encoded_with_the_training_spec(tmp_path):
    x, y, lengths = bumps(10, 1)
    split = np.array(["train"] * 7 + ["test"] * 3)
    path = tmp_path / "d.npz"
    np.savez(path, x=x, y=y, lengths=lengths, split=split)
    train = load_npz(path, "train")
    test = load_npz(path, "test", train.spec)
    assert len(train) == 7 and len(test) == 3 and test.spec == train.spec
    assert test.lengths.tolist() == lengths[7:].tolist()
    np.savez(path, x=x, y=y, message_bits=6, scale=0.05, signed=True)
    fixed = load_npz(path)
    assert fixed.spec.message_bits == 6 and fixed.spec.scale == 0.05
    np.savez(path, x=x)
    with pytest.raises(ValueError, match=r"lacks \['y'\]"):
        load_npz(path)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_npz(tmp_path / "bad.npz")


def test_test_data_of_another_shape_is_refused_naming_both():
    spec = InputSpec(4, 40, 0.01, True, 8)
    x, y, lengths = bumps(3, 2, channels=5)
    with pytest.raises(ValueError, match=r"5 channels \(shape \(3, 5, 40\)\).* 4"):
        from_arrays(x, y, lengths, spec)
    x, y, lengths = bumps(3, 2, t_min=41, t_max=50)
    with pytest.raises(ValueError, match=r"50 steps .*at most 40"):
        from_arrays(x, y, lengths, spec)


class _Contract(torch.utils.data.Dataset):
    """A user's dataset: items (x (channels, T_i) tensor, y, length)."""

    def __init__(self, n):
        self.x, self.y, self.lengths = bumps(n, 3)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.y[i]), int(self.lengths[i])


def factory(split):
    return _Contract(5 if split == "train" else 3)


def test_any_object_of_the_contract_and_a_module_factory():
    user = _Contract(5)
    ds = as_dataset(user)
    assert ds.lengths.tolist() == user.lengths.tolist()
    assert ds.y.tolist() == user.y.tolist()
    assert as_dataset(ds) is ds
    via_module = load_module(f"{__name__}:factory", "test")
    assert len(via_module) == 3
    with pytest.raises(ValueError, match="__len__ and __getitem__"):
        as_dataset(42)
    with pytest.raises(ValueError, match="module:factory"):
        load_module("no_colon", "train")
