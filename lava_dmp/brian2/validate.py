"""Lava float against both Brian2 readings: a table of errors and a figure.

``lava-dmp validate-brian2`` calls :func:`validate_brian2`.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
from matplotlib.figure import Figure  # no pyplot: the backend stays the caller's

from lava_dmp.brian2.continuous import reference_layer, run_continuous
from lava_dmp.brian2.discrete import run_discrete
from lava_dmp.convert import DMPLayerParams
from lava_dmp.outputs import atomic_write_text, claim_output, save_figure

__all__ = ["default_layers", "run_lava_float", "validate_brian2", "validate_cli"]

#: files written into ``output``
OUTPUT_FILES = ("brian2.json", "brian2.png")


def default_layers(seed: int = 0) -> list[DMPLayerParams]:
    """A seeded 1-32-24 network (d = 8, theta = 300) for MNIST pixel input."""
    return [
        DMPLayerParams.random(32, 1, 8, theta=300.0, seed=seed, std=1.5),
        DMPLayerParams.random(24, 32, 8, theta=300.0, seed=seed + 1, std=0.4),
    ]


def run_lava_float(
    layers: list[DMPLayerParams], inputs: np.ndarray, graded: bool = True
) -> list[dict[str, np.ndarray]]:
    """Lava float run; per layer ``v``, ``m`` (T, .) and spikes ``s``."""
    from lava_dmp.lava_run import run_and_probe
    from lava_dmp.netx.build import build_network

    net = build_network(layers, inputs, num_message_bits=24 if graded else 0)
    probes = {}
    for i, layer in enumerate(net.layers):
        probes[f"v{i}"], probes[f"m{i}"] = layer.v, layer.m
    read = [(f"s{i}", sink.data) for i, sink in enumerate(net.sinks)]
    out = run_and_probe(net.layers[0], len(inputs), "float", probes, read)
    return [
        {"v": out[f"v{i}"], "m": out[f"m{i}"], "s": out[f"s{i}"].T.astype(np.int8)}
        for i in range(len(layers))
    ]


def _spike_stats(a: np.ndarray, b: np.ndarray) -> dict:
    return {
        "spikes_lava": int(a.sum()),
        "spikes_brian2": int(b.sum()),
        "mismatches": int(np.sum(a != b)),
        "agreement": float(np.mean(a == b)),
    }


def validate_brian2(
    inputs: list[np.ndarray],
    layers: list[DMPLayerParams] | None = None,
    substeps: tuple[int, ...] = (4, 16),
    reference_substeps: int = 200,
    output: str | os.PathLike | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> dict:
    """Run Lava float, Brian2 discrete and Brian2 continuous on ``inputs``.

    Returns a table with, per reading and layer, the largest error in ``v``
    and ``m`` against Lava float and the spike agreement; plus the
    convergence of the continuous reading of layer 0 to its fine reference
    (:func:`reference_layer`) on the first input. Writes ``brian2.json`` and
    ``brian2.png`` into ``output`` (refusing earlier ones unless
    ``overwrite``).
    """
    if output is not None:
        claim_output(output, OUTPUT_FILES, overwrite)
    t0 = time.perf_counter()
    layers = layers or default_layers()
    rows, conv = [], []
    first = None
    from tqdm import tqdm

    for si, x in enumerate(tqdm(inputs, desc="samples", disable=not progress)):
        x = np.asarray(x, dtype=float)
        lava = run_lava_float(layers, x)
        readings = {"discrete": run_discrete(layers, x)}
        for sub in substeps:
            readings[f"continuous 1/{sub}"] = run_continuous(layers, x, sub)
        for name, res in readings.items():
            for li, (a, b) in enumerate(zip(lava, res)):
                rows.append(
                    {
                        "sample": si,
                        "reading": name,
                        "layer": li,
                        "max_abs_v": float(np.abs(a["v"] - b["v"]).max()),
                        "max_abs_m": float(np.abs(a["m"] - b["m"]).max()),
                        "rms_v": float(np.sqrt(np.mean((a["v"] - b["v"]) ** 2))),
                        **_spike_stats(a["s"], b["s"]),
                    }
                )
        if si == 0:
            first = (x, lava, readings)
            ref = reference_layer(layers[0], x, reference_substeps)
            for sub in substeps:
                res = readings[f"continuous 1/{sub}"][0]
                conv.append(
                    {
                        "substeps": sub,
                        "max_abs_v_vs_reference": float(
                            np.abs(res["v"] - ref["v"]).max()
                        ),
                        "max_abs_m_vs_reference": float(
                            np.abs(res["m"] - ref["m"]).max()
                        ),
                        "rms_v_vs_reference": float(
                            np.sqrt(np.mean((res["v"] - ref["v"]) ** 2))
                        ),
                        "spike_mismatches_vs_reference": int(
                            np.sum(res["s"] != ref["s"])
                        ),
                    }
                )
    summary = {
        "samples": len(inputs),
        "steps": int(np.asarray(inputs[0]).shape[0]),
        "layers": [f"{p.m_in}-{p.n} d={p.order} theta={p.theta:g}" for p in layers],
        "rows": _aggregate(rows),
        "convergence_layer0": conv,
        "reference_substeps": reference_substeps,
    }
    if output is not None:
        os.makedirs(output, exist_ok=True)
        fig = os.path.join(output, "brian2.png")
        plot_validation(*first, fig)
        summary["figure"] = fig
        atomic_write_text(
            os.path.join(output, "brian2.json"), json.dumps(summary, indent=1)
        )
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return summary


def _aggregate(rows: list[dict]) -> list[dict]:
    """Worst errors (max, RMS of v) and total spike counts per (reading,
    layer) over samples."""
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r["reading"], r["layer"])
        agg = out.setdefault(
            key,
            {
                "reading": r["reading"],
                "layer": r["layer"],
                "max_abs_v": 0.0,
                "max_abs_m": 0.0,
                "spikes_lava": 0,
                "spikes_brian2": 0,
                "mismatches": 0,
            },
        )
        agg["max_abs_v"] = max(agg["max_abs_v"], r["max_abs_v"])
        agg["max_abs_m"] = max(agg["max_abs_m"], r["max_abs_m"])
        agg["rms_v"] = max(agg.get("rms_v", 0.0), r["rms_v"])
        for k in ("spikes_lava", "spikes_brian2", "mismatches"):
            agg[k] += r[k]
    return list(out.values())


def plot_validation(x, lava, readings, path: str | None, neurons: int = 3):
    """Input, membrane traces of a few neurons and two memory components of
    layer 0, Lava float against both Brian2 readings, and layer-0 rasters."""

    fig = Figure(figsize=(11, 10))
    ax = fig.subplots(4, 1, sharex=True)
    ax[0].plot(x, lw=0.8)
    ax[0].set_ylabel("input")
    styles = {"discrete": ":", **{k: "--" for k in readings if k != "discrete"}}
    for j in range(min(neurons, lava[0]["v"].shape[1])):
        line = ax[1].plot(
            lava[0]["v"][:, j], lw=1.5, label=f"Lava v{j}" if j == 0 else None
        )
        for name, res in readings.items():
            ax[1].plot(
                res[0]["v"][:, j],
                styles[name],
                color=line[0].get_color(),
                lw=1,
                label=name if j == 0 else None,
            )
    ax[1].set_ylabel("v (layer 0)")
    ax[1].legend(fontsize=7, loc="upper right")
    for i in range(min(2, lava[0]["m"].shape[1])):
        line = ax[2].plot(lava[0]["m"][:, i], lw=1.5)
        for name, res in readings.items():
            ax[2].plot(res[0]["m"][:, i], styles[name], color=line[0].get_color(), lw=1)
    ax[2].set_ylabel("m_0, m_1 (layer 0)")
    k, n = np.nonzero(lava[0]["s"])
    ax[3].scatter(k, n, s=6, marker="|", label="Lava float")
    last = list(readings)[-1]
    k, n = np.nonzero(readings[last][0]["s"])
    ax[3].scatter(k, n + 0.4, s=6, marker="|", color="tab:red", label=f"Brian2 {last}")
    ax[3].set_ylabel("neuron (layer 0)")
    ax[3].set_xlabel("step")
    ax[3].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi=110)
    return fig


def validate_cli(
    network: str | None = None,
    samples: int = 2,
    substeps: tuple[int, ...] = (4, 16),
    steps: int | None = None,
    data_dir: str | None = None,
    output: str | None = None,
    overwrite: bool = False,
    data: str | os.PathLike | None = None,
    data_module: str | None = None,
) -> dict:
    """Real inputs for :func:`validate_brian2`: MNIST test digits (grey
    levels / 255) through :func:`default_layers`, or the test inputs of an
    exported network's task (a custom network's ``data`` or ``data_module``)
    through that network's float reading."""
    from lava_dmp._checks import check_int

    samples = check_int("samples", samples, minimum=1)
    substeps = tuple(check_int("substeps", s, minimum=1) for s in substeps)
    if steps is not None:
        steps = check_int("steps", steps, minimum=2)
    if output is not None:
        claim_output(output, OUTPUT_FILES, overwrite)
    if network is None and (data is not None or data_module is not None):
        raise ValueError("data: --data and --data-module go with --network")
    if network is None:
        from lava_dmp.train.data import make_dataset

        data = make_dataset("smnist", "test", limit=samples, data_dir=data_dir)
        inputs = [p[:, None] / 255.0 for p in data.pixels]
        layers = default_layers()
        source = "MNIST test digits, seeded 1-32-24 network"
    else:
        from lava_dmp.netx.deploy import load_test_inputs
        from lava_dmp.netx.format import read_network

        fixed, _, meta = read_network(network)
        layers = [p.to_float() for p in fixed]
        _, ints, _, _ = load_test_inputs(meta, samples, data_dir, data, data_module)
        inputs = [x * fixed[0].in_scale for x in ints]
        source = f"{network} (its float reading), {meta.get('task')} test inputs"
    if steps is not None:
        inputs = [x[:steps] for x in inputs]
    summary = validate_brian2(
        inputs,
        layers,
        tuple(substeps),
        output=output,
        progress=True,
        overwrite=overwrite,
    )
    summary["inputs"] = source
    return summary


def print_validation(summary: dict) -> None:
    """The table of :func:`validate_brian2` on the terminal."""
    print(
        f"lava-dmp validate-brian2: {summary['inputs']}; {summary['samples']} "
        f"samples x {summary['steps']} steps; layers {', '.join(summary['layers'])}"
    )
    print(
        f"  {'reading vs Lava float':<22}{'layer':>6}{'max|dv|':>11}{'rms dv':>10}"
        f"{'max|dm|':>11}{'spikes L/B':>13}{'mismatch':>10}"
    )
    for r in summary["rows"]:
        print(
            f"  {r['reading']:<22}{r['layer']:>6}{r['max_abs_v']:>11.3g}"
            f"{r['rms_v']:>10.3g}{r['max_abs_m']:>11.3g}"
            f"{str(r['spikes_lava']) + '/' + str(r['spikes_brian2']):>13}"
            f"{r['mismatches']:>10}"
        )
    print(
        f"  continuous reading of layer 0 against its fine reference "
        f"({summary['reference_substeps']} sub-steps, exact exponential):"
    )
    for c in summary["convergence_layer0"]:
        print(
            f"    1/{c['substeps']:<4} max|dv| {c['max_abs_v_vs_reference']:.3g}  "
            f"rms dv {c['rms_v_vs_reference']:.3g}  max|dm| "
            f"{c['max_abs_m_vs_reference']:.3g}  spike mismatches "
            f"{c['spike_mismatches_vs_reference']}"
        )
    if "figure" in summary:
        print(f"  figure: {summary['figure']}")
