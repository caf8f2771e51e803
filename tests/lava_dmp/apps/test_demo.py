"""``lava-dmp demo``, the main job: the shipped network in Lava, its cost, a
short training run, and a figure of traces probed from Lava."""

import json

import numpy as np
import pytest

from lava_dmp.apps.demo import probe_digit
from lava_dmp.cli import main
from lava_dmp.pretrained import load
from tests.lava_dmp.datasets.test_mnist import needs_mnist

pytestmark = [pytest.mark.timeout(900), needs_mnist]


def test_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--output", str(out), "--lava-samples", "3", "--cost-samples"]
    assert main([*argv, "10", "--no-progress", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert json.loads((out / "summary.json").read_text()) == summary
    lava = summary["pretrained"]["lava"]
    assert lava["spike_mismatches"] == 0 and lava["spikes"] > 0
    assert lava["prediction_agreement"] == 1.0
    assert summary["training"]["float_test_acc"] > 0.3
    assert summary["training"]["lava_spike_mismatches"] == 0
    assert {"dmp-128-fit", "loihi-like", "reckon-like"} <= set(
        summary["cost"]["designs"]
    )
    assert summary["cost"]["samples"] == 10
    assert (out / "lava_run.png").stat().st_size > 50_000
    assert sorted(p.name for p in out.iterdir()) == [
        "lava_run.png",
        "summary.json",
        "traces.npz",
        "train",
    ]

    # the traces are real: a second, separate Lava run probes the same
    traces = dict(np.load(out / "traces.npz"))
    pre = load("smnist")
    again = probe_digit(pre.network, pre.test_set(1).sequence(0))
    for key in ("v0", "m0", "v1", "m1", "s0", "s1", "scores"):
        assert np.array_equal(traces[key], again[key]), key
    for k in range(2):
        v, s = traces[f"v{k}"], traces[f"s{k}"]
        fired = s.sum(axis=0) > 0
        assert fired.any() and (v[:, fired] != 0).any(axis=0).all()
        assert np.all(v[s.astype(bool)] == 0), "hard reset: v is 0 where it spiked"
        assert (traces[f"m{k}"] != 0).any()
    assert traces["label"] == summary["traces"]["label"]

    # the terminal summary is an aligned table
    from lava_dmp.apps.demo import print_demo

    print_demo(summary)
    text = capsys.readouterr().out
    assert "spike mismatches Lava vs quantised forward" in text
    rows = [ln.split() for ln in text.splitlines() if ln.startswith("   dmp-128-fit")]
    assert len(rows) == 1 and len(rows[0]) == 4
