"""``lava-dmp simulate``: an untrained 2-layer DMP network in Lava on a real
MNIST digit.

The digit is read as a sequence of 784 grey levels (one per step). The same
network runs in Lava twice, with float models on ``pixel / 255`` and with
bit-accurate fixed-point models on the raw bytes, and the fixed run is checked
against the numpy golden model. Weights are random (seeded): training comes
with ``lava-dmp train``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from lava_dmp._checks import check_int
from lava_dmp.convert import DMPLayerParams, convert_layer, convert_readout
from lava_dmp.datasets.mnist import load_mnist, pixel_sequence
from lava_dmp.golden import GoldenReadout, run_golden_network
from lava_dmp.lava_run import run_and_probe
from lava_dmp.netx.build import build_network
from lava_dmp.outputs import atomic_write_text, claim_output
from lava_dmp.plotting import plot_network_run

__all__ = ["simulate_layers", "run_simulate"]


def simulate_layers(
    seed: int = 0,
    sizes: tuple[int, int] = (64, 32),
    order: int = 8,
    theta: float = 200.0,
) -> list[DMPLayerParams]:
    """Random 1-N1-N2 DMP layers scaled to spike sparsely on MNIST pixels."""
    rng = np.random.default_rng(seed)
    n1, n2 = sizes
    l1 = DMPLayerParams(
        weights_f=rng.normal(0.3, 0.4, (n1, 1)),
        weights_x=np.array([1.0]),
        weights_m=rng.normal(0.0, 2.0, (n1, order)),
        bias=rng.normal(0, 0.05, n1),
        bias_x=0.0,
        theta=theta,
        beta=0.5,
        vth=1.0,
    )
    l2 = DMPLayerParams(
        weights_f=rng.normal(0.05, 0.5, (n2, n1)),
        weights_x=np.abs(rng.normal(0, 0.05, n1)),
        weights_m=rng.normal(0.0, 1.0, (n2, order)),
        bias=rng.normal(0, 0.05, n2),
        bias_x=0.0,
        theta=theta,
        beta=0.5,
        vth=1.0,
    )
    return [l1, l2]


def run_simulate(
    output: str | Path = "outputs/demo",
    data_dir: str | None = None,
    index: int = 0,
    seed: int = 0,
    overwrite: bool = False,
) -> dict:
    """Run the demo; write ``demo.png`` and ``demo_summary.json`` to ``output``
    (refusing earlier ones unless ``overwrite``).

    Returns the summary dict.
    """
    t0 = time.perf_counter()
    index = check_int("index", index, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    out = claim_output(output, ("demo.png", "demo_summary.json"), overwrite)
    images, labels = load_mnist("test", data_dir)
    index = check_int("index", index, 0, images.shape[0] - 1)
    out.mkdir(parents=True, exist_ok=True)
    pixels = pixel_sequence(images[index]).astype(np.int64)[:, None]  # (784, 1)
    steps = pixels.shape[0]
    layers = simulate_layers(seed)
    rng = np.random.default_rng(seed + 1)
    ro_w, ro_b = rng.normal(0, 0.3, (10, layers[-1].n)), np.zeros(10)

    fixed = [convert_layer(layers[0], in_scale=1 / 255, num_message_bits=8)[0]]
    fixed += [convert_layer(p)[0] for p in layers[1:]]
    ro_fixed = convert_readout(ro_w, ro_b)

    runs = {}
    for numeric in ("float", "fixed"):
        if numeric == "float":
            net = build_network(
                layers, pixels / 255.0, (ro_w, ro_b), num_message_bits=8
            )
        else:
            net = build_network(fixed, pixels, ro_fixed)
        first = net.layers[0]
        t_run = time.perf_counter()
        res = run_and_probe(
            first,
            steps,
            numeric,
            probes={"v": first.v, "m": first.m},
            read=[(f"s{i}", s.data) for i, s in enumerate(net.sinks)]
            + [("scores", net.readout.acc)],
        )
        res["seconds"] = time.perf_counter() - t_run
        runs[numeric] = res

    gold = run_golden_network(fixed, pixels[:, None, :])
    fx, fl = runs["fixed"], runs["float"]
    mismatches = sum(
        int(np.sum(fx[f"s{i}"].T != g["s"][:, 0])) for i, g in enumerate(gold)
    )
    mismatches += int(np.sum(fx["v"] != gold[0]["v"][:, 0]))
    gold_scores = GoldenReadout(
        ro_fixed[0], ro_fixed[1], ro_fixed[2], t_start=len(layers) + 1
    ).run(gold[-1]["s"])[0]
    v_scale = 2.0 ** -fixed[0].fmt.v_frac
    summary = {
        "digit_index": index,
        "label": int(labels[index]),
        "steps": steps,
        "layers": [f"{p.m_in}-{p.n} d={p.order} theta={p.theta:g}" for p in layers],
        "spikes_float": [int(fl[f"s{i}"].sum()) for i in range(len(layers))],
        "spikes_fixed": [int(fx[f"s{i}"].sum()) for i in range(len(layers))],
        "spike_agreement_float_vs_fixed": [
            float(np.mean(fl[f"s{i}"] == fx[f"s{i}"])) for i in range(len(layers))
        ],
        "fixed_vs_golden_mismatches": mismatches,
        "fixed_scores_equal_golden": bool(np.array_equal(fx["scores"], gold_scores)),
        "max_abs_v_float_minus_fixed": float(
            np.max(np.abs(fl["v"] - fx["v"] * v_scale))
        ),
        "predicted_class_untrained_float": int(np.argmax(fl["scores"])),
        "lava_seconds": {k: round(r["seconds"], 2) for k, r in runs.items()},
        "total_seconds": None,
        "figure": str(out / "demo.png"),
    }
    plot_network_run(
        out / "demo.png",
        pixels[:, 0] / 255.0,
        [fl[f"s{i}"].T for i in range(len(layers))],
        fl["v"],
        fl["m"],
        v_fixed=fx["v"] * v_scale,
        title=f"MNIST test digit #{index} (label {labels[index]}): float solid, "
        "fixed dashed",
    )
    summary["total_seconds"] = round(time.perf_counter() - t0, 2)
    atomic_write_text(out / "demo_summary.json", json.dumps(summary, indent=2))
    return summary
