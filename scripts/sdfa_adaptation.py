#!/usr/bin/env python
"""The adaptation experiment of docs/sdfa.md, table (b): a trained S-MNIST
network, shifted to a new pixel permutation, fine-tuned with each rule.

For every rule (bptt, sdfa, sdfa-local, and sdfa with --update-delay 1) and
every learning rate of ``--lrs``, the network is fine-tuned with batch 16 on
the first ``--samples`` training digits of PS-MNIST (``--perm-seed``), one
epoch, as ``lava-dmp train --task psmnist --perm-seed P --init-from CKPT
--rule R --batch-size 16 --limit-train N --epochs 1 --lr LR`` does. The
learning rate is chosen on a validation split, the last 5000 training digits
in the new order (never seen in fine-tuning); the chosen run's test accuracy
is then measured on the first ``--test`` test digits in the new order
(shifted) and in the original order (forgetting). Writes a JSON of every
measurement.

    .venv/bin/python scripts/sdfa_adaptation.py --checkpoint pretrained:smnist

``--checkpoint`` takes a checkpoint path or a shipped network
(``pretrained:NAME``), as ``--init-from`` does.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import make_dataset, validation_split
from lava_dmp.train.trainer import TrainConfig, evaluate, initial_network, train

RULES = {
    "bptt": dict(rule="bptt"),
    "sdfa": dict(rule="sdfa"),
    "sdfa-local": dict(rule="sdfa-local"),
    "sdfa, update delay 1": dict(rule="sdfa", update_delay=1),
    # the control: what training the readout alone gets (the hidden layers
    # frozen, so no rule moves them), to tell what each rule's hidden-layer
    # updates add to it
    "readout only": dict(rule="bptt", freeze_hidden=True),
}


def _validation(perm_seed: int, data_dir=None):
    return validation_split(make_dataset("psmnist", "train", perm_seed, None, data_dir))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--output", default="runs/sdfa-adaptation")
    p.add_argument("--perm-seed", type=int, default=7)
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--test", type=int, default=10000)
    p.add_argument("--lrs", type=float, nargs="+", default=[1e-4, 1e-3, 1e-2])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--rules",
        nargs="+",
        default=list(RULES),
        choices=list(RULES),
        help="rules to train now (an earlier call's runs of the others are kept)",
    )
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    base, _ = initial_network(args.checkpoint)
    net_cfg = base.cfg
    val = _validation(args.perm_seed, args.data_dir)
    shifted = make_dataset("psmnist", "test", args.perm_seed, args.test, args.data_dir)
    original = make_dataset("smnist", "test", 0, args.test, args.data_dir)
    # An earlier call's runs (same output folder) are kept, so that widening
    # --lrs or adding a rule trains only what is new; so are its measurements
    # of the starting network and of the chosen runs, for the same test size.
    earlier, before = {}, None
    if (out / "adaptation.json").exists():
        old = json.loads((out / "adaptation.json").read_text())
        same = old.get("checkpoint") == args.checkpoint and old.get("test") == args.test
        before = old["before"] if same else None
        for r in old["runs"]:
            if Path(r["checkpoint"]).exists():
                if not same:
                    r.pop("shifted_test", None), r.pop("original_test", None)
                earlier[(r["rule"], r["lr"])] = r
    record = {
        "checkpoint": args.checkpoint,
        "test": args.test,
        "before": before
        or {
            "shifted_test": evaluate(base, shifted),
            "original_test": evaluate(base, original),
            "validation": evaluate(base, val),
        },
        "runs": [],
    }
    print("before", record["before"], flush=True)
    for name, kw in RULES.items():
        kept = {lr for rule, lr in earlier if rule == name}
        for lr in sorted(kept | set(args.lrs) if name in args.rules else kept):
            if (name, lr) in earlier:
                record["runs"].append(earlier[(name, lr)])
                print("kept", earlier[(name, lr)], flush=True)
                continue
            freeze = kw.get("freeze_hidden", False)
            cfg = TrainConfig(
                task="psmnist",
                perm_seed=args.perm_seed,
                epochs=1,
                batch_size=16,
                lr=lr,
                limit_train=args.samples,
                limit_test=500,
                init_from=args.checkpoint,
                threads=args.threads,
                **kw,
            )
            folder = out / (
                f"{'readout' if freeze else kw['rule']}-"
                f"d{kw.get('update_delay', 0)}-lr{lr:g}"
            )
            t0 = time.perf_counter()
            res = train(
                net_cfg, cfg, folder, progress=False, overwrite=True, log=lambda m: None
            )
            seconds = time.perf_counter() - t0
            net, _ = network_from_checkpoint(res["checkpoint"])
            row = {
                "rule": name,
                "lr": lr,
                "train_seconds": round(res["seconds"], 1),
                "wall_seconds": round(seconds, 1),
                "validation": evaluate(net, val),
                "command": (
                    f"lava-dmp train --task psmnist --perm-seed {args.perm_seed} "
                    f"--init-from {args.checkpoint} --rule {kw['rule']}"
                    + (
                        f" --update-delay {kw['update_delay']}"
                        if "update_delay" in kw
                        else ""
                    )
                    + (" --freeze-hidden" if freeze else "")
                    + f" --batch-size 16 --limit-train {args.samples} --epochs 1 "
                    f"--lr {lr:g} --sizes {','.join(map(str, net_cfg.sizes))} "
                    f"--order {net_cfg.order} --theta {net_cfg.theta:g}"
                ),
                "checkpoint": res["checkpoint"],
            }
            record["runs"].append(row)
            print(row, flush=True)
        runs = [r for r in record["runs"] if r["rule"] == name]
        if not runs:
            continue
        best = max(runs, key=lambda r: r["validation"])
        for r in runs:
            if r is not best:
                r.pop("chosen", None), r.pop("shifted_test", None)
                r.pop("original_test", None)
        if "shifted_test" not in best:
            net, _ = network_from_checkpoint(best["checkpoint"])
            best["shifted_test"] = evaluate(net, shifted)
            best["original_test"] = evaluate(net, original)
        best["chosen"] = True
        print("chosen", name, best, flush=True)
        tmp = out / "adaptation.json.tmp"
        tmp.write_text(json.dumps(record, indent=1))
        tmp.replace(out / "adaptation.json")


if __name__ == "__main__":
    main()
