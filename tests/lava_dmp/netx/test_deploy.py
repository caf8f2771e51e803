"""lava-dmp train -> export -> run from the command line, on real MNIST."""

import json

import numpy as np
import pytest

from lava_dmp.cli import main
from tests.lava_dmp.datasets.test_mnist import needs_mnist

pytestmark = pytest.mark.timeout(900)


@needs_mnist
def test_cli_train_export_run(tmp_path, capsys):
    out = tmp_path / "train"
    assert (
        main(
            [
                "train",
                "--task",
                "psmnist",
                "--sizes",
                "1,12,10",
                "--order",
                "4",
                "--theta",
                "100",
                "--epochs",
                "1",
                "--limit-train",
                "32",
                "--limit-test",
                "16",
                "--batch-size",
                "16",
                "--output",
                str(out),
                "--json",
                "--no-progress",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["stop_reason"] == "done" and summary["params"]["paper"] > 0
    net = tmp_path / "net.h5"
    assert main(["export", str(out / "checkpoint.pt"), str(net), "--json"]) == 0
    exported = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert exported["format_version"] == 2
    assert (
        main(
            [
                "run",
                str(net),
                "--samples",
                "2",
                "--checkpoint",
                str(out / "checkpoint.pt"),
                "--json",
            ]
        )
        == 0
    )
    ran = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ran["spike_mismatches"] == 0 and ran["prediction_agreement"] == 1.0
    assert ran["lava_spikes"] > 0
    ckpt = str(out / "checkpoint.pt")
    argv = ["evaluate", ckpt, "--limit-test", "2", "--quantised", "--json"]
    assert main(argv) == 0
    ev = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ev["forward"] == "quantised" and ev["samples"] == 2
    assert ev["test_acc"] == ran["quantised_accuracy"]


def test_cli_errors_are_clear(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"junk")
    assert main(["export", str(bad), str(tmp_path / "n.h5")]) == 2
    assert "checkpoint" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.h5")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_shd_schema_train_export_run(tmp_path, capsys):
    from tests.lava_dmp.datasets.test_shd import write_shd

    rng = np.random.default_rng(0)
    for split, n in (("train", 24), ("test", 4)):
        trains = [
            (np.sort(rng.uniform(0, 1.0, 400)), rng.integers(0, 700, 400))
            for _ in range(n)
        ]
        write_shd(tmp_path / f"shd_{split}.h5", trains, rng.integers(0, 20, n))
    out = tmp_path / "train"
    assert (
        main(
            [
                "train",
                "--task",
                "shd",
                "--sizes",
                "140,16,20",
                "--order",
                "4",
                "--theta",
                "40",
                "--init-std",
                "0.08",
                "--epochs",
                "1",
                "--batch-size",
                "8",
                "--data-dir",
                str(tmp_path),
                "--output",
                str(out),
                "--json",
                "--no-progress",
            ]
        )
        == 0
    )
    capsys.readouterr()
    net = tmp_path / "net.h5"
    assert main(["export", str(out / "checkpoint.pt"), str(net)]) == 0
    assert (
        main(
            [
                "run",
                str(net),
                "--samples",
                "3",
                "--checkpoint",
                str(out / "checkpoint.pt"),
                "--data-dir",
                str(tmp_path),
                "--json",
            ]
        )
        == 0
    )
    ran = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert ran["samples"] == 3 and ran["spike_mismatches"] == 0
    assert ran["lava_spikes"] > 0


@needs_mnist
def test_cli_ablation_flags(tmp_path, capsys):
    out = tmp_path / "abl"
    assert (
        main(
            [
                "train",
                "--sizes",
                "1,8,10",
                "--order",
                "3",
                "--epochs",
                "1",
                "--limit-train",
                "16",
                "--limit-test",
                "8",
                "--batch-size",
                "8",
                "--no-fast-path",
                "--output",
                str(out),
                "--json",
                "--no-progress",
            ]
        )
        == 0
    )
    capsys.readouterr()
    from lava_dmp.train.trainer import load_checkpoint

    state = load_checkpoint(out / "checkpoint.pt")
    assert state["net"]["fast_path"] is False
    w = state["model"]["blocks.0.synapse.weight"].reshape(9, 1)
    assert float(w[:8].abs().max()) == 0.0
