#!/usr/bin/env python
"""Ship a trained checkpoint as a pretrained network of the package.

Writes ``lava_dmp/pretrained/NAME.pt`` (weights only), ``NAME.h5`` (the
exported network, in the current format) and ``NAME.json`` (the provenance:
how it was trained, from which commits, and what it measures now: float
accuracy on the whole test set, float and quantised accuracy on the first
500 test digits (the package's test checks these), quantised accuracy on the
first ``--quantised-samples`` and a Lava fixed-point run of the first
``--lava-samples`` with every layer's spikes compared with the quantised
forward).

    .venv/bin/python scripts/ship_pretrained.py --name smnist \
        --checkpoint runs/smnist/checkpoint.pt \
        --command "lava-dmp train --task smnist ..." --commit SHA
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from lava_dmp.netx import read_network, run_lava_many
from lava_dmp.netx.deploy import checkpoint_spec
from lava_dmp.outputs import atomic_write, atomic_write_text
from lava_dmp.pretrained import FORMAT, NAMES, files
from lava_dmp.provenance import source_commit
from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import make_dataset
from lava_dmp.train.export import export_network, layer_spikes, quantize_network
from lava_dmp.train.trainer import evaluate


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _head() -> str:
    """The full commit of this checkout: a shipped network must name it."""
    commit = source_commit(Path(__file__).resolve().parent, short=False)
    if commit is None:
        raise SystemExit("ship_pretrained.py must run from a git checkout")
    return commit


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--name", required=True, choices=NAMES)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--command", required=True, help="the training command")
    p.add_argument("--commit", required=True, help="library commit it trained at")
    p.add_argument("--quantised-samples", type=int, default=2000)
    p.add_argument("--lava-samples", type=int, default=100)
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    net, state = network_from_checkpoint(args.checkpoint)
    net.eval()
    spec = checkpoint_spec(state)
    task, perm_seed = state["train"]["task"], state["train"]["perm_seed"]
    out = files(args.name)
    weights = {
        "format": FORMAT,
        "version": 1,
        "net": state["net"],
        "model": {k: v.detach().clone() for k, v in net.state_dict().items()},
        "input": spec.to_dict(),
        "permutation": state.get("permutation"),
    }
    atomic_write(out["weights"], lambda tmp: torch.save(weights, tmp), "weights")
    export_network(net, out["network"], spec, permutation=state.get("permutation"))
    _, _, meta = read_network(out["network"])

    test = make_dataset(task, "test", perm_seed, None, args.data_dir)
    first = make_dataset(task, "test", perm_seed, 500, args.data_dir)
    many = make_dataset(task, "test", perm_seed, args.quantised_samples, args.data_dir)
    lava = make_dataset(task, "test", perm_seed, args.lava_samples, args.data_dir)
    measured = {"float_test_acc": {"samples": len(test), "value": evaluate(net, test)}}
    measured["first_500"] = {"float": evaluate(net, first)}
    print("float", measured["float_test_acc"], flush=True)

    quantize_network(net, None, spec)
    measured["first_500"]["quantised"] = evaluate(net, first)
    measured["quantised_test_acc"] = {
        "samples": len(many),
        "value": evaluate(net, many),
    }
    print("quantised", measured["quantised_test_acc"], flush=True)

    seqs = [lava.sequence(i) for i in range(len(lava))]
    runs = run_lava_many(out["network"], seqs, progress=True)
    with torch.no_grad():
        spikes = layer_spikes(net, lava.x)
        q_pred = net.readout(spikes[-1]).argmax(dim=1).numpy()
    mism = sum(
        int(np.sum(r[f"s{k}"] != spikes[k][i].numpy().T))
        for i, r in enumerate(runs)
        for k in range(len(spikes))
    )
    lava_pred = np.array([int(np.argmax(r["scores"])) for r in runs])
    labels = lava.y.numpy()
    measured["lava"] = {
        "samples": len(runs),
        "accuracy": float(np.mean(lava_pred == labels)),
        "quantised_accuracy": float(np.mean(q_pred == labels)),
        "spike_mismatches": mism,
        "spikes": int(
            sum(int(r[f"s{k}"].sum()) for r in runs for k in range(len(spikes)))
        ),
        "prediction_agreement": float(np.mean(lava_pred == q_pred)),
    }
    print("lava", measured["lava"], flush=True)

    history = state.get("history", [])
    sizes = state["net"]["sizes"]
    record = {
        "name": args.name,
        "task": task,
        "perm_seed": perm_seed,
        "network": "-".join(map(str, sizes))
        + f", d = {state['net']['order']}, theta = {state['net']['theta']:g}",
        "params_paper": net.param_counts()["paper"],
        "training": {
            "command": args.command,
            "commit": args.commit,
            "epochs": state["epoch"],
            "seconds": round(sum(m["seconds"] for m in history), 1),
            "test_acc_per_epoch": [m["test_acc"] for m in history],
        },
        "shipped": {
            "script": "scripts/ship_pretrained.py",
            "commit": _head(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "format_version": int(meta["version"]),
            "seconds": round(time.perf_counter() - t0, 1),
        },
        "measured": measured,
        "files": {k: _sha256(out[k]) for k in ("weights", "network")},
    }
    atomic_write_text(out["provenance"], json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
