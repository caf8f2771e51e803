"""Training step of a trained S-MNIST network against a fresh one (subnormals).

A trained network has strongly inhibited neurons, far down the tail of the
LIF surrogate; the gradients they carry in the backward (the tail times the
error, decaying further through time under bptt) fall into the float32
subnormal range (below 1.18e-38), where an x86 core takes about a hundred
cycles per operation instead of one. The tensors the forward saves hold none
(the census below says so for a given network). The compiled LIF kernels
flush subnormals to zero inside their own threads (FTZ/DAZ, the caller's
mode restored after); torch's own operations keep IEEE subnormals unless the
caller asks (``torch.set_flush_denormal``).

Per round, in turns (after a warm-up round), on the same batch of real
S-MNIST test digits, each configuration takes one forward and backward of
cross-entropy (no optimiser step: the weights stay as loaded):

* ``trained`` the network of ``--network``: a training checkpoint (its
  S-MNIST digits in its pixel order) or a shipped network
  (default ``pretrained:smnist``), ``fresh`` the same architecture at its
  initialisation (seed 0);
* ``kernels`` the compiled LIF kernels, ``torch`` the torch LIF path
  (``lava_dmp.train.native`` switched off), ``torch+ftz`` the torch path
  under ``torch.set_flush_denormal(True)`` for the step alone, and
  ``kernels+ftz`` the compiled kernels under it. Torch sets the flag for the
  calling thread only: with two threads, the worker thread's share of a
  parallel operation keeps its subnormals.

``--rule sdfa|sdfa-local`` takes the rule's step instead
(:func:`lava_dmp.train.sdfa.sdfa_backward`, feedback seed 0); the forward
alone is timed apart in the same rounds for bptt only. ``--quantised``
puts both networks in the hardware-aware forward (the integer layer, a
straight-through backward along its membrane); ``torch`` then also runs the
numpy golden model instead of the integer kernel. ``--paths`` times a
subset of the paths. Before the timing, a
census of one trained forward on the torch path: the share of subnormal
values among the float32 tensors autograd saves for the backward (membranes,
memory states, currents), and the share of hidden neurons that never spike
on the batch. Medians of the rounds.

Run it with another checkout of the library on ``PYTHONPATH`` to compare
libraries (the kernels are compiled per source, so an older library brings
its own):

    .venv/bin/python benchmarks/subnormal_speed.py --reps 5
    PYTHONPATH=../old .venv/bin/python benchmarks/subnormal_speed.py --reps 5
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from pathlib import Path

import torch

import lava_dmp
from lava_dmp.datasets.custom import task_spec
from lava_dmp.train import native
from lava_dmp.train.cpu import tune_allocator
from lava_dmp.train.data import make_dataset
from lava_dmp.train.export import quantize_network
from lava_dmp.train.model import DMPNet
from lava_dmp.train.sdfa import Feedback, sdfa_backward
from lava_dmp.train.trainer import initial_network

#: the LIF paths a network's step can take
PATHS = ("kernels", "torch", "torch+ftz", "kernels+ftz")

#: the smallest normal float32; nonzero values below it in magnitude are subnormal
TINY = torch.finfo(torch.float32).tiny


def _library() -> str:
    """The library's commit (its checkout's HEAD) or ``unknown``.

    Not ``lava_dmp.provenance``: this benchmark also runs older libraries.
    """
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(lava_dmp.__file__).parent,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "unknown"


def census(net: DMPNet, x: torch.Tensor) -> dict:
    """Subnormal share of the float32 tensors saved for the backward in one
    forward on the torch LIF path, and the silent hidden neurons."""
    counts = {"values": 0, "subnormal": 0}

    def pack(t):
        if t.dtype == torch.float32:
            a = t.detach().abs()
            counts["values"] += a.numel()
            counts["subnormal"] += int(((a > 0) & (a < TINY)).sum())
        return t

    spikes = []
    hooks = [
        b.register_forward_hook(lambda m, i, o: spikes.append(o.detach()))
        for b in net.blocks
    ]
    previous = native.set_enabled(False)
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            net(x)
    finally:
        native.set_enabled(previous)
        for h in hooks:
            h.remove()
    silent = [float((s.sum(dim=-1) == 0).float().mean()) for s in spikes]
    return {
        "saved_values": counts["values"],
        "subnormal_share": counts["subnormal"] / max(counts["values"], 1),
        "silent_neuron_share_per_layer": silent,
    }


class Config:
    """One network on one LIF path; its step and forward times."""

    def __init__(
        self, net: DMPNet, kernels: bool, ftz: bool = False, rule: str = "bptt"
    ) -> None:
        self.net, self.kernels, self.ftz, self.rule = net, kernels, ftz, rule
        self.feedback = None
        if rule != "bptt":
            widths = [b.neuron.num_neurons for b in net.blocks]
            self.feedback = Feedback(net.cfg.sizes[-1], widths)
        self.step_s: list[float] = []
        self.forward_s: list[float] = []

    def run(self, x, y, record: bool = True) -> None:
        previous = native.set_enabled(self.kernels)
        flushed = torch.set_flush_denormal(True) if self.ftz else False
        try:
            self.net.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            if self.feedback is None:
                loss = torch.nn.functional.cross_entropy(self.net(x), y)
                t1 = time.perf_counter()
                loss.backward()
            else:  # the forward is inside the rule's step: not timed apart
                sdfa_backward(
                    self.net,
                    x,
                    y,
                    self.feedback,
                    torch.nn.functional.cross_entropy,
                    local=self.rule == "sdfa-local",
                )
                t1 = None
            t2 = time.perf_counter()
        finally:
            if flushed:
                torch.set_flush_denormal(False)
            native.set_enabled(previous)
        if record:
            if t1 is not None:
                self.forward_s.append(t1 - t0)
            self.step_s.append(t2 - t0)


def _median(v: list[float]) -> float:
    v = sorted(v)
    return v[len(v) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--network", default="pretrained:smnist")
    ap.add_argument("--task", choices=("smnist", "psmnist"), default="smnist")
    ap.add_argument("--perm-seed", type=int, default=0)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rule", choices=("bptt", "sdfa", "sdfa-local"), default="bptt")
    ap.add_argument("--quantised", action="store_true")
    ap.add_argument(
        "--paths", nargs="+", choices=PATHS, default=list(PATHS), help="LIF paths"
    )
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--json", default="benchmarks/subnormal_speed.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tune_allocator()
    trained, _ = initial_network(args.network)
    trained.train()
    data = make_dataset(args.task, "test", args.perm_seed, args.batch, args.data_dir)
    x, y = data.x, data.y
    torch.manual_seed(0)
    fresh = DMPNet(trained.cfg).train()
    if args.quantised:
        for net in (trained, fresh):
            quantize_network(net, None, task_spec(args.task))
    found = census(trained, x)
    found_fresh = census(fresh, x)
    rule = args.rule
    configs = {
        ("trained", "kernels"): Config(trained, True, rule=rule),
        ("fresh", "kernels"): Config(fresh, True, rule=rule),
        ("trained", "torch"): Config(trained, False, rule=rule),
        ("fresh", "torch"): Config(fresh, False, rule=rule),
        ("trained", "torch+ftz"): Config(trained, False, ftz=True, rule=rule),
        ("trained", "kernels+ftz"): Config(trained, True, ftz=True, rule=rule),
    }
    configs = {k: c for k, c in configs.items() if k[1] in args.paths}
    for r in range(args.reps + 1):
        for c in configs.values():
            c.run(x, y, record=r > 0)
        print(f"round {r}/{args.reps}", flush=True)
    library = _library()
    print(
        f"\n{args.network}: rule {rule}"
        f"{' (quantised forward)' if args.quantised else ''}, library {library}, "
        f"batch {args.batch}, "
        f"{args.threads} threads, median of {args.reps} rounds"
    )
    print(
        f"subnormal share of saved float32 values: trained "
        f"{found['subnormal_share']:.4f}, fresh {found_fresh['subnormal_share']:.4f}"
    )
    print(
        "silent hidden neurons: trained "
        + " / ".join(f"{s:.2f}" for s in found["silent_neuron_share_per_layer"])
        + ", fresh "
        + " / ".join(f"{s:.2f}" for s in found_fresh["silent_neuron_share_per_layer"])
    )
    print(f"{'network':<8} {'LIF path':<12} {'forward s':>10} {'fwd+bwd s':>10}")
    rows = []
    for (net, path), c in configs.items():
        row = {
            "network": net,
            "lif": path,
            "forward_s": _median(c.forward_s) if c.forward_s else None,
            "step_s": _median(c.step_s),
            "step_rounds_s": c.step_s,
        }
        rows.append(row)
        fwd = "-" if row["forward_s"] is None else f"{row['forward_s']:.3f}"
        print(f"{net:<8} {path:<12} {fwd:>10} {row['step_s']:>10.3f}")
    record = {
        "network": args.network,
        "rule": rule,
        "quantised": args.quantised,
        "library": library,
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "batch": args.batch,
        "threads": args.threads,
        "reps": args.reps,
        "census": {"trained": found, "fresh": found_fresh},
        "rows": rows,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(record, indent=1))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
