"""The main job end to end on a real MNIST digit, and the CLI around it."""

import json

import pytest

from lava_dmp.cli import main
from tests.lava_dmp.datasets.test_mnist import needs_mnist

pytestmark = pytest.mark.timeout(600)


@needs_mnist
def test_main_job_train_export_lava(tmp_path, capsys):
    assert (
        main(
            [
                "demo",
                "--output",
                str(tmp_path),
                "--json",
                "--limit-train",
                "64",
                "--limit-test",
                "32",
                "--epochs",
                "1",
                "--lava-samples",
                "3",
                "--sizes",
                "1,24,10",
                "--order",
                "6",
                "--no-progress",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["lava_spike_mismatches"] == 0
    assert summary["lava_prediction_agreement"] == 1.0
    assert summary["lava_samples"] == 3 and summary["test_samples"] == 32
    assert 0.0 <= summary["quantised_test_acc"] <= 1.0
    assert (tmp_path / "lava_run.png").stat().st_size > 5_000
    assert (tmp_path / "net.h5").is_file()


def test_demo_cli_missing_data(tmp_path, capsys):
    assert (
        main(["demo", "--data-dir", str(tmp_path), "--output", str(tmp_path / "o")])
        == 2
    )
    assert "MNIST file" in capsys.readouterr().err
