"""Time per step of the instrumented Lava run (NearMemorySimCfg) against the
plain fixed-point run of the same network, in the same session.

Networks: the 140-128-128-20 DMP network of lava_runtime.py (d = 10,
theta = 40, 10 % input activity) and the Dense+LIF network of the same
sizes. Runs are interleaved over several repetitions; compile and runtime
start are excluded (a warm-up run precedes the timed run).

Usage: python benchmarks/cost_overhead.py [--steps 300] [--reps 3]
       [--json benchmarks/cost_overhead.json]
Target (issue 4): the instrumented run costs at most 1.5x the plain run.
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np
from lava_runtime import SIZES, WARMUP, dmp_network, lif_network, time_run_cfg

from lava_dmp.cost.run_config import NearMemorySimCfg
from lava_dmp.lava_run import run_cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", default="benchmarks/cost_overhead.json")
    args = ap.parse_args()
    total = args.steps + WARMUP
    runs = {(k, c): [] for k in ("dmp", "lif") for c in ("plain", "counted")}
    for rep in range(args.reps):
        for kind, build in (("dmp", dmp_network), ("lif", lif_network)):
            for which in ("plain", "counted"):
                cfg = (
                    run_cfg("fixed")
                    if which == "plain"
                    else NearMemorySimCfg(max_steps=total)
                )
                sec = time_run_cfg(build("fixed", total), cfg, args.steps)
                runs[(kind, which)].append(sec)
                if which == "counted":
                    cfg.cleanup()
                print(
                    f"rep {rep + 1}/{args.reps} {kind:3s} {which:7s} "
                    f"{1.0 / sec:8.1f} steps/s",
                    flush=True,
                )
    rows = []
    for kind in ("dmp", "lif"):
        plain = float(np.median(runs[(kind, "plain")]))
        counted = float(np.median(runs[(kind, "counted")]))
        rows.append(
            {
                "network": kind,
                "plain_steps_per_s": 1.0 / plain,
                "counted_steps_per_s": 1.0 / counted,
                "counted_over_plain_time": counted / plain,
                "plain_s_per_step": runs[(kind, "plain")],
                "counted_s_per_step": runs[(kind, "counted")],
            }
        )
    print(
        f"\nnetwork {'-'.join(map(str, SIZES))}, fixed point, {args.steps} steps, "
        f"median of {args.reps}"
    )
    print(f"{'network':8s} {'plain/s':>9s} {'counted/s':>10s} {'ratio':>6s} target")
    for r in rows:
        ok = "ok" if r["counted_over_plain_time"] <= 1.5 else "MISSED"
        print(
            f"{r['network']:8s} {r['plain_steps_per_s']:9.1f} "
            f"{r['counted_steps_per_s']:10.1f} {r['counted_over_plain_time']:6.2f} "
            f"<=1.5 {ok}"
        )
    result = {
        "benchmark": "cost_overhead",
        "sizes": SIZES,
        "steps": args.steps,
        "reps": args.reps,
        "machine": platform.platform(),
        "rows": rows,
    }
    with open(args.json, "w") as fh:
        json.dump(result, fh, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
