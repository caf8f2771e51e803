"""``lava-dmp demo``, the main job: a shipped pretrained network in Lava, its
cost on the near-memory accelerator, and a short training run end to end.

1. The pretrained S-MNIST network (1-200-200-10, d = 20, the paper's row I;
   ``--network psmnist`` for PS-MNIST) runs in Lava with the bit-accurate
   fixed-point models on real test digits; every layer's spikes at every
   step are compared with the quantised PyTorch forward.
2. One digit is run again with the membranes and memories probed from Lava:
   the figure shows them, converted to real units (``v 2^-v_frac``,
   ``m 2^-m_frac``), beside the input and the spike rasters.
3. The same network is costed on the near-memory DMP core against the
   baselines, on real test digits (the golden model's events, bit-exact with
   Lava).
4. A fresh network of the same sizes is trained briefly, exported and run in
   Lava: the whole pipeline works here, on this machine (its accuracy above
   chance is checked, not its final accuracy).

Every argument is checked before anything is written; the outputs are built
in a temporary folder and replace the earlier ones only when the run
succeeded.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import numpy as np
import torch

from lava_dmp._checks import check_choice, check_int
from lava_dmp.outputs import (
    atomic_write,
    atomic_write_text,
    claim_output,
    staged_output,
)

__all__ = ["run_demo", "print_demo", "probe_digit"]

#: the short training run must beat this accuracy (chance is 0.1)
ABOVE_CHANCE = 0.3


def run_demo(
    output: str | Path = "outputs/demo",
    network: str = "smnist",
    lava_samples: int = 20,
    cost_samples: int = 200,
    train_samples: int = 4096,
    epochs: int = 1,
    data_dir: str | None = None,
    progress: bool = True,
    log=print,
) -> dict:
    """Run the main job; write ``summary.json``, ``lava_run.png``,
    ``traces.npz`` and the short run's ``train/`` into ``output``.

    Returns the summary (also in ``summary.json``).
    """
    from lava_dmp.pretrained import NAMES

    t0 = time.perf_counter()
    check_choice("network", network, NAMES)
    lava_samples = check_int("lava_samples", lava_samples, 1, 10000)
    cost_samples = check_int("cost_samples", cost_samples, 1, 10000)
    train_samples = check_int("train_samples", train_samples, 128, 60000)
    epochs = check_int("epochs", epochs, 1, 100)
    final = claim_output(output, (), name="output")
    with staged_output(final) as out:
        summary = {"pretrained": _pretrained(network, lava_samples, data_dir, progress)}
        log(f"Lava: {summary['pretrained']['lava']}")
        summary["traces"] = _traces(network, out, final, data_dir)
        summary["cost"] = _cost(network, cost_samples, data_dir, progress)
        summary["training"] = _training(
            out, train_samples, epochs, data_dir, progress, log
        )
        summary["total_seconds"] = round(time.perf_counter() - t0, 1)
        atomic_write_text(out / "summary.json", json.dumps(summary, indent=1))
    return summary


def _pretrained(name: str, samples: int, data_dir, progress: bool) -> dict:
    """The shipped network on real test digits: Lava against the quantised
    forward."""
    from lava_dmp.netx import run_lava_many
    from lava_dmp.pretrained import load
    from lava_dmp.train.export import layer_spikes, quantize_network

    pre = load(name)
    test = pre.test_set(samples, data_dir)
    t0 = time.perf_counter()
    runs = run_lava_many(
        pre.network, [test.sequence(i) for i in range(len(test))], progress
    )
    seconds = time.perf_counter() - t0
    net = quantize_network(copy.deepcopy(pre.net), None, pre.spec)
    with torch.no_grad():
        spikes = layer_spikes(net, test.x)
        q_pred = net.readout(spikes[-1]).argmax(dim=1).numpy()
    mism = sum(
        int(np.sum(r[f"s{k}"] != spikes[k][i].numpy().T))
        for i, r in enumerate(runs)
        for k in range(len(spikes))
    )
    labels = test.y.numpy()
    pred = np.array([int(np.argmax(r["scores"])) for r in runs])
    measured = pre.provenance["measured"]
    return {
        "name": name,
        "network": pre.provenance["network"],
        "file": str(pre.network),
        "float_test_acc_10000": measured["float_test_acc"]["value"],
        "trained_with": pre.provenance["training"]["command"],
        "lava": {
            "samples": len(runs),
            "accuracy": float(np.mean(pred == labels)),
            "quantised_accuracy": float(np.mean(q_pred == labels)),
            "spike_mismatches": mism,
            "spikes": int(
                sum(int(r[f"s{k}"].sum()) for r in runs for k in range(len(spikes)))
            ),
            "prediction_agreement": float(np.mean(pred == q_pred)),
            "seconds": round(seconds, 1),
        },
    }


def probe_digit(network_file, sequence: np.ndarray) -> dict[str, np.ndarray]:
    """One sequence ``(T, M)`` through :class:`lava_dmp.netx.Network` in Lava
    (fixed point), with every layer's membrane ``v``, memory ``m`` and spikes
    probed at every step: integers, ``(T + 1, ...)`` each (the run has one
    more step for the readout), and the readout's ``scores``."""
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    from lava_dmp.lava_run import run_and_probe
    from lava_dmp.netx import Network

    steps = len(sequence) + 1
    data = np.vstack([sequence, np.zeros((1, sequence.shape[1]), np.int64)])
    net = Network(net_config=network_file)
    source = Source(data=data.T.astype(np.int32))
    source.s_out.connect(net.inp)
    sinks = []
    for layer in net.layers:
        sink = Sink(shape=layer.s_out.shape, buffer=steps)
        layer.s_out.connect(sink.a_in)
        sinks.append(sink)
    probes = {}
    for i, layer in enumerate(net.layers):
        probes[f"v{i}"], probes[f"m{i}"] = layer.v, layer.m
    read = [(f"s{i}", sink.data) for i, sink in enumerate(sinks)]
    read.append(("scores", net.readout_proc.acc))
    out = run_and_probe(source, steps, "fixed", probes, read)
    for i in range(len(sinks)):
        out[f"s{i}"] = out[f"s{i}"].T  # (T + 1, N)
    return out


def _traces(name: str, out: Path, final: Path, data_dir) -> dict:
    """Probe test digit 0 in Lava, save the traces and their figure."""
    from lava_dmp.netx import read_network
    from lava_dmp.pretrained import load

    pre = load(name)
    test = pre.test_set(1, data_dir)
    seq = test.sequence(0)
    probed = probe_digit(pre.network, seq)
    layers, _, _ = read_network(pre.network)
    scale = {
        "v_scale": np.array([2.0**-p.fmt.v_frac for p in layers]),
        "m_scale": np.array([2.0**-p.m_frac for p in layers]),
        "vth": np.array([p.vth * 2.0**-p.fmt.v_frac for p in layers]),
    }
    arrays = {**probed, **scale, "input": seq, "label": int(test.y[0])}
    atomic_write(out / "traces.npz", lambda tmp: _savez(tmp, arrays), "traces")
    prediction = int(np.argmax(probed["scores"]))
    _plot(out / "lava_run.png", arrays, layers, name, prediction)
    return {
        "digit": 0,
        "label": int(test.y[0]),
        "lava_prediction": prediction,
        "spikes_per_layer": [int(probed[f"s{i}"].sum()) for i in range(len(layers))],
        "file": str(final / "traces.npz"),
        "figure": str(final / "lava_run.png"),
    }


def _savez(path: Path, arrays: dict) -> None:
    # through an open file: np.savez appends .npz to a name without it
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _plot(path: Path, a: dict, layers, name: str, prediction: int) -> None:
    """Input, rasters, membranes and memories of one Lava run, real units."""
    from matplotlib.figure import Figure

    from lava_dmp.outputs import save_figure

    steps = len(a["input"])
    t = np.arange(steps)
    fig = Figure(figsize=(10, 10.5))
    ax = fig.subplots(6, 1, sharex=True, height_ratios=[1, 1.6, 1.6, 1.6, 1.4, 1.4])
    ax[0].plot(t, a["input"][:, 0] * (1 / 255), color="black", lw=0.8)
    ax[0].set_ylabel("pixel\n(grey / 255)")
    for k in range(2):
        s = a[f"s{k}"][:steps]
        tt, nn = np.nonzero(s)
        ax[1 + k].scatter(tt, nn, s=1.5, marker="|", color=f"C{k}")
        ax[1 + k].set_ylabel(f"layer {k}\nneuron")
        ax[1 + k].set_ylim(-1, s.shape[1])
    # three layer-1 membranes in real units (v 2^-v_frac): neurons that fire
    # now and then (between 5 and 60 spikes) show the climb to threshold
    v = a["v1"][:steps] * a["v_scale"][1]
    s1 = a["s1"][:steps]
    counts = s1.sum(axis=0)
    some = np.flatnonzero((counts >= 5) & (counts <= 60))
    pool = some if len(some) >= 3 else np.argsort(counts)[::-1]
    busy = pool[np.linspace(0, len(pool) - 1, 3).astype(int)]
    for j, n in enumerate(busy):
        ax[3].plot(t, v[:, n], lw=0.7, color=f"C{j + 2}", label=f"neuron {n}")
        fired = np.flatnonzero(s1[:, n])
        ax[3].plot(
            fired,
            np.full(len(fired), a["vth"][1] * 1.08),
            "v",
            ms=2.5,
            color=f"C{j + 2}",
        )
    ax[3].axhline(a["vth"][1], color="grey", ls="--", lw=0.8, label="threshold")
    ax[3].set_ylabel("layer 1\nmembrane v")
    ax[3].legend(fontsize=7, loc="lower right", ncol=4)
    for k in range(2):
        m = a[f"m{k}"][:steps] * a["m_scale"][k]
        for i in range(min(4, m.shape[1])):
            ax[4 + k].plot(t, m[:, i], lw=0.8, label=f"m[{i}]")
        ax[4 + k].set_ylabel(f"layer {k}\nmemory m")
        ax[4 + k].legend(fontsize=7, loc="upper left", ncol=4)
    ax[-1].set_xlabel("step (one pixel per step)")
    fig.suptitle(
        f"Lava fixed-point run of the pretrained {name} network on test digit 0 "
        f"(label {a['label']}, predicted {prediction}); traces probed from Lava, "
        f"in real units",
        fontsize=10,
    )
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def _cost(name: str, samples: int, data_dir, progress: bool) -> dict:
    """The pretrained network on the near-memory core and the baselines."""
    from lava_dmp.cost.run import cost_network
    from lava_dmp.pretrained import files

    summary = cost_network(
        files(name)["network"], samples, "fit", 0, data_dir, progress=progress
    )
    designs = {
        k: {
            "energy_per_inference_nj": d["energy_per_inference_nj"],
            "throughput_steps_per_s": d["throughput_steps_per_s"],
            "area_mm2": (d["area_mm2"] or {}).get("total"),
        }
        for k, d in summary["designs"].items()
    }
    rows = [
        {
            "metric": r["metric"],
            "paper": r["paper"],
            "ours": r["ours"],
            "approximate": r["approximate"],
        }
        for r in summary["comparison"]
    ]
    return {
        "samples": summary["samples"],
        "designs": designs,
        "comparison": rows,
        "approximate": summary["approximate"],
    }


def _training(out: Path, samples: int, epochs: int, data_dir, progress, log) -> dict:
    """A short run of a fresh network: train, export, run in Lava."""
    from lava_dmp.netx import export_checkpoint, run_exported
    from lava_dmp.train.model import NetConfig
    from lava_dmp.train.trainer import TrainConfig, train

    net_cfg = NetConfig(sizes=(1, 200, 200, 10), order=20, theta=300.0)
    cfg = TrainConfig(
        task="smnist", epochs=epochs, lr=1e-2, limit_train=samples, limit_test=500
    )
    res = train(
        net_cfg, cfg, out / "train", data_dir=data_dir, progress=progress, log=log
    )
    acc = res["test_acc"]
    if acc is None or acc <= ABOVE_CHANCE:
        raise RuntimeError(
            f"demo: the short training reached {acc} on 500 test digits, not above "
            f"{ABOVE_CHANCE}: the pipeline is broken here"
        )
    ckpt = out / "train" / "checkpoint.pt"
    export_checkpoint(ckpt, out / "train" / "net.h5")
    lava = run_exported(out / "train" / "net.h5", 3, ckpt, data_dir, progress=False)
    return {
        "network": "1-200-200-10, d = 20, theta = 300",
        "train_samples": samples,
        "epochs": epochs,
        "test_samples": 500,
        "float_test_acc": acc,
        "seconds": res["seconds"],
        "lava_samples": lava["samples"],
        "lava_spike_mismatches": lava["spike_mismatches"],
    }


def print_demo(summary: dict) -> None:
    """The terminal summary: aligned tables."""
    p, lava = summary["pretrained"], summary["pretrained"]["lava"]
    print(f"lava-dmp demo ({summary['total_seconds']:.0f} s)")
    print(f"\n1. Pretrained {p['name']} network ({p['network']}) in Lava, fixed point")
    rows = [
        (
            "float test accuracy (10 000 digits, shipped record)",
            f"{p['float_test_acc_10000']:.2%}",
        ),
        (f"Lava accuracy ({lava['samples']} test digits)", f"{lava['accuracy']:.2%}"),
        ("quantised PyTorch forward, same digits", f"{lava['quantised_accuracy']:.2%}"),
        (
            "spike mismatches Lava vs quantised forward",
            f"{lava['spike_mismatches']} in {lava['spikes']} spikes",
        ),
        ("predictions that agree", f"{lava['prediction_agreement']:.0%}"),
    ]
    _table(rows)
    tr = summary["traces"]
    print(
        f"\n2. Test digit 0 (label {tr['label']}, Lava says {tr['lava_prediction']}): "
        f"membranes and memories probed from Lava\n   figure {tr['figure']}\n"
        f"   traces {tr['file']}"
    )
    from lava_dmp.cost.baselines import shown_name
    from lava_dmp.cost.report import format_ours

    c = summary["cost"]
    print(f"\n3. Cost on the near-memory accelerator ({c['samples']} test digits)")
    print(f"   {'design':<16}{'nJ / digit':>12}{'steps / s':>12}{'area mm2':>10}")
    for name, d in c["designs"].items():
        area = "-" if d["area_mm2"] is None else f"{d['area_mm2']:.3f}"
        print(
            f"   {shown_name(name):<16}{d['energy_per_inference_nj']:>12.4g}"
            f"{d['throughput_steps_per_s']:>12.4g}{area:>10}"
        )
    print(f"   {'ratio':<30}{'paper':>12}{'ours':>8}")
    for r in c["comparison"][:5]:
        metric = r["metric"] + ("~" if r.get("approximate") else "")
        print(f"   {metric:<30}{r['paper']:>12}{format_ours(r):>8}")
    for name, note in c.get("approximate", {}).items():
        print(f"   ~ {name}: {note}")
    t = summary["training"]
    print(f"\n4. A short training run ({t['network']}), end to end")
    _table(
        [
            ("training digits x epochs", f"{t['train_samples']} x {t['epochs']}"),
            (
                f"float test accuracy ({t['test_samples']} digits)",
                f"{t['float_test_acc']:.2%}",
            ),
            (
                f"Lava spike mismatches ({t['lava_samples']} digits)",
                str(t["lava_spike_mismatches"]),
            ),
        ]
    )


def _table(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"   {k:<{width}}  {v}")
