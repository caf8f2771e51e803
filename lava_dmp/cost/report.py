"""Cost of a DMP network on every design, side by side with the paper's claims."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure  # no pyplot: the backend stays the caller's

from lava_dmp.convert import FixedDMPParams
from lava_dmp.cost.baselines import (
    APPROXIMATE,
    ELFCORE,
    LOIHI,
    RECKON,
    activity,
    dmp_scaled,
    loihi_like,
    reckon_like,
    shown_name,
)
from lava_dmp.cost.fast import golden_counts
from lava_dmp.cost.hardware import HardwareSpec, preset
from lava_dmp.cost.model import CostReport, cost_of, merge_reports
from lava_dmp.outputs import save_figure

__all__ = [
    "PAPER_CLAIMS",
    "compare_designs",
    "comparison_table",
    "format_ours",
    "plot_costs",
]

#: The paper's claims (docs/cost-model.md): name -> (claim, how it is
#: stated, why ours may differ).
PAPER_CLAIMS = {
    "energy_vs_elfcore": (
        2.5,
        "about 2.5x",
        "our unfused variant differs only in partial sums and membranes going "
        "through the neuron-state SRAM instead of registers; with SRAM energy "
        "floored at Horowitz's 8 KB figure a state bit costs 3x a register bit",
    ),
    "throughput_vs_loihi": (
        4.0,
        "> 4x",
        "our 100 MHz clock is an assumption (throughput scales with it); the "
        "Loihi-like core uses Loihi 1 per-op times and no barrier sync, which "
        "favours Loihi",
    ),
    "energy_vs_loihi": (
        5.0,
        "> 5x",
        "Loihi 1 (14 nm) per-op energies, not Loihi 2's (unpublished)",
    ),
    "throughput_vs_reckon": (
        1.9,
        "> 1.9x",
        "ReckOn-like core: one synaptic op per cycle at our clock",
    ),
    "area_efficiency_vs_reckon": (
        2.0,
        "> 2x",
        "areas from our SRAM density and datapath gate counts, no control logic",
    ),
    "throughput_256_vs_128": (
        1.0,
        "about 1x",
        "with per-neuron rates kept, a layer fed by a widened layer receives "
        "twice the events: its spike path (events x N / F) doubles and sets "
        "the cycle count",
    ),
    "energy_256_vs_128": (
        2.4,
        "x2.4",
        "per-neuron rates kept: the second layer's spike work grows 4x (twice "
        "the inputs, twice the neurons)",
    ),
    "area_256_vs_128": (
        3.1,
        "x3.1",
        "our SRAMs are the network footprint rounded up to powers of two "
        "(73 to 145 KiB)",
    ),
    "sram_share_of_area_256": (0.87, "about 87 %", "logic excludes control"),
    "spike_share_of_energy_256": (
        0.59,
        "about 59 %",
        "the spike path's share follows the dataset's input activity",
    ),
}


def compare_designs(
    layers: list[FixedDMPParams],
    inputs: list[np.ndarray],
    classes: int | None,
    hw: HardwareSpec | None = None,
    hw_double: HardwareSpec | None = None,
    batch: int = 100,
    real_step_s: float = 1e-3,
    progress: bool = False,
    memory: list[bool] | None = None,
) -> dict[str, CostReport]:
    """Cost of ``inputs`` on the DMP design and every baseline (fast path).

    Runs the golden model in batches of ``batch`` samples of one length
    (sequences of different lengths cost as they run, each its own steps)
    and merges. ``memory`` flags layers without memory (costed as LIF).
    """
    from tqdm import tqdm

    from lava_dmp import distributed

    hw = hw or preset("default")
    hw_double = hw_double or preset("double")
    # reports are keyed by design name: a shared name would merge two designs
    names = [hw.name, ELFCORE, LOIHI, RECKON, hw_double.name]
    if len(set(names)) != len(names):
        raise ValueError(
            f"hardware: the designs compared need distinct names, got hw "
            f"{hw.name!r} and hw_double {hw_double.name!r} beside the baselines "
            f"{ELFCORE!r}, {LOIHI!r}, {RECKON!r}"
        )
    parts: dict[str, list[CostReport]] = {}
    by_length: dict[int, list[np.ndarray]] = {}
    for x in inputs:
        by_length.setdefault(np.asarray(x).shape[0], []).append(x)
    chunks = [
        group[lo : lo + batch]
        for group in by_length.values()
        for lo in range(0, len(group), batch)
    ]
    # under torchrun each rank costs a contiguous block of the chunks; the
    # blocks are gathered in chunk order, so merging adds as one process does
    ctx = distributed.current()
    lo, hi = ctx.share(len(chunks))
    mine: list[list[CostReport]] = []
    for chunk in tqdm(
        chunks[lo:hi], disable=not (progress and ctx.main), desc="cost batches"
    ):
        units, counts, _ = golden_counts(
            layers, chunk, hw, classes=classes, memory=memory
        )
        n = len(chunk)
        acts = activity(units, counts)
        reports = [
            cost_of(units, counts, hw, samples=n, real_step_s=real_step_s),
            cost_of(
                units,
                counts,
                hw,
                n,
                fused=False,
                design=ELFCORE,
                real_step_s=real_step_s,
            ),
            loihi_like(acts, samples=n),
            reckon_like(acts, hw, samples=n),
            dmp_scaled(units, counts, hw_double, samples=n),
        ]
        for r in reports:
            r.real_step_s = real_step_s
        mine.append(reports)
    for block in ctx.all_gather(mine):
        for reports in block:
            for r in reports:
                parts.setdefault(r.design, []).append(r)
    return {k: merge_reports(v) for k, v in parts.items()}


def _energy_share(report: CostReport, path: str) -> float:
    total = sum(sum(c.values()) for c in report.energy_pj.values())
    return sum(report.energy_pj.get(path, {}).values()) / total


def comparison_table(
    reports: dict[str, CostReport], hw_name: str, double_name: str
) -> list[dict]:
    """Our ratios beside the paper's claims, one row per claim."""
    d = reports[hw_name]
    big = reports[double_name]
    elf, loihi, reckon = (reports[k] for k in (ELFCORE, LOIHI, RECKON))

    def e(r: CostReport) -> float:
        return r.total_energy / r.samples

    def area_eff(r: CostReport) -> float:
        return r.throughput / r.area["total"]

    ours = {
        "energy_vs_elfcore": e(elf) / e(d),
        "throughput_vs_loihi": d.throughput / loihi.throughput,
        "energy_vs_loihi": e(loihi) / e(d),
        "throughput_vs_reckon": d.throughput / reckon.throughput,
        "area_efficiency_vs_reckon": area_eff(d) / area_eff(reckon),
        "throughput_256_vs_128": big.throughput / d.throughput,
        "energy_256_vs_128": e(big) / e(d),
        "area_256_vs_128": big.area["total"] / d.area["total"],
        "sram_share_of_area_256": big.area["sram"] / big.area["total"],
        "spike_share_of_energy_256": _energy_share(big, "spike"),
    }
    rows = []
    for name, (claim, stated, why) in PAPER_CLAIMS.items():
        val = ours[name]
        agrees = (
            val >= claim if stated.startswith(">") else abs(val / claim - 1) <= 0.25
        )
        rows.append(
            {
                "metric": name,
                "paper": stated,
                "ours": round(float(val), 3),
                "agrees": bool(agrees),
                "why_it_may_differ": "" if agrees else why,
                # a comparison with an approximate baseline says so
                "approximate": (
                    APPROXIMATE[LOIHI] if name.endswith("_vs_loihi") else ""
                ),
            }
        )
    return rows


def format_ours(row: dict) -> str:
    """A comparison row's value in the paper's units: shares in %, ratios as
    ``1.79x``."""
    value = row["ours"]
    if "share" in row["metric"]:
        return f"{100 * value:.0f} %"
    return f"{value:.3g}x"


def plot_costs(
    reports: dict[str, CostReport], hw_name: str, path: str | None
) -> Figure:
    """Energy breakdown of the DMP design (by path, by memory) and every
    design's throughput and energy per inference."""

    d = reports[hw_name]
    fig = Figure(figsize=(11, 8))
    ax = fig.subplots(2, 2)
    paths = list(d.energy_pj)
    comps = list(next(iter(d.energy_pj.values())))
    bottom = np.zeros(len(paths))
    for comp in comps:
        vals = np.array([d.energy_pj[p][comp] for p in paths]) * 1e-3 / d.samples
        ax[0, 0].bar(paths, vals, bottom=bottom, label=comp)
        bottom += vals
    ax[0, 0].set_ylabel("nJ per inference")
    ax[0, 0].set_title(f"{hw_name}: energy by datapath")
    ax[0, 0].legend(fontsize=7)
    by_comp = {c: sum(d.energy_pj[p][c] for p in paths) for c in comps}
    total = sum(by_comp.values())
    ax[0, 1].barh(list(by_comp), [100 * v / total for v in by_comp.values()])
    ax[0, 1].invert_yaxis()
    ax[0, 1].set_xlabel("% of energy")
    ax[0, 1].set_title("energy by component (compute, memories)")
    names = list(reports)
    shown = [shown_name(n) for n in names]
    ax[1, 0].bar(shown, [reports[n].throughput for n in names], color="tab:green")
    ax[1, 0].set_ylabel("time steps per second")
    ax[1, 0].set_title("throughput")
    ax[1, 1].bar(
        shown,
        [reports[n].total_energy * 1e9 / reports[n].samples for n in names],
        color="tab:red",
    )
    ax[1, 1].set_ylabel("nJ per inference")
    ax[1, 1].set_title("energy per inference")
    for a in ax[1]:  # linear bars, each labelled with its value
        a.tick_params(axis="x", rotation=30)
        for bar in a.containers[0]:
            a.annotate(
                f"{bar.get_height():.3g}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    if any(n in APPROXIMATE for n in names):
        fig.text(
            0.01,
            0.005,
            "; ".join(f"~ {n}: {APPROXIMATE[n]}" for n in names if n in APPROXIMATE),
            fontsize=6,
            wrap=True,
        )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    if path is not None:
        save_figure(fig, path, dpi=120)
    return fig
