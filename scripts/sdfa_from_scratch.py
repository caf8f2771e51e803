#!/usr/bin/env python
"""The from-scratch experiment of docs/sdfa.md, table (a): DMP networks
(1-200-200-10) trained from random weights with each rule for a fixed wall
time, S-MNIST (d = 20) and PS-MNIST (d = 40), theta = 300.

Three sub-commands, each resumable (a second call keeps finished runs):

``pilot``
    chooses each rule's learning rate on the validation split (the last 5000
    training digits, never trained on): one epoch on the first
    ``--pilot-train`` training digits at each rate of ``--lrs``.
``full``
    trains one rule at its chosen rate on the first 55 000 training digits
    for ``--max-minutes`` (``lava-dmp train --task T --order D --theta 300
    --rule R --lr LR --limit-train 55000 --epochs 100 --max-minutes 60
    --threads 2``, a constant rate): the test accuracy (10 000 digits) after
    every epoch it completes. Run it alone on the machine: the epochs reached
    are the measurement.
``table``
    prints, per task, each rule's epochs reached, the test accuracy at the
    last epoch every rule reached and at its own final epoch.

    .venv/bin/python scripts/sdfa_from_scratch.py pilot --task smnist
    .venv/bin/python scripts/sdfa_from_scratch.py full --task smnist --rule bptt
    .venv/bin/python scripts/sdfa_from_scratch.py table
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lava_dmp.provenance import source_commit
from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import make_dataset, validation_split
from lava_dmp.train.model import NetConfig
from lava_dmp.train.trainer import TrainConfig, evaluate, train

RULES = ("bptt", "sdfa", "sdfa-local")
ORDER = {"smnist": 20, "psmnist": 40}
TRAIN = 55_000


def _command(task: str, rule: str, lr: float, train_n: int, epochs: int, minutes):
    cmd = (
        f"lava-dmp train --task {task} --order {ORDER[task]} --theta 300 "
        f"--rule {rule} --lr {lr:g} --limit-train {train_n} --epochs {epochs} "
        "--threads 2"
    )
    return cmd + (f" --max-minutes {minutes:g}" if minutes else "")


def _train(args, rule: str, lr: float, folder: Path, train_n, epochs, minutes, test):
    net_cfg = NetConfig(order=ORDER[args.task], theta=300.0)
    cfg = TrainConfig(
        task=args.task,
        rule=rule,
        lr=lr,
        epochs=epochs,
        limit_train=train_n,
        limit_test=test,
        max_minutes=minutes,
        threads=2,
    )
    t0 = time.perf_counter()
    res = train(
        net_cfg,
        cfg,
        folder,
        data_dir=args.data_dir,
        resume=(folder / "checkpoint.pt").exists(),
        progress=False,
        log=lambda m: print(m, flush=True),
        allocator=True,  # as `lava-dmp train` does: the script owns its process
    )
    return res, round(time.perf_counter() - t0, 1)


def _load(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def pilot(args) -> None:
    out = Path(args.output) / args.task
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / "pilot.json"
    record = _load(record_path) or {"runs": []}
    done = {(r["rule"], r["lr"]) for r in record["runs"]}
    val = validation_split(make_dataset(args.task, "train", 0, None, args.data_dir))
    for rule in args.rules:
        for lr in args.lrs:
            if (rule, lr) in done:
                continue
            folder = out / f"pilot-{rule}-lr{lr:g}"
            res, wall = _train(args, rule, lr, folder, args.pilot_train, 1, None, 1000)
            net, _ = network_from_checkpoint(res["checkpoint"])
            run = {
                "rule": rule,
                "lr": lr,
                "validation": evaluate(net, val),
                "train_seconds": wall,
                "command": _command(args.task, rule, lr, args.pilot_train, 1, None)
                + " --limit-test 1000",
                "commit": source_commit() or "unknown",
            }
            record["runs"].append(run)
            print("pilot", json.dumps(run), flush=True)
            record_path.write_text(json.dumps(record, indent=1))
    record["chosen"] = {
        rule: max(
            (r for r in record["runs"] if r["rule"] == rule),
            key=lambda r: r["validation"],
        )["lr"]
        for rule in {r["rule"] for r in record["runs"]}
    }
    print("chosen", record["chosen"], flush=True)
    record_path.write_text(json.dumps(record, indent=1))


def full(args) -> None:
    out = Path(args.output) / args.task
    chosen = _load(out / "pilot.json").get("chosen", {})
    lr = args.lr if args.lr is not None else chosen.get(args.rule)
    if lr is None:
        raise SystemExit(f"no learning rate for {args.rule}: run pilot or pass --lr")
    if (out / f"full-{args.rule}.json").exists():
        raise SystemExit(f"{out}/full-{args.rule}.json exists: this run is done")
    folder = out / f"full-{args.rule}"
    res, wall = _train(args, args.rule, lr, folder, TRAIN, 100, args.max_minutes, None)
    hist = res["history"]
    run = {
        "task": args.task,
        "rule": args.rule,
        "lr": lr,
        "epochs_reached": len(hist),
        "test_per_epoch": [h["test_acc"] for h in hist],
        "epoch_seconds": [h["seconds"] for h in hist],
        "wall_seconds": wall,
        "stop_reason": res.get("stop_reason"),
        "command": _command(args.task, args.rule, lr, TRAIN, 100, args.max_minutes),
        "commit": source_commit() or "unknown",
        "finished": time.strftime("%Y-%m-%d %H:%M"),
    }
    print("full", json.dumps(run), flush=True)
    (out / f"full-{args.rule}.json").write_text(json.dumps(run, indent=1))


def table(args) -> None:
    for task in ORDER:
        runs = [_load(Path(args.output) / task / f"full-{rule}.json") for rule in RULES]
        runs = [r for r in runs if r]
        if not runs:
            continue
        common = min(r["epochs_reached"] for r in runs)
        print(f"{task}: accuracy at epoch {common} (reached by every rule run)")
        for r in runs:
            acc = r["test_per_epoch"]
            print(
                f"  {r['rule']:<11} lr {r['lr']:<6g} epochs {r['epochs_reached']:>3}  "
                f"at epoch {common}: {100 * acc[common - 1]:.2f} %  "
                f"final: {100 * acc[-1]:.2f} %  wall {r['wall_seconds']:.0f} s"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    for name in ("pilot", "full", "table"):
        s = sub.add_parser(name)
        s.add_argument("--output", default="runs/sdfa-from-scratch")
        s.add_argument("--data-dir", default=None)
        if name != "table":
            s.add_argument("--task", choices=list(ORDER), default="smnist")
    sub.choices["pilot"].add_argument("--rules", nargs="+", default=list(RULES))
    sub.choices["pilot"].add_argument(
        "--lrs", type=float, nargs="+", default=[1e-3, 3e-3, 1e-2]
    )
    sub.choices["pilot"].add_argument("--pilot-train", type=int, default=20_000)
    sub.choices["full"].add_argument("--rule", choices=RULES, required=True)
    sub.choices["full"].add_argument("--lr", type=float, default=None)
    sub.choices["full"].add_argument("--max-minutes", type=float, default=60.0)
    args = p.parse_args()
    {"pilot": pilot, "full": full, "table": table}[args.what](args)


if __name__ == "__main__":
    main()
