"""Time of one training step (forward, backward, Adam) on CPU, 2 threads.

DMP network (lava_dmp.train.blocks) against a network of lava-dl
``slayer.block.cuba.Dense`` blocks of the same sizes (LIF without a current
state: current_decay 1, voltage_decay 0.5, threshold 1) and against the bare
matrix products of the same layers (forward and backward), in the same run.

Usage: python benchmarks/train_speed.py [--reps 20] [--shapes shd smnist]
       [--quantised] [--json benchmarks/train_speed.json]
The networks take turns, one step each per round (after a warm-up step), so
drifts of the machine hit all alike; the median of the rounds is reported.
"DMP torch" is the same DMP network with the compiled LIF kernels switched off
(lava_dmp.train.native), the path used where no C compiler is found. Peak
memory (resident set) of the DMP step is measured in a child process.
With --quantised, also the quantised (hardware-aware) DMP step, whose
integer forward runs in the compiled fixed-point kernel (csrc/dmp_fixed.c),
and its ratio to the float DMP step (target <= 3x, issue 22).
The training rules (issue 20): the same DMP network as a DMPNet trained with
bptt, sdfa and sdfa-local (lava_dmp.train.sdfa) take their turns in the same
rounds; the projection of the output error (one (B x C) x (C x F_l) product
per hidden layer) is timed apart and given as a share of the SDFA step.
Targets (issue 3): DMP >= 5x faster than CUBA, <= 3x the bare products,
peak memory of the S-MNIST step < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time

import torch
from lava.lib.dl import slayer

from lava_dmp.train import native
from lava_dmp.train.blocks import DMPDense, ReadoutBlock
from lava_dmp.train.cpu import tune_allocator
from lava_dmp.train.model import DMPNet, NetConfig
from lava_dmp.train.sdfa import Feedback, sdfa_backward

SHAPES = {
    "shd": dict(sizes=(140, 128, 128, 20), steps=100, batch=128, order=10, theta=40.0),
    "smnist": dict(
        sizes=(1, 200, 200, 10), steps=784, batch=128, order=40, theta=300.0
    ),
}


def dmp_net(c):
    s = c["sizes"]
    return torch.nn.Sequential(
        DMPDense(s[0], s[1], c["order"], c["theta"]),
        DMPDense(s[1], s[2], c["order"], c["theta"]),
        ReadoutBlock(s[2], s[3]),
    )


def dmp_quantised(c):
    """The same network in the hardware-aware forward (fixed-point contract,
    step by step; reported apart, no target)."""
    net = dmp_net(c)
    graded = c["sizes"][0] == 1  # S-MNIST: grey levels in 1/255 steps
    net[0].quantize(None, 1.0 / 255 if graded else 1.0, 8 if graded else 0)
    net[1].quantize(None, 1.0, 0)
    return net


class CubaNet(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        p = dict(threshold=1.0, current_decay=1.0, voltage_decay=0.5)
        s = c["sizes"]
        self.blocks = torch.nn.ModuleList(
            [slayer.block.cuba.Dense(p, m, n) for m, n in zip(s[:-1], s[1:])]
        )

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x.mean(dim=-1)


class BareNet(torch.nn.Module):
    """The layers' matrix products only: (B, T, M) @ W^T, then the mean."""

    def __init__(self, c):
        super().__init__()
        s = c["sizes"]
        self.layers = torch.nn.ModuleList(
            [torch.nn.Linear(m, n, bias=False) for m, n in zip(s[:-1], s[1:])]
        )

    def forward(self, x):
        x = x.transpose(1, 2)
        for layer in self.layers:
            x = layer(x)
        return x.mean(dim=1)


class RuleStepper:
    """A DMPNet of the shape trained with one rule (bptt, sdfa, sdfa-local)."""

    def __init__(self, c, rule):
        self.net = DMPNet(
            NetConfig(sizes=c["sizes"], order=c["order"], theta=c["theta"])
        )
        self.rule, self.times = rule, []
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.feedback = Feedback(c["sizes"][-1], list(c["sizes"][1:-1]))

    def step(self, x, y, record=True):
        t0 = time.perf_counter()
        self.opt.zero_grad()
        if self.rule == "bptt":
            torch.nn.functional.cross_entropy(self.net(x), y).backward()
        else:
            sdfa_backward(
                self.net,
                x,
                y,
                self.feedback,
                torch.nn.functional.cross_entropy,
                local=self.rule == "sdfa-local",
            )
        self.opt.step()
        if record:
            self.times.append(time.perf_counter() - t0)


def projection_seconds(c, reps=2000):
    """Median time of the error projection of one SDFA step (all layers)."""
    fb = Feedback(c["sizes"][-1], list(c["sizes"][1:-1]))
    e = torch.randn(c["batch"], c["sizes"][-1])
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fb.project(e)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


class Stepper:
    """One network, its optimiser and its step times; ``kernels`` selects the
    LIF implementation for its steps."""

    def __init__(self, net, kernels=True):
        self.net, self.kernels, self.times = net, kernels, []
        self.opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step(self, x, y, record=True):
        previous = native.set_enabled(self.kernels)
        try:
            t0 = time.perf_counter()
            self.opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(self.net(x), y)
            loss.backward()
            self.opt.step()
            if record:
                self.times.append(time.perf_counter() - t0)
        finally:
            native.set_enabled(previous)


def _inputs(name, c):
    torch.manual_seed(0)
    x = (torch.rand(c["batch"], c["sizes"][0], c["steps"]) < 0.1).float()
    if name == "smnist":  # grey levels, exact multiples of 1/255
        x = torch.randint(0, 256, (c["batch"], 1, c["steps"])).float() / 255
    y = torch.randint(0, c["sizes"][-1], (c["batch"],))
    return x, y


def _high_water_mb() -> float:
    """Peak resident set of this process (VmHWM, MB). Unlike ru_maxrss it
    starts afresh at exec, so a child does not inherit its parent's peak."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_child(name):
    """Run in a fresh interpreter (``--peak-child NAME``): two DMP steps, then
    the peak resident set before and after them, as JSON on stdout."""
    torch.set_num_threads(2)
    tune_allocator()
    c = SHAPES[name]
    x, y = _inputs(name, c)
    net = Stepper(dmp_net(c))
    before = _high_water_mb()
    net.step(x, y)
    net.step(x, y)
    print(json.dumps([before, _high_water_mb()]))


def peak_memory_mb(name):
    """Peak resident set of a fresh process that takes two DMP training steps
    (MB), and how much of it the steps added over the set-up."""
    out = subprocess.run(
        [sys.executable, __file__, "--peak-child", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    before, after = json.loads(out.strip().splitlines()[-1])
    return {"process_peak_mb": after, "step_added_mb": after - before}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=SHAPES)
    ap.add_argument("--json", default="benchmarks/train_speed.json")
    ap.add_argument(
        "--quantised",
        action="store_true",
        help="also time the quantised (hardware-aware) training step",
    )
    ap.add_argument("--peak-child", choices=SHAPES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peak_child:
        _peak_child(args.peak_child)
        return
    torch.set_num_threads(2)
    allocator = tune_allocator()  # applies to all three networks alike
    rows = []
    for name in args.shapes:
        c = SHAPES[name]
        x, y = _inputs(name, c)
        torch.manual_seed(0)
        nets = {
            "dmp": Stepper(dmp_net(c)),
            "dmp_torch": Stepper(dmp_net(c), kernels=False),
            "cuba": Stepper(CubaNet(c)),
            "bare": Stepper(BareNet(c)),
        }
        for rule in ("bptt", "sdfa", "sdfa-local"):
            nets[f"rule_{rule}"] = RuleStepper(c, rule)
        if args.quantised:
            nets["dmp_quantised"] = Stepper(dmp_quantised(c))
        for net in nets.values():
            net.step(x, y, record=False)  # warm-up: caches, allocator, FFT plans
        for _ in range(args.reps):
            for net in nets.values():
                net.step(x, y)
        res = {}
        for kind, net in nets.items():
            res[kind] = sorted(net.times)[len(net.times) // 2]
            times = [round(t, 3) for t in net.times]
            print(f"{name:7s} {kind:13s} {res[kind]:8.3f} s/step {times}", flush=True)
        proj = projection_seconds(c)
        print(
            f"{name:7s} projection {proj * 1e6:.1f} us = "
            f"{100 * proj / res['rule_sdfa']:.3f} % of the sdfa step",
            flush=True,
        )
        memory = peak_memory_mb(name)
        print(f"{name:7s} DMP step peak memory {memory}", flush=True)
        rows.append(
            {
                "shape": name,
                **c,
                "seconds": res,
                "times": {k: n.times for k, n in nets.items()},
                "cuba_over_dmp": res["cuba"] / res["dmp"],
                "dmp_over_bare": res["dmp"] / res["bare"],
                "torch_over_kernels": res["dmp_torch"] / res["dmp"],
                "projection_seconds": proj,
                "projection_share_of_sdfa": proj / res["rule_sdfa"],
                "sdfa_over_bptt": res["rule_sdfa"] / res["rule_bptt"],
                "sdfa_local_over_bptt": res["rule_sdfa-local"] / res["rule_bptt"],
                "peak_memory": memory,
                **(
                    {"quantised_over_float": res["dmp_quantised"] / res["dmp"]}
                    if "dmp_quantised" in res
                    else {}
                ),
            }
        )
    print(
        f"\n{'shape':8s} {'DMP s':>8s} {'torch s':>8s} {'CUBA s':>8s} "
        f"{'bare s':>8s} {'CUBA/DMP':>9s} {'DMP/bare':>9s} {'peak MB':>8s}"
        "  (targets >=5, <=3, < 4000 on S-MNIST)"
    )
    for r in rows:
        s = r["seconds"]
        print(
            f"{r['shape']:8s} {s['dmp']:8.3f} {s['dmp_torch']:8.3f} "
            f"{s['cuba']:8.3f} {s['bare']:8.3f} "
            f"{r['cuba_over_dmp']:9.2f} {r['dmp_over_bare']:9.2f} "
            f"{r['peak_memory']['process_peak_mb']:8.0f}"
            + (
                f"   quantised DMP {s['dmp_quantised']:.3f} s/step = "
                f"{r['quantised_over_float']:.2f} x float (target <= 3)"
                if "dmp_quantised" in s
                else ""
            )
        )
    print(
        f"\n{'shape':8s} {'bptt s':>8s} {'sdfa s':>8s} {'local s':>8s} "
        f"{'sdfa/bptt':>10s} {'local/bptt':>11s} {'projection':>11s}"
        "  (rules, same DMPNet; projection share target <= 2 %)"
    )
    for r in rows:
        s = r["seconds"]
        print(
            f"{r['shape']:8s} {s['rule_bptt']:8.3f} {s['rule_sdfa']:8.3f} "
            f"{s['rule_sdfa-local']:8.3f} {r['sdfa_over_bptt']:10.2f} "
            f"{r['sdfa_local_over_bptt']:11.2f} "
            f"{100 * r['projection_share_of_sdfa']:10.3f}%"
        )
    with open(args.json, "w") as fh:
        json.dump(
            {
                "benchmark": "train_speed",
                "threads": 2,
                "tuned_allocator": allocator,
                "lif_kernels": native.status(),
                "reps": args.reps,
                "machine": platform.platform(),
                "rows": rows,
            },
            fh,
            indent=2,
        )
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
