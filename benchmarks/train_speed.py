"""Time of one training step (forward, backward, Adam) on CPU, 2 threads.

DMP network (lava_dmp.train.blocks) against a network of lava-dl
``slayer.block.cuba.Dense`` blocks of the same sizes (LIF without a current
state: current_decay 1, voltage_decay 0.5, threshold 1) and against the bare
matrix products of the same layers (forward and backward), in the same run.

Usage: python benchmarks/train_speed.py [--reps 3] [--shapes shd smnist]
       [--quantised] [--json benchmarks/train_speed.json]
With --quantised, also the quantised (hardware-aware) DMP step, reported
apart: it runs the integer recurrence step by step, by design.
Targets (issue 3): DMP >= 5x faster than CUBA, <= 3x the bare products.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch
from lava.lib.dl import slayer

from lava_dmp.train.blocks import DMPDense, Readout
from lava_dmp.train.cpu import tune_allocator

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
        Readout(s[2], s[3]),
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


def step_time(net, x, y, reps):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    times = []
    for i in range(reps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        if i:  # first step warms caches
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=SHAPES)
    ap.add_argument("--json", default="benchmarks/train_speed.json")
    ap.add_argument(
        "--quantised",
        action="store_true",
        help="also time the quantised (hardware-aware) training step",
    )
    args = ap.parse_args()
    torch.set_num_threads(2)
    allocator = tune_allocator()  # applies to all three networks alike
    torch.manual_seed(0)
    rows = []
    for name in args.shapes:
        c = SHAPES[name]
        x = (torch.rand(c["batch"], c["sizes"][0], c["steps"]) < 0.1).float()
        if name == "smnist":  # grey levels, exact multiples of 1/255
            x = torch.randint(0, 256, (c["batch"], 1, c["steps"])).float() / 255
        y = torch.randint(0, c["sizes"][-1], (c["batch"],))
        res = {}
        kinds = [("dmp", dmp_net), ("cuba", CubaNet), ("bare", BareNet)]
        if args.quantised:
            kinds.append(("dmp_quantised", dmp_quantised))
        for kind, build in kinds:
            times = step_time(build(c), x, y, args.reps)
            res[kind] = sorted(times)[len(times) // 2]
            print(f"{name:7s} {kind:5s} {res[kind]:8.3f} s/step {times}", flush=True)
        rows.append(
            {
                "shape": name,
                **c,
                "seconds": res,
                "cuba_over_dmp": res["cuba"] / res["dmp"],
                "dmp_over_bare": res["dmp"] / res["bare"],
            }
        )
    print(
        f"\n{'shape':8s} {'DMP s':>8s} {'CUBA s':>8s} {'bare s':>8s} "
        f"{'CUBA/DMP':>9s} {'DMP/bare':>9s}  (targets >=5, <=3)"
    )
    for r in rows:
        s = r["seconds"]
        print(
            f"{r['shape']:8s} {s['dmp']:8.3f} {s['cuba']:8.3f} {s['bare']:8.3f} "
            f"{r['cuba_over_dmp']:9.2f} {r['dmp_over_bare']:9.2f}"
            + (
                f"   quantised DMP {s['dmp_quantised']:.3f} s/step"
                if "dmp_quantised" in s
                else ""
            )
        )
    with open(args.json, "w") as fh:
        json.dump(
            {
                "benchmark": "train_speed",
                "threads": 2,
                "tuned_allocator": allocator,
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
