"""Rate- and latency-coded MNIST against plain per-pixel formulas."""

import json
import math

import numpy as np
import torch

from lava_dmp.cli import main
from lava_dmp.datasets.coded_mnist import TEST_STREAM, CodedMNIST, encode
from tests.lava_dmp.datasets.test_mnist import needs_mnist


def _latency_loop(pixels, steps):
    """The latency code written per pixel: fire once at floor((1 - p) T),
    clipped to the last step; black pixels never."""
    out = np.zeros((len(pixels), pixels.shape[1], steps), dtype=np.uint8)
    for n in range(len(pixels)):
        for c in range(pixels.shape[1]):
            p = pixels[n, c] / 255.0
            if p > 0:
                out[n, c, min(steps - 1, math.floor((1 - p) * steps))] = 1
    return out


def test_latency_code_is_the_per_pixel_formula():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (3, 784)).astype(np.uint8)
    pixels[:, :5] = [0, 1, 128, 254, 255]
    for steps in (1, 10, 25):
        s = encode(pixels, np.arange(3), "latency", steps, stream=0)
        assert np.array_equal(s, _latency_loop(pixels, steps))
        # one spike per lit pixel, white at step 0, black silent
        assert np.array_equal(s.sum(axis=2), (pixels > 0).astype(np.uint8))
        assert s[:, 4, 0].all() and not s[:, 0].any()


def test_rate_code_rate_and_reproducibility():
    grey = np.array([[0, 51, 128, 204, 255] * 4], dtype=np.uint8)  # (1, 20)
    steps = 20000
    s = encode(grey, np.array([7]), "rate", steps, stream=3)
    rate = s[0].mean(axis=1)
    p = grey[0] / 255.0
    # binomial: 5 standard deviations; p = 0 never fires, p = 1 always
    assert np.all(np.abs(rate - p) <= 5 * np.sqrt(p * (1 - p) / steps) + 1e-12)
    assert rate[0] == 0 and rate[4] == 1
    # a sample's spikes depend on (stream, index) only, not on its batch
    batch = np.repeat(grey, 3, axis=0)
    a = encode(batch, np.array([5, 7, 9]), "rate", 30, stream=3)
    assert np.array_equal(a[1], encode(grey, np.array([7]), "rate", 30, 3)[0])
    assert not np.array_equal(a[0], a[1])  # other index, other draws
    assert not np.array_equal(a[1], encode(grey, np.array([7]), "rate", 30, 4)[0])


@needs_mnist
def test_dataset_streams_lengths_and_lava_sequences():
    ds = CodedMNIST("train", "mnist-rate", steps=12, limit=64)
    assert ds.x.shape == (64, 784, 12) and ds.spec.steps == 12
    assert ds.spec.message_bits == 0 and ds.spec.task == "mnist-rate"
    idx = torch.tensor([9, 3, 40])
    ds.set_epoch(5)
    e5 = ds.x[idx]
    assert e5.dtype == torch.float32 and e5.shape == (3, 784, 12)
    assert torch.equal(e5[1], ds.x[3])  # indexing alone picks the spikes
    ds.set_epoch(6)
    assert not torch.equal(ds.x[idx], e5)  # a new epoch, new spikes
    assert np.array_equal(ds.sequence(3), ds.x[3].numpy().T.astype(np.int64))
    test = CodedMNIST("test", "mnist-rate", steps=12, limit=8)
    assert test.stream == TEST_STREAM
    again = CodedMNIST("test", "mnist-rate", steps=12, limit=4)
    assert torch.equal(test.x[:4], again.x[:4])  # limit never changes a sample


def test_steps_refused_outside_the_coded_tasks(capsys):
    assert main(["train", "--task", "smnist", "--steps", "10", "--epochs", "1"]) == 2
    assert "--steps" in capsys.readouterr().err
    rc = main(["train", "--task", "mnist-rate", "--steps", "0", "--epochs", "1"])
    assert rc == 2 and "--steps" in capsys.readouterr().err


@needs_mnist
def test_rate_coded_lif_mlp_trains_exports_and_runs_in_lava(tmp_path, capsys):
    """An LIF MLP (no memory) trained with SDFA on 10-step rate code: Lava
    runs the exported network on 10 steps (+1 drain) with 0 mismatches."""
    out = tmp_path / "run"
    argv = (
        "train --task mnist-rate --steps 10 --sizes 784,64,10 --no-memory "
        "--rule sdfa --lr 1e-2 --limit-train 512 --limit-test 64 --epochs 1 "
        f"--threads 1 --no-progress --json --output {out}"
    )
    assert main(argv.split()) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["rule"] == "sdfa" and trained["history"][0]["epoch"] == 1
    net = tmp_path / "net.h5"
    assert main(["export", str(out / "checkpoint.pt"), str(net)]) == 0
    capsys.readouterr()
    argv = f"run {net} --samples 4 --checkpoint {out}/checkpoint.pt --json"
    assert main(argv.split() + ["--no-progress"]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert ran["task"] == "mnist-rate" and ran["spike_mismatches"] == 0
    assert ran["lava_spikes"] > 0
    argv = f"cost {net} --samples 2 --json --output {tmp_path / 'cost'}"
    assert main(argv.split() + ["--no-progress"]) == 0
    cost = json.loads(capsys.readouterr().out)
    assert cost["steps_per_sample"] == 11
