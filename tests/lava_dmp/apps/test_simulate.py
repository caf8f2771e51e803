"""``lava-dmp simulate``: an untrained network in Lava, float and fixed, on a
real MNIST digit, checked against the golden model."""

import json

import pytest

from lava_dmp.cli import main
from tests.lava_dmp.datasets.test_mnist import needs_mnist

pytestmark = pytest.mark.timeout(600)


@needs_mnist
def test_simulate_cli_json(tmp_path, capsys):
    assert main(["simulate", "--output", str(tmp_path), "--json", "--index", "3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["label"] == 0
    assert summary["fixed_vs_golden_mismatches"] == 0
    assert summary["fixed_scores_equal_golden"]
    assert all(a > 0.9 for a in summary["spike_agreement_float_vs_fixed"])
    assert all(s > 0 for s in summary["spikes_fixed"])
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "demo_summary.json").read_text()) == summary
