"""Faults and bad input through the command line, run in-process.

Each case of the table gives ``lava-dmp`` a corrupted file or a bad value and
asserts exit status 2, one line on stderr naming the parameter or file, no
traceback, and no file created, changed or removed under the test folder.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from lava_dmp.cli import main
from lava_dmp.train.model import NetConfig
from lava_dmp.train.trainer import TrainConfig, load_checkpoint, train
from tests.lava_dmp.datasets.test_mnist import needs_mnist

pytestmark = needs_mnist

NET = NetConfig(sizes=(1, 12, 10), order=4, theta=60.0, init_std=0.3)
TRAIN_ARGS = [
    "train",
    "--task",
    "psmnist",
    "--sizes",
    "1,12,10",
    "--order",
    "4",
    "--theta",
    "60",
    "--init-std",
    "0.3",
    "--epochs",
    "1",
    "--limit-train",
    "32",
    "--limit-test",
    "16",
    "--batch-size",
    "16",
    "--perm-seed",
    "5",
    "--no-progress",
]


def _cfg(**kw) -> TrainConfig:
    base = dict(
        task="psmnist",
        epochs=1,
        batch_size=16,
        limit_train=32,
        limit_test=16,
        perm_seed=5,
        threads=1,
    )
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """A small trained checkpoint and its export, shared by the cases."""
    root = tmp_path_factory.mktemp("trained")
    train(NET, _cfg(), root / "run", progress=False, log=lambda m: None)
    assert main(["export", str(root / "run/checkpoint.pt"), str(root / "net.h5")]) == 0
    other = NetConfig(sizes=(1, 8, 10), order=3, theta=60.0, init_std=0.3)
    train(other, _cfg(), root / "other", progress=False, log=lambda m: None)
    return {
        "ckpt": root / "run" / "checkpoint.pt",
        "net": root / "net.h5",
        "other": root / "other" / "checkpoint.pt",
    }


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "dir"
        for p in sorted(folder.rglob("*"))
    }


# -- builders of bad inputs: each returns the argv tail, given a folder -------


def _copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


def _h5_edit(trained, tmp, edit) -> Path:
    path = _copy(trained["net"], tmp / "bad.h5")
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _replace(f, name, value):
    del f[name]
    f[name] = value


def _odd_mantissa(f):
    w = f["layer/0/weight"][()]
    w[0, 0] = 3
    _replace(f, "layer/0/weight", w)


def _readout_wraps(f):
    w = f["layer/1/weight"][()].astype(np.int64)
    w[0, 0] = 2**33 + 5
    _replace(f, "layer/1/weight", w)


def _bad_perm(f):
    _replace(f, "meta/permutation", np.zeros(784, dtype=np.int64))


def _ckpt(trained, tmp, edit) -> Path:
    state = torch.load(trained["ckpt"], weights_only=False)
    path = tmp / "bad.pt"
    torch.save(edit(state), path)
    return path


def _with(state, **kw):
    return {**state, **kw}


def _without(state, key):
    return {k: v for k, v in state.items() if k != key}


def _nan_weights(state):
    model = dict(state["model"])
    key = next(iter(model))
    model[key] = torch.full_like(model[key], float("nan"))
    return _with(state, model=model)


def _gz_corrupt(tmp) -> Path:
    data = tmp / "data"
    data.mkdir()
    from lava_dmp.datasets.mnist import MNIST_FILES, mnist_dir

    for name in MNIST_FILES["test"]:
        raw = (mnist_dir() / name).read_bytes()
        packed = gzip.compress(raw)
        (data / f"{name}.gz").write_bytes(packed[: len(packed) // 2])
    return data


def _labels_out_of_range(tmp) -> Path:
    from lava_dmp.datasets.mnist import MNIST_FILES, mnist_dir

    data = tmp / "data"
    data.mkdir()
    for split in ("train", "test"):
        img, lbl = MNIST_FILES[split]
        (data / img).write_bytes((mnist_dir() / img).read_bytes())
        raw = bytearray((mnist_dir() / lbl).read_bytes())
        raw[8] = 12  # the first label
        (data / lbl).write_bytes(bytes(raw))
    return data


def _hardware(tmp, **change) -> Path:
    from lava_dmp.cost.hardware import HardwareSpec

    spec = HardwareSpec().to_dict()
    spec.update(change)
    path = tmp / "hw.json"
    path.write_text(json.dumps(spec))
    return path


def _file(path: Path, data: bytes = b"{}") -> Path:
    """Write ``data`` to ``path``; return the folder for an output, else the
    file."""
    path.write_bytes(data)
    return path.parent if path.suffix == ".json" else path


def _bad_train(flag: str, value: str):
    """``train`` with one bad value (an output folder of its own, so that a
    check that failed to refuse could not write into the working tree)."""
    return lambda tr, t: [*TRAIN_ARGS, "--output", str(t / "o"), flag, value]


def _prior_run(tmp) -> Path:
    out = tmp / "out"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes(b"an earlier run")
    (out / "metrics.jsonl").write_text('{"epoch": 1}\n')
    return out


CASES = {
    # 1. no data loss in an existing output folder
    "train over another run": (
        lambda tr, t: [*TRAIN_ARGS, "--output", str(_prior_run(t))],
        r"holds another run's files \(checkpoint.pt, metrics.jsonl\).*--resume",
    ),
    "train output is a file": (
        lambda tr, t: [*TRAIN_ARGS, "--output", str(_copy(tr["net"], t / "f"))],
        r"output: .* is a file",
    ),
    "demo lava-samples 0": (
        lambda tr, t: ["demo", "--output", str(_prior_run(t)), "--lava-samples", "0"],
        r"--lava-samples: must be >= 1",
    ),
    "demo train-samples 10": (
        lambda tr, t: ["demo", "--output", str(t / "o"), "--train-samples", "10"],
        r"--train-samples: must be >= 128",
    ),
    "export onto an existing file": (
        lambda tr, t: ["export", str(tr["ckpt"]), str(_copy(tr["net"], t / "n.h5"))],
        r"network: .*n.h5 exists; pass --overwrite",
    ),
    "export to a folder": (
        lambda tr, t: ["export", str(tr["ckpt"]), str(t)],
        r"network: .* is a folder",
    ),
    "cost over earlier results": (
        lambda tr, t: ["cost", str(tr["net"]), "--output", str(_file(t / "cost.json"))],
        r"holds another run's files \(cost.json\)",
    ),
    # 3. divergence and schedule values
    "init-std inf": (_bad_train("--init-std", "inf"), r"--init-std"),
    "init-std 0": (_bad_train("--init-std", "0"), r"--init-std: .*> 0"),
    "lr-gamma nan": (_bad_train("--lr-gamma", "nan"), r"--lr-gamma"),
    "lr-gamma 1.5": (_bad_train("--lr-gamma", "1.5"), r"\(0, 1\]"),
    "lr-step 0": (_bad_train("--lr-step", "0"), r"--lr-step: must be >= 1"),
    "max-minutes 0": (_bad_train("--max-minutes", "0"), r"--max-minutes"),
    "max-minutes nan": (
        _bad_train("--max-minutes", "nan"),
        r"--max-minutes: must be finite",
    ),
    "threads 0": (_bad_train("--threads", "0"), r"--threads: must be >= 1"),
    "lr 1e38": (_bad_train("--lr", "1e38"), r"--lr: must be in \(0, 10\]"),
    "dropout 1": (_bad_train("--dropout", "1"), r"--dropout"),
    "evaluate NaN weights": (
        lambda tr, t: ["evaluate", str(_ckpt(tr, t, _nan_weights))],
        r"non-finite weights.*diverged",
    ),
    "export NaN weights": (
        lambda tr, t: ["export", str(_ckpt(tr, t, _nan_weights)), str(t / "n.h5")],
        r"non-finite weights",
    ),
    # 4. strict resume
    "resume with another perm-seed": (
        lambda tr, t: (
            [*TRAIN_ARGS, "--output", str(tr["ckpt"].parent), "--resume"]
            + ["--perm-seed", "7"]
        ),
        r"--perm-seed: checkpoint 5, this run 7",
    ),
    "resume with another lr": (
        lambda tr, t: (
            ["train", "--output", str(tr["ckpt"].parent), "--resume"] + ["--lr", "0.5"]
        ),
        r"--lr: checkpoint 0.001, this run 0.5",
    ),
    "resume with another batch size": (
        lambda tr, t: (
            ["train", "--output", str(tr["ckpt"].parent), "--resume"]
            + ["--batch-size", "8"]
        ),
        r"--batch-size: checkpoint 16, this run 8",
    ),
    "resume with another network": (
        lambda tr, t: (
            ["train", "--output", str(tr["ckpt"].parent), "--resume"] + ["--order", "5"]
        ),
        r"--order: checkpoint 4, this run 5",
    ),
    "resume and overwrite": (
        lambda tr, t: [*TRAIN_ARGS, "--output", str(t), "--resume", "--overwrite"],
        r"exclude each other",
    ),
    # 5. exported files validated on load
    "cost odd mantissa": (
        lambda tr, t: (
            ["cost", str(_h5_edit(tr, t, _odd_mantissa)), "--output"] + [str(t / "c")]
        ),
        r"network: .*bad.h5",
    ),
    "run readout outside int32": (
        lambda tr, t: ["run", str(_h5_edit(tr, t, _readout_wraps))],
        r"network: .*bad.h5",
    ),
    "run permutation not a permutation": (
        lambda tr, t: ["run", str(_h5_edit(tr, t, _bad_perm))],
        r"network: .*bad.h5.*permutation",
    ),
    # 6. no raw tracebacks
    "run truncated h5": (
        lambda tr, t: ["run", str(_file(t / "t.h5", tr["net"].read_bytes()[:2000]))],
        r"network: .*t.h5",
    ),
    "run random bytes": (
        lambda tr, t: [
            "run",
            str(_file(t / "r.h5", np.random.default_rng(0).bytes(4096))),
        ],
        r"network: .*r.h5",
    ),
    "cost empty h5": (
        lambda tr, t: ["cost", str(_file(t / "e.h5", b"")), "--output", str(t / "c")],
        r"network: .*e.h5",
    ),
    "validate-brian2 missing dataset": (
        lambda tr, t: (
            ["validate-brian2", "--network"]
            + [str(_h5_edit(tr, t, lambda f: f.__delitem__("layer/0/a_bar")))]
        ),
        r"network: .*a_bar",
    ),
    "evaluate checkpoint of a list": (
        lambda tr, t: ["evaluate", str(_ckpt(tr, t, lambda s: [1, 2]))],
        r"checkpoint: .* holds a list",
    ),
    "evaluate checkpoint without model": (
        lambda tr, t: ["evaluate", str(_ckpt(tr, t, lambda s: _without(s, "model")))],
        r"checkpoint: .* lacks \['model'\]",
    ),
    "evaluate newer checkpoint version": (
        lambda tr, t: ["evaluate", str(_ckpt(tr, t, lambda s: _with(s, version=2)))],
        r"version 2, written by a newer lava-dmp",
    ),
    "evaluate checkpoint with an extra field": (
        lambda tr, t: ["evaluate", str(_ckpt(tr, t, lambda s: _with(s, extra=1)))],
        r"unknown fields \['extra'\] \(version 1",
    ),
    "evaluate checkpoint with a newer network field": (
        lambda tr, t: [
            "evaluate",
            str(_ckpt(tr, t, lambda s: _with(s, net={**s["net"], "gain2": 1}))),
        ],
        r"unknown fields \['gain2'\]",
    ),
    "evaluate weights of another shape": (
        lambda tr, t: [
            "evaluate",
            str(_ckpt(tr, t, lambda s: _with(s, net={**s["net"], "order": 5}))),
        ],
        r"weights do not fit",
    ),
    "evaluate a folder": (lambda tr, t: ["evaluate", str(t)], r"is a folder"),
    "evaluate corrupt gz": (
        lambda tr, t: ["evaluate", str(tr["ckpt"]), "--data-dir", str(_gz_corrupt(t))],
        r"--data-dir: .*\.gz cannot be read",
    ),
    "train labels out of range": (
        lambda tr, t: (
            [*TRAIN_ARGS, "--output", str(t / "o")]
            + ["--data-dir", str(_labels_out_of_range(t))]
        ),
        r"labels must be digits 0 to 9, found 12",
    ),
    "evaluate limit-test 0": (
        lambda tr, t: ["evaluate", str(tr["ckpt"]), "--limit-test", "0"],
        r"--limit-test: must be >= 1",
    ),
    "sizes not integers": (_bad_train("--sizes", "1,a,10"), r"--sizes"),
    # 7. hardware files
    "hardware bool clock": (
        lambda tr, t: (
            ["cost", str(tr["net"]), "--output", str(t / "c")]
            + ["--hardware", str(_hardware(t, clock_mhz=True))]
        ),
        r"hardware: .*clock_mhz",
    ),
    "hardware a folder": (
        lambda tr, t: (
            ["cost", str(tr["net"]), "--output", str(t / "c")] + ["--hardware", str(t)]
        ),
        r"hardware: ",
    ),
    # 9. errors that came late or named the wrong thing
    "run checkpoint of another network": (
        lambda tr, t: ["run", str(tr["net"]), "--checkpoint", str(tr["other"])],
        r"--checkpoint: .* holds a 1-8-10 \(d = \[3\]\) network, but .* is 1-12-10",
    ),
    "run samples 0": (
        lambda tr, t: ["run", str(tr["net"]), "--samples", "0"],
        r"--samples: must be >= 1",
    ),
    "perm-seed -1": (_bad_train("--perm-seed", "-1"), r"--perm-seed"),
    "cost samples 0": (
        lambda tr, t: (
            ["cost", str(tr["net"]), "--samples", "0", "--output"] + [str(t / "c")]
        ),
        r"--samples: must be >= 1",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_cli_refuses_with_one_line(case, trained, tmp_path, capsys):
    build, message = CASES[case]
    argv = build(trained, tmp_path)
    assert argv, "the case builds its command"
    before = _snapshot(tmp_path)
    shared = _snapshot(trained["net"].parent)
    code = main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("lava-dmp ")]
    assert code == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1 and ": error: " in lines[0], err
    assert __import__("re").search(message, lines[0]), lines[0]
    assert _snapshot(tmp_path) == before, "files changed"
    assert _snapshot(trained["net"].parent) == shared, "shared files changed"


# -- bookkeeping: checkpoint first, unique temporary names, a lock -----------


def test_failed_save_keeps_checkpoint_and_metrics(tmp_path, monkeypatch):
    """A checkpoint that cannot be written (a full disk, a file size limit)
    ends the run with a clear error; the previous checkpoint, the metrics and
    the folder stay as they were: no temporary file, no metrics line."""
    import errno

    import lava_dmp.train.checkpoint as ckpt_mod

    out = tmp_path / "run"
    train(NET, _cfg(), out, progress=False, log=lambda m: None)
    before = _snapshot(out)
    real = torch.save

    def full_disk(obj, f, *a, **kw):
        real(obj, f, *a, **kw)  # the bytes hit the disk, then the error
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(ckpt_mod.torch, "save", full_disk)
    with pytest.raises(
        ValueError, match="checkpoint: could not write .*File too large"
    ):
        train(NET, _cfg(epochs=2), out, resume=True, progress=False, log=lambda m: None)
    monkeypatch.undo()
    assert _snapshot(out) == before
    # resuming afterwards continues without a duplicated epoch line
    train(NET, _cfg(epochs=2), out, resume=True, progress=False, log=lambda m: None)
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["epoch"] for ln in lines] == [1, 2]


def test_metrics_follow_the_checkpoint_on_resume(tmp_path):
    """A metrics line whose checkpoint never landed is dropped on resume."""
    out = tmp_path / "run"
    train(NET, _cfg(), out, progress=False, log=lambda m: None)
    with open(out / "metrics.jsonl", "a") as fh:
        fh.write('{"epoch": 2, "orphan": true}\n')
    train(NET, _cfg(epochs=2), out, resume=True, progress=False, log=lambda m: None)
    lines = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in lines] == [1, 2]
    assert not any("orphan" in m for m in lines)
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["resumes"] == [{"after_epoch": 1, "changed": {"epochs": [1, 2]}}]


def test_a_folder_in_use_is_refused(tmp_path):
    from lava_dmp.outputs import FolderLock

    out = tmp_path / "run"
    out.mkdir()
    with FolderLock(out):
        with pytest.raises(ValueError, match=f"in use by another run .*{os.getpid()}"):
            train(NET, _cfg(), out, progress=False, log=lambda m: None)
    assert not (out / "checkpoint.pt").exists()
    train(NET, _cfg(), out, progress=False, log=lambda m: None)  # free again
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "metrics.jsonl"]


def test_non_finite_loss_stops_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "run"
    train(NET, _cfg(), out, progress=False, log=lambda m: None)
    kept = (out / "checkpoint.pt").read_bytes()
    ce = torch.nn.functional.cross_entropy
    monkeypatch.setattr(
        torch.nn.functional, "cross_entropy", lambda s, y: ce(s, y) * float("nan")
    )
    with pytest.raises(ValueError, match="diverged: the loss is nan in epoch 2.*kept"):
        train(NET, _cfg(epochs=3), out, resume=True, progress=False, log=lambda m: None)
    assert (out / "checkpoint.pt").read_bytes() == kept
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1


def test_overwrite_starts_again(tmp_path):
    out = _prior_run(tmp_path)
    assert main([*TRAIN_ARGS, "--output", str(out), "--overwrite"]) == 0
    assert load_checkpoint(out / "checkpoint.pt")["epoch"] == 1
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1


def test_resume_takes_the_checkpoints_settings(tmp_path, capsys):
    """``--resume`` without flags continues with the stored settings (not
    the command's defaults), and a changeable flag is recorded."""
    out = tmp_path / "run"
    assert main([*TRAIN_ARGS, "--output", str(out), "--lr", "0.004"]) == 0
    argv = ["train", "--output", str(out), "--resume", "--epochs", "2"]
    assert main([*argv, "--no-progress", "--json"]) == 0
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["epoch"] == 2 and state["train"]["lr"] == 0.004
    assert state["train"]["perm_seed"] == 5 and state["net"]["sizes"] == (1, 12, 10)
    assert state["resumes"][0]["changed"] == {"epochs": [1, 2]}


def test_sigterm_during_training_keeps_the_checkpoint(tmp_path, capsys):
    """SIGTERM (in-process here) stops training at once with exit 143; the
    checkpoint of the last completed epoch stays whole and resumable."""
    out = tmp_path / "run"
    argv = [*TRAIN_ARGS, "--epochs", "3", "--output", str(out)]
    argv[argv.index("--limit-train") + 1] = "512"

    def terminate_after_first_epoch():
        deadline = time.monotonic() + 120
        while not (out / "metrics.jsonl").is_file() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_after_first_epoch, daemon=True).start()
    assert main(argv) == 143
    err = capsys.readouterr().err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["epoch"] in (1, 2)
    assert len((out / "metrics.jsonl").read_text().splitlines()) == state["epoch"]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "metrics.jsonl"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


def test_demo_failure_leaves_earlier_outputs_whole(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "summary.json").write_text('{"old": 1}')
    (out / "net.h5").write_bytes(b"old network")
    (out / "train").mkdir()
    (out / "train" / "checkpoint.pt").write_bytes(b"old checkpoint")
    before = _snapshot(out)
    code = main(["demo", "--output", str(out), "--data-dir", str(tmp_path / "none")])
    assert code == 2 and "MNIST file" in capsys.readouterr().err
    assert _snapshot(out) == before


def _tagged(tag: str) -> list[int]:
    """Live processes whose environment carries ``tag`` (forked children
    inherit it, also once they are reparented)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as fh:
                env = fh.read()
            with open(f"/proc/{name}/stat") as fh:
                zombie = fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if tag.encode() in env and not zombie:
            pids.append(int(name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_sigterm_stops_the_lava_runtime_and_every_worker(trained):
    """``lava-dmp run`` killed by SIGTERM in the middle of its Lava run (what
    ``timeout`` and job schedulers send) exits 143 within seconds and leaves
    no process behind: before, 12 Lava workers lived on under PID 1."""
    import subprocess
    import sys
    import uuid

    tag = f"LAVA_DMP_TEST_TAG={uuid.uuid4().hex}"
    env = {**os.environ, "LAVA_DMP_TEST_TAG": tag.split("=")[1]}
    cmd = [sys.executable, "-m", "lava_dmp.cli", "run", str(trained["net"])]
    proc = subprocess.Popen(
        [*cmd, "--samples", "30", "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while len(_tagged(tag)) < 4 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1].decode()
            time.sleep(0.2)
        workers = len(_tagged(tag)) - 1
        assert workers >= 3, "the Lava runtime started its workers"
        time.sleep(1.0)  # inside the run
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while _tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _tagged(tag)
    finally:
        for pid in _tagged(tag):  # never leave them to the next test
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
    assert left == [], f"{len(left)} of {workers} workers left behind"
    assert proc.returncode == 143, err.decode()
    text = err.decode()
    assert "lava-dmp run: stopped by SIGTERM" in text and "Traceback" not in text
