"""Steps per second of a 140-128-128-20 DMP network in Lava vs Dense+LIF.

Both networks have the same sizes and the same number of Lava processes per
layer (one Dense and one neuron process), run in the same session, float and
fixed point, interleaved over several repetitions; compile and runtime start
are excluded (a short warm-up run precedes the timed run).

Usage: python benchmarks/lava_runtime.py [--steps 300] [--reps 3]
       [--json benchmarks/lava_runtime.json]
Target (issue 2): DMP costs at most 1.5x Dense+LIF per step.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.proc.dense.process import Dense
from lava.proc.io.source import RingBuffer as Source
from lava.proc.lif.process import LIF

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.fixed_point import SIGN_MODE
from lava_dmp.lava_run import run_cfg, stop_runtime
from lava_dmp.netx.build import build_network

SIZES = (140, 128, 128, 20)
WARMUP = 10


def _inputs(steps: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((steps, SIZES[0])) < 0.1).astype(
        np.int32
    )


def dmp_network(numeric: str, steps: int):
    layers = [
        DMPLayerParams.random(n, m, 10, theta=40.0, seed=i, std=0.3)
        for i, (m, n) in enumerate(zip(SIZES[:-1], SIZES[1:]))
    ]
    if numeric == "fixed":
        layers = [convert_layer(p)[0] for p in layers]
        net = build_network(layers, _inputs(steps), sinks=False)
    else:
        net = build_network(layers, _inputs(steps).astype(float), sinks=False)
    return net.layers[0]


def lif_network(numeric: str, steps: int):
    rng = np.random.default_rng(0)
    data = _inputs(steps)
    src = Source(data=(data if numeric == "fixed" else data.astype(float)).T.copy())
    prev = src.s_out
    for m, n in zip(SIZES[:-1], SIZES[1:]):
        if numeric == "fixed":
            dense = Dense(weights=rng.integers(-60, 60, (n, m)), sign_mode=SIGN_MODE)
            lif = LIF(shape=(n,), du=4095, dv=2048, vth=200)
        else:
            dense = Dense(weights=rng.normal(0, 0.3, (n, m)))
            lif = LIF(shape=(n,), du=1.0, dv=0.5, vth=1.0)
        prev.connect(dense.s_in)
        dense.a_out.connect(lif.a_in)
        prev = lif.s_out
    return src


def time_run(root, numeric: str, steps: int) -> float:
    """Seconds per step of a run of ``steps`` after a warm-up run."""
    return time_run_cfg(root, run_cfg(numeric), steps)


def time_run_cfg(root, cfg, steps: int) -> float:
    """:func:`time_run` with any run config (cost_overhead.py passes
    ``NearMemorySimCfg``)."""
    try:
        root.run(condition=RunSteps(num_steps=WARMUP), run_cfg=cfg)
        t0 = time.perf_counter()
        root.run(condition=RunSteps(num_steps=steps), run_cfg=cfg)
        elapsed = time.perf_counter() - t0
    except BaseException:
        stop_runtime(root, failed=True)
        raise
    stop_runtime(root)
    return elapsed / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", default="benchmarks/lava_runtime.json")
    args = ap.parse_args()
    total = args.steps + WARMUP
    samples = {(k, n): [] for k in ("dmp", "lif") for n in ("float", "fixed")}
    for rep in range(args.reps):
        for numeric in ("float", "fixed"):
            for kind, build in (("dmp", dmp_network), ("lif", lif_network)):
                sec = time_run(build(numeric, total), numeric, args.steps)
                samples[(kind, numeric)].append(sec)
                print(
                    f"rep {rep + 1}/{args.reps} {kind:3s} {numeric:5s} "
                    f"{1.0 / sec:8.1f} steps/s",
                    flush=True,
                )
    rows = []
    for numeric in ("float", "fixed"):
        dmp = float(np.median(samples[("dmp", numeric)]))
        lif = float(np.median(samples[("lif", numeric)]))
        rows.append(
            {
                "numeric": numeric,
                "dmp_steps_per_s": 1.0 / dmp,
                "dense_lif_steps_per_s": 1.0 / lif,
                "dmp_over_dense_lif_time": dmp / lif,
                "dmp_samples_s_per_step": samples[("dmp", numeric)],
                "lif_samples_s_per_step": samples[("lif", numeric)],
            }
        )
    print(
        f"\nnetwork {'-'.join(map(str, SIZES))}, d=10, theta=40, "
        f"{args.steps} steps, median of {args.reps}"
    )
    print(
        f"{'models':8s} {'DMP steps/s':>12s} {'Dense+LIF steps/s':>18s} "
        f"{'time ratio':>11s} {'target':>7s}"
    )
    for r in rows:
        ok = "ok" if r["dmp_over_dense_lif_time"] <= 1.5 else "MISSED"
        print(
            f"{r['numeric']:8s} {r['dmp_steps_per_s']:12.1f} "
            f"{r['dense_lif_steps_per_s']:18.1f} "
            f"{r['dmp_over_dense_lif_time']:11.2f} {'<=1.5 ' + ok:>7s}"
        )
    result = {
        "benchmark": "lava_runtime",
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
