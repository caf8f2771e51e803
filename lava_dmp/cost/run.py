"""``lava-dmp cost``: an exported network on real test inputs, on every design."""

from __future__ import annotations

import json
import math
import os
import time

import numpy as np

from lava_dmp._checks import check_int, check_positive
from lava_dmp.cost.baselines import APPROXIMATE, shown_name
from lava_dmp.cost.counters import Unit
from lava_dmp.cost.fast import golden_counts, without_memory
from lava_dmp.cost.hardware import FIT_SUFFIX, load_hardware, preset
from lava_dmp.cost.report import (
    compare_designs,
    comparison_table,
    format_ours,
    plot_costs,
)
from lava_dmp.cost.run_config import NearMemorySimCfg
from lava_dmp.outputs import atomic_write_text, claim_output

__all__ = ["cost_network", "footprint", "lava_counts", "match_units"]


def footprint(layers, classes: int, hw, widen: int = 1, memory=None) -> dict:
    """SRAM a network needs against the hardware's, and what does not fit.

    ``widen`` multiplies every hidden layer's width (the 256-neuron variant);
    layers whose ``memory`` flag is False need no drive row and no memory
    coefficients.
    """
    memory = [True] * len(layers) if memory is None else memory
    shapes = [
        (p.m_in * (widen if i else 1), p.n * widen, p.order if on else 0)
        for i, (p, on) in enumerate(zip(layers, memory))
    ]
    w_bits = sum(m * (n + (d > 0)) for m, n, d in shapes) * hw.weight_bits
    w_bits += shapes[-1][1] * classes * hw.weight_bits
    c_bits = sum(n * d + n + d * d + d for _, n, d in shapes if d) * hw.coef_bits
    s_bits = (sum(n for _, n, _ in shapes) + classes) * hw.v_bits
    need = {
        "weight_sram_kib": w_bits / 8192,
        "coef_sram_kib": c_bits / 8192,
        "state_sram_kib": s_bits / 8192,
    }
    over = [k for k, v in need.items() if v > getattr(hw, k)]
    over += [
        f"memory_order (layer {i}: d = {d})"
        for i, (_, _, d) in enumerate(shapes)
        if d > hw.memory_order
    ]
    return {"needs": need, "does_not_fit": over}


def fit_hardware(hw, layers, classes: int, widen: int = 1):
    """``hw`` with each SRAM and the memory order raised, where the network
    needs more, to the next power of two (as the presets were sized)."""
    import dataclasses

    fp = footprint(layers, classes, hw, widen)["needs"]
    changes = {
        k: float(max(getattr(hw, k), 2 ** math.ceil(math.log2(max(v, 1e-9)))))
        for k, v in fp.items()
    }
    changes["memory_order"] = max(hw.memory_order, max(p.order for p in layers))
    return dataclasses.replace(hw, name=hw.name + FIT_SUFFIX, **changes)


def match_units(units: dict[str, Unit]) -> dict[str, str]:
    """Fast-path names (``L0.dense``, ``L0.dmp``, ..., ``readout``) for the
    units of an instrumented Lava run of the same network, found by following
    the chain from the input: each layer's synapse is fed by the layer
    before (Lava's process ids do not follow the layer order)."""
    names: dict[str, str] = {}
    syn = [u for u in units.values() if u.kind == "synapse"]
    prev = None
    for i in range(len(syn)):
        nxt = [
            u
            for u in syn
            if (
                u.source == prev
                if prev
                else units.get(u.source, Unit("io", 0)).kind == "io"
            )
            and u.target in units
        ]
        if len(nxt) != 1:
            break
        tgt = units[nxt[0].target]
        if tgt.kind == "readout":
            names["readout.dense"], names["readout"] = nxt[0].name, tgt.name
            break
        names[f"L{i}.dense"], names[f"L{i}.dmp"] = nxt[0].name, tgt.name
        prev = tgt.name
    return names


def lava_counts(
    network: str | os.PathLike, inputs: list[np.ndarray], cfg: NearMemorySimCfg
) -> tuple[dict[str, Unit], dict[str, np.ndarray], list[dict]]:
    """Run ``inputs`` through the exported network with ``cfg``; counts named
    as the fast path names them."""
    from lava_dmp.netx.runner import run_lava_many

    runs = run_lava_many(network, inputs, cfg=cfg)
    counts = cfg.counts()
    described = cfg.units  # describes every process: once
    mapping = match_units(described)  # fast-path name -> Lava unit
    units = {name: described[key] for name, key in mapping.items()}
    named = {name: counts[key] for name, key in mapping.items()}
    cfg.cleanup()
    return units, named, runs


def cost_network(
    network: str | os.PathLike,
    samples: int = 100,
    hardware: str = "default",
    lava_samples: int = 0,
    data_dir: str | None = None,
    output: str | os.PathLike | None = None,
    batch: int = 100,
    progress: bool = True,
    overwrite: bool = False,
    data: str | os.PathLike | None = None,
    data_module: str | None = None,
    step_ms: float = 1.0,
) -> dict:
    """Cost ``samples`` real test inputs of an exported network on the DMP
    design and the baselines; with ``lava_samples`` also run that many in
    Lava under :class:`NearMemorySimCfg` and check that its counters equal
    the fast path's. Writes ``cost.json`` and ``cost.png`` into ``output``
    (refusing earlier ones unless ``overwrite``).

    A custom network costs its own test data (``data``, ``data_module``, as
    :func:`lava_dmp.netx.deploy.load_test_inputs` reads them); ``step_ms`` is the
    real time of one step (the "x real time" figure). Layers exported without
    memory are costed as plain LIF layers.
    """
    from lava_dmp import distributed
    from lava_dmp.netx.deploy import load_test_inputs
    from lava_dmp.netx.format import read_network

    samples = check_int("samples", samples, minimum=1)
    lava_samples = check_int("lava_samples", lava_samples, minimum=0)
    step_ms = check_positive("step_ms", step_ms)
    t0 = time.perf_counter()
    layers, (w, _, _, _), meta = read_network(network)
    if hardware == "fit":  # the presets, enlarged where this network needs it
        hw = fit_hardware(preset("default"), layers, w.shape[0])
        hw_double = fit_hardware(preset("double"), layers, w.shape[0], widen=2)
    else:
        hw = load_hardware(hardware)
        # the 256-neuron baseline is always the built-in design: a file cannot
        # take its name (load_hardware), and the preset itself would be
        # compared with itself under one name (merged reports, ratios of 1)
        hw_double = preset("double")
        if hw.name == hw_double.name:
            raise ValueError(
                f"hardware: {hw.name!r} ('double') is the 256-neuron baseline "
                f"that every cost run compares against; cost the network on "
                f"'default', 'fit' or a JSON file (a copy of the double preset "
                f"saved under another name costs it on a 256-neuron core)"
            )
    ctx = distributed.current()
    if output is not None and ctx.main:  # every argument is checked first
        claim_output(output, ("cost.json", "cost.png"), overwrite)
    task, inputs, _, _ = load_test_inputs(meta, samples, data_dir, data, data_module)
    memory = meta["memory"]
    reports = compare_designs(
        layers,
        inputs,
        w.shape[0],
        hw,
        hw_double,
        batch=batch,
        real_step_s=step_ms / 1000.0,
        progress=progress,
        memory=memory,
    )
    table = comparison_table(reports, hw.name, hw_double.name)
    summary = {
        "network": str(network),
        "task": task,
        "samples": len(inputs),
        "steps_per_sample": round(float(np.mean([len(x) for x in inputs])) + 1, 2),
        "step_ms": step_ms,
        "memory": memory,
        "hardware": hw.to_dict(),
        "footprint": footprint(layers, w.shape[0], hw, memory=memory),
        "hardware_double": hw_double.to_dict(),
        "designs": {k: r.summary() for k, r in reports.items()},
        "approximate": {k: APPROXIMATE[k] for k in reports if k in APPROXIMATE},
        "comparison": table,
    }
    if lava_samples:
        k = min(lava_samples, len(inputs))
        lo, hi = ctx.share(k)  # under torchrun each rank checks its share
        equal = True
        if hi > lo:
            mine = inputs[lo:hi]
            cfg = NearMemorySimCfg(hardware=hw, max_steps=sum(len(x) + 1 for x in mine))
            lu, lc, _ = lava_counts(network, mine, cfg)
            lu, lc = without_memory(lu, lc, memory, hw)
            gc = {}  # sample by sample: lengths may differ
            for x in mine:
                _, one, _ = golden_counts(
                    layers, [x], hw, classes=w.shape[0], memory=memory
                )
                for name, c in one.items():
                    gc.setdefault(name, []).append(c)
            gc = {name: np.concatenate(c) for name, c in gc.items()}
            equal = set(lc) == set(gc) and all(np.array_equal(lc[n], gc[n]) for n in gc)
        equal = not ctx.any(not equal)
        summary["lava_check"] = {"samples": k, "counts_equal_fast_path": bool(equal)}
    if ctx.active:
        summary["ranks"] = ctx.world
    if output is not None and ctx.main:
        os.makedirs(output, exist_ok=True)
        fig = os.path.join(output, "cost.png")
        plot_costs(reports, hw.name, fig)
        summary["figure"] = fig
        atomic_write_text(
            os.path.join(output, "cost.json"),
            json.dumps(summary, indent=1, default=float),
        )
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return summary


def print_cost(summary: dict) -> None:
    """Terminal tables of :func:`cost_network`'s summary."""
    print(
        f"lava-dmp cost: {summary['network']} ({summary['task']}), "
        f"{summary['samples']} samples x {summary['steps_per_sample']} steps "
        f"(mean) of {summary['step_ms']:g} ms"
    )
    head = f"  {'design':<14}{'steps/s':>12}{'x real time':>13}{'nJ/inference':>14}"
    print(head + f"{'pJ/step':>10}{'area mm2':>10}")
    for name, d in summary["designs"].items():
        area = d["area_mm2"].get("total") if d["area_mm2"] else None
        print(
            f"  {shown_name(name):<14}{d['throughput_steps_per_s']:>12.4g}"
            f"{d['acceleration_vs_real_time']:>13.4g}"
            f"{d['energy_per_inference_nj']:>14.4g}{d['energy_per_step_pj']:>10.4g}"
            + (f"{area:>10.4f}" if area is not None else f"{'-':>10}")
        )
    first = next(iter(summary["designs"].values()))
    print(
        "  energy per inference by datapath (nJ): "
        + ", ".join(
            f"{k} {v:.4g}" for k, v in first["energy_per_inference_by_path_nj"].items()
        )
    )
    print(f"  {'metric':<28}{'paper':>12}{'ours':>9}  note")
    for row in summary["comparison"]:
        metric = row["metric"] + ("~" if row.get("approximate") else "")
        print(
            f"  {metric:<28}{row['paper']:>12}{format_ours(row):>9}  "
            + ("agrees" if row["agrees"] else row["why_it_may_differ"])
        )
    for name, note in summary.get("approximate", {}).items():
        print(f"  ~ {name}: {note}")
    over = summary["footprint"]["does_not_fit"]
    if over:
        print(
            "  note: the network exceeds the hardware's "
            + ", ".join(over)
            + " (costed as if it fitted; --hardware fit enlarges them)"
        )
    if "lava_check" in summary:
        c = summary["lava_check"]
        print(
            f"  Lava NearMemorySimCfg on {c['samples']} samples: counters equal "
            f"to the fast path: {c['counts_equal_fast_path']}"
        )
    if "figure" in summary:
        print(f"  figure: {summary['figure']}")
