"""``lava-dmp train-cost``: a trained run or a sweep, as tables and a figure."""

from __future__ import annotations

import json
import os
import time

from lava_dmp.cost.training.hardware import load_training_hardware
from lava_dmp.cost.training.run import (
    PAPER_CLAIMS,
    compare,
    workload,
    workload_from_checkpoint,
)
from lava_dmp.outputs import atomic_write_text, claim_output, save_figure

__all__ = ["train_cost", "sweep", "print_train_cost", "print_sweep", "plot_sweep"]

#: the sweep's grid: hidden layers of 128 neurons (d = 10), SHD-like input
SWEEP = {"layers": (1, 2, 4), "steps": (25, 100), "batch": (8, 32)}


def train_cost(
    checkpoint: str | os.PathLike,
    hardware: str | None = None,
    window: int | None = 3,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> dict:
    """Every design on the run ``checkpoint`` trained (its logged activity)."""
    hw = load_training_hardware(hardware)
    work, info = workload_from_checkpoint(checkpoint)
    if output is not None:
        claim_output(output, ("train_cost.json",), overwrite)
    t0 = time.perf_counter()
    res = compare(work, hw, window)
    res["run"] = {
        **info,
        "sizes": [work.layers[0].m] + [ly.n for ly in work.layers],
        "steps": work.steps,
        "batch": work.batch,
        "batches": work.batches,
    }
    res["seconds_to_simulate"] = round(time.perf_counter() - t0, 1)
    if output is not None:
        os.makedirs(output, exist_ok=True)
        atomic_write_text(
            os.path.join(output, "train_cost.json"), json.dumps(res, indent=1)
        )
    return res


def sweep(
    hardware: str | None = None,
    window: int | None = 3,
    batches: int = 100,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
    progress=print,
    grid: dict | None = None,
) -> dict:
    """The ratios over ``grid`` (default :data:`SWEEP`: ``layers``, ``steps``,
    ``batch``), ``batches`` batches per point."""
    grid = grid or SWEEP
    hw = load_training_hardware(hardware)
    if output is not None:
        claim_output(
            output, ("train_cost_sweep.json", "train_cost_sweep.png"), overwrite
        )
    rows = []
    for n_layers in grid["layers"]:
        for steps in grid["steps"]:
            for batch in grid["batch"]:
                sizes = (140, *([128] * n_layers), 20)
                work = workload(
                    sizes, 10, steps, batch, batches, 20.0, [10.0] * n_layers
                )
                res = compare(work, hw, window)
                row = {"layers": n_layers, "steps": steps, "batch": batch}
                for d, r in res["ratios"].items():
                    row[f"{d} time"] = r["time"]
                    row[f"{d} energy"] = r["energy"]
                row["energy_j"] = {
                    d: v["energy_by_component_j"] for d, v in res["designs"].items()
                }
                rows.append(row)
                if progress:
                    progress(
                        f"L={n_layers} T={steps} B={batch}: "
                        + ", ".join(
                            f"{d} time {r['time']:.2f}x energy {r['energy']:.2f}x"
                            for d, r in res["ratios"].items()
                        )
                    )
    summary = {"grid": grid, "batches": batches, "rows": rows, "paper": PAPER_CLAIMS}
    if output is not None:
        os.makedirs(output, exist_ok=True)
        fig = os.path.join(output, "train_cost_sweep.png")
        plot_sweep(summary, fig)
        summary["figure"] = fig
        atomic_write_text(
            os.path.join(output, "train_cost_sweep.json"), json.dumps(summary, indent=1)
        )
    return summary


def plot_sweep(summary: dict, path: str | None = None):
    """Time and energy ratio (BPTT / PipeSDFA) against T and B, per depth;
    the energy breakdown of the largest point."""
    from matplotlib.figure import Figure

    rows = summary["rows"]
    fig = Figure(figsize=(12, 3.8))
    ax = fig.subplots(1, 3)
    lo, hi = summary["paper"]["time"]
    for k, (key, label) in enumerate(
        (("pipesdfa time", "time"), ("pipesdfa energy", "energy"))
    ):
        for n_layers in sorted({r["layers"] for r in rows}):
            for batch, style in zip(sorted({r["batch"] for r in rows}), ("o-", "s--")):
                pts = [
                    (r["steps"], r[key])
                    for r in rows
                    if r["layers"] == n_layers and r["batch"] == batch
                ]
                ax[k].plot(*zip(*pts), style, label=f"L = {n_layers}, B = {batch}")
        lo, hi = summary["paper"][label]
        ax[k].axhspan(lo, hi, color="tab:green", alpha=0.12, label="paper's range")
        ax[k].axhline(1.0, color="grey", lw=0.8)
        ax[k].set_xticks(sorted({r["steps"] for r in rows}))
        ax[k].set_xlabel("time steps T")
        ax[k].set_ylabel(f"{label}: PipeLayer-BPTT / PipeSDFA")
    ax[0].legend(fontsize=7)
    big = rows[-1]
    designs = list(big["energy_j"])
    comps = list(big["energy_j"][designs[0]])
    bottom = [0.0] * len(designs)
    for c in comps:
        vals = [big["energy_j"][d][c] * 1e6 for d in designs]
        ax[2].bar(designs, vals, bottom=bottom, label=c)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax[2].set_ylabel("energy of the run (uJ)")
    ax[2].set_title(
        f"L = {big['layers']}, T = {big['steps']}, B = {big['batch']}", fontsize=9
    )
    ax[2].legend(fontsize=7)
    ax[2].tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi=110)
    return fig


def print_train_cost(res: dict) -> None:
    run = res["run"]
    print(
        f"lava-dmp train-cost: {run['checkpoint']} ({run['task']}, trained with "
        f"{run['rule']}): {'-'.join(map(str, run['sizes']))}, T = {run['steps']}, "
        f"B = {run['batch']}, {run['batches']} batches"
    )
    print(f"  {'design':<16}{'time s':>12}{'energy J':>12}{'buffer KiB':>12}")
    for d, c in res["designs"].items():
        print(
            f"  {d:<16}{c['seconds']:>12.4g}{c['energy_j']:>12.4g}"
            f"{c['buffer_kib']:>12.1f}"
        )
    lo, hi = res["paper_claims"]["time"]
    elo, ehi = res["paper_claims"]["energy"]
    for d, r in res["ratios"].items():
        print(
            f"  PipeLayer-BPTT / {d}: time {r['time']:.2f}x (paper {lo}-{hi}x), "
            f"energy {r['energy']:.2f}x (paper {elo}-{ehi}x)"
        )


def print_sweep(summary: dict) -> None:
    print(
        f"{'L':>3}{'T':>6}{'B':>5}  {'time sdfa':>10}{'local':>8}  "
        f"{'energy sdfa':>12}{'local':>8}"
    )
    for r in summary["rows"]:
        print(
            f"{r['layers']:>3}{r['steps']:>6}{r['batch']:>5}  "
            f"{r['pipesdfa time']:>10.2f}{r['pipesdfa-local time']:>8.2f}  "
            f"{r['pipesdfa energy']:>12.2f}{r['pipesdfa-local energy']:>8.2f}"
        )
    p = summary["paper"]
    print(
        f"paper: time {p['time'][0]}-{p['time'][1]}x, "
        f"energy {p['energy'][0]}-{p['energy'][1]}x"
    )
