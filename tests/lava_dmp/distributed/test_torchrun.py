"""Data-parallel training and sharded evaluation under ``torchrun`` (2 CPU
ranks, gloo) against the single process: the same weights within float32
rounding, resume across world sizes both ways, the same counts and costs from
disjoint shares, and a failing rank that ends the run with its error."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from lava_dmp import distributed
from lava_dmp.cli import main
from lava_dmp.cost.run import cost_network
from lava_dmp.netx.deploy import run_exported
from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import make_dataset
from lava_dmp.train.trainer import evaluate
from tests.lava_dmp.datasets.test_custom import bumps

pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[3]
# 49 training sequences in batches of 16: the last batch of one sample
# leaves rank 1 an empty share; two hidden layers give SDFA a hidden error
TRAIN = ["--task", "custom", "--sizes", "4,16,12,3", "--order", "4", "--theta", "30"]
TRAIN += ["--lr", "1e-2", "--batch-size", "16", "--limit-train", "49"]
TRAIN += ["--threads", "1", "--no-progress"]
# float32 gradients summed in another order (per rank, then all-reduced)
RTOL, ATOL = 1e-4, 1e-6


def _torchrun(args: list[str], timeout: float = 240, env: dict | None = None):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    cmd += ["--standalone", *args]  # a free port of its own
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a timeout ends torchrun and its ranks
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _weights(folder: Path) -> dict:
    return torch.load(folder / "checkpoint.pt", weights_only=False)


def _assert_same_weights(a: dict, b: dict) -> None:
    assert a["epoch"] == b["epoch"]
    for key, value in a["model"].items():
        torch.testing.assert_close(value, b["model"][key], rtol=RTOL, atol=ATOL)
    for ha, hb in zip(a["history"], b["history"], strict=True):
        assert ha["train_loss"] == pytest.approx(hb["train_loss"], rel=1e-5)
        assert ha["test_acc"] == hb["test_acc"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    x, y, lengths = bumps(80, 0)
    split = np.array(["train"] * 60 + ["test"] * 20)
    np.savez(root / "data.npz", x=x, y=y, lengths=lengths, split=split)
    return root / "data.npz"


def _single(data: Path, out: Path, *extra: str) -> None:
    argv = ["train", *TRAIN, "--data", str(data), "--output", str(out), *extra]
    assert main(argv) == 0


@pytest.mark.parametrize("rule", ["bptt", "sdfa"])
def test_two_ranks_train_as_one_process_and_resume_across_world_sizes(
    data, tmp_path, rule
):
    one, two = tmp_path / "one", tmp_path / "two"
    _single(data, one, "--rule", rule, "--epochs", "2")
    if rule == "bptt":  # 2 ranks for epoch 1, then 1 process resumes epoch 2
        args = ["-m", "lava_dmp", "train", *TRAIN, "--data", str(data)]
        proc = _torchrun([*args, "--rule", rule, "--epochs", "1", "--output", str(two)])
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert _weights(two)["history"][0]["ranks"] == 2
        assert main(["train", "--resume", "--epochs", "2", "--output", str(two)]) == 0
    else:  # 1 process for epoch 1, then 2 ranks resume epoch 2
        _single(data, two, "--rule", rule, "--epochs", "1")
        args = ["-m", "lava_dmp", "train", "--resume", "--epochs", "2"]
        proc = _torchrun([*args, "--output", str(two)])
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert _weights(two)["history"][1]["ranks"] == 2
        # only rank 0 reports
        assert proc.stdout.count("lava-dmp train [rank 0]:") == 1
        assert "[rank 1]" not in proc.stdout
    a, b = _weights(one), _weights(two)
    _assert_same_weights(a, b)
    first = next(iter(a["model"]))  # and the run really trained
    fresh = tmp_path / "fresh"
    _single(data, fresh, "--rule", rule, "--epochs", "1", "--lr", "1e-12")
    assert not torch.allclose(_weights(fresh)["model"][first], a["model"][first])


def test_sharded_evaluate_run_and_cost_equal_one_process(data, tmp_path):
    run = tmp_path / "run"
    _single(data, run, "--epochs", "1")
    ckpt, network = run / "checkpoint.pt", tmp_path / "net.h5"
    assert main(["export", str(ckpt), str(network)]) == 0
    worker = ["-m", "tests.lava_dmp.distributed.worker"]
    proc = _torchrun([*worker, str(ckpt), str(network), str(data), str(tmp_path)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    # the single process, here
    net, _ = network_from_checkpoint(ckpt)
    test = make_dataset("custom", "test", 0, None, None, data=str(data))
    acc = evaluate(net, test, batch_size=3)
    ran = run_exported(network, 5, ckpt, data=str(data), progress=False)
    cost = cost_network(network, 12, lava_samples=3, data=str(data), batch=2)
    for got in ranks:  # every rank holds the whole result
        assert got["world"] == 2
        assert got["evaluate"] == acc
        for key in ("lava_spikes", "lava_accuracy", "spike_mismatches"):
            assert got["run"][key] == ran[key], key
        assert got["run"]["quantised_accuracy"] == ran["quantised_accuracy"]
        assert got["cost"]["designs"] == json.loads(
            json.dumps(cost["designs"], default=float)
        )
        assert got["cost"]["lava_check"]["counts_equal_fast_path"]
    # disjoint, covering, non-empty shares of the 5 samples
    assert ranks[0]["run"]["shares"] == [[0, 2], [2, 5]]
    assert ran["spike_mismatches"] == 0 and ran["lava_spikes"] > 0


def test_a_failing_rank_ends_the_run_with_its_error(tmp_path):
    args = ["-m", "lava_dmp", "train", *TRAIN, "--epochs", "1"]
    args = [a for a in args if a not in ("--limit-train", "49")]
    args += ["--data-module", "tests.lava_dmp.distributed.failing_data:factory"]
    t0 = time.perf_counter()
    proc = _torchrun(
        [*args, "--output", str(tmp_path / "out")],
        timeout=120,
        env={distributed.TIMEOUT_ENV: "60"},
    )
    assert time.perf_counter() - t0 < 90  # ended, not hung in a collective
    assert proc.returncode != 0
    assert "lava-dmp train [rank 1]: error: rank 1 lost its data disk" in proc.stderr, (
        proc.stderr[-3000:]
    )
    assert "Traceback" not in proc.stderr.split("[rank 1]: error")[0][-2000:]


def test_shares_are_contiguous_disjoint_and_balanced():
    for n in range(0, 40):
        for world in range(1, 7):
            shares = [distributed.share(n, r, world) for r in range(world)]
            assert shares[0][0] == 0 and shares[-1][1] == n
            for (_, hi), (lo, _) in zip(shares, shares[1:]):
                assert hi == lo
            sizes = [hi - lo for lo, hi in shares]
            assert max(sizes) - min(sizes) <= 1


def test_commands_that_run_in_one_process_refuse_torchrun(monkeypatch, capsys):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    assert main(["synthetic-shd", "--output", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "torchrun: lava-dmp synthetic-shd runs in one process" in err
    assert not Path("nowhere").exists()
