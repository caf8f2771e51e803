"""lava-dmp train -> export -> run from the command line, on real MNIST."""

import json

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
    assert exported["format_version"] == 1
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


def test_cli_errors_are_clear(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"junk")
    assert main(["export", str(bad), str(tmp_path / "n.h5")]) == 2
    assert "checkpoint" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.h5")]) == 2
    assert "does not exist" in capsys.readouterr().err
