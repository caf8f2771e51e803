"""The main job: train briefly on S-MNIST, export, run in Lava, summarise.

``lava-dmp demo`` runs it on built-in defaults (a few minutes on 2 cores):
a 1-200-200-10 DMP network (d = 20, theta = 300, the paper's S-MNIST row I
sizes) trained on a subset of the training set, its float and quantised test
accuracy, the export to HDF5, a Lava fixed-point run on real test digits with
the spike comparison against the quantised PyTorch forward, and a raster of
one Lava run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from lava_dmp._checks import check_int
from lava_dmp.netx.deploy import export_checkpoint, run_exported
from lava_dmp.netx.format import read_network
from lava_dmp.netx.runner import run_lava
from lava_dmp.outputs import atomic_write_text, claim_output, staged_output
from lava_dmp.plotting import plot_network_run
from lava_dmp.train.data import make_dataset
from lava_dmp.train.export import quantize_network
from lava_dmp.train.model import DMPNet, NetConfig
from lava_dmp.train.trainer import TrainConfig, evaluate, load_checkpoint, train

__all__ = ["run_demo", "DEMO_DEFAULTS"]

DEMO_DEFAULTS = dict(
    limit_train=4096,
    limit_test=1000,
    epochs=2,
    lava_samples=20,
    lr=5e-3,
    order=20,
    sizes=(1, 200, 200, 10),
)


def run_demo(
    output: str | Path = "outputs/demo",
    data_dir: str | None = None,
    limit_train: int = 4096,
    limit_test: int = 1000,
    epochs: int = 2,
    lava_samples: int = 20,
    lr: float = 5e-3,
    order: int = 20,
    sizes: tuple[int, ...] = (1, 200, 200, 10),
    seed: int = 0,
    progress: bool = True,
    log=print,
) -> dict:
    """Train, export, run in Lava; write ``summary.json`` and ``lava_run.png``.

    Every argument is checked before anything is written. The new outputs
    are built in a temporary folder inside ``output`` and replace the earlier
    ones (``train/``, ``net.h5``, ``lava_run.png``, ``summary.json``) only
    when the whole run has succeeded: a failing or interrupted run leaves the
    earlier outputs whole.
    """
    t0 = time.perf_counter()
    limit_train = check_int("limit_train", limit_train, minimum=1)
    limit_test = check_int("limit_test", limit_test, minimum=1)
    lava_samples = check_int("lava_samples", lava_samples, 1, limit_test)
    net_cfg = NetConfig(sizes=tuple(sizes), order=order, theta=300.0)
    cfg = TrainConfig(
        task="smnist",
        epochs=epochs,
        lr=lr,
        seed=seed,
        limit_train=limit_train,
        limit_test=limit_test,
    )
    final = claim_output(output, (), name="output")
    with staged_output(final) as out:
        summary = _pipeline(
            out, final, net_cfg, cfg, lava_samples, data_dir, progress, log
        )
        summary["total_seconds"] = round(time.perf_counter() - t0, 2)
        atomic_write_text(out / "summary.json", json.dumps(summary, indent=2))
    return summary


def _pipeline(out, final, net_cfg, cfg, lava_samples, data_dir, progress, log):
    """The demo's work, writing into the staging folder ``out``; paths in the
    summary name where the files will be (``final``)."""
    trained = train(
        net_cfg, cfg, out / "train", data_dir=data_dir, progress=progress, log=log
    )
    ckpt = out / "train" / "checkpoint.pt"
    state = load_checkpoint(ckpt)
    test = make_dataset("smnist", "test", limit=cfg.limit_test, data_dir=data_dir)
    net = DMPNet(NetConfig(**state["net"]))
    net.load_state_dict(state["model"])
    t_q = time.perf_counter()
    quant_acc = evaluate(quantize_network(net), test)
    quant_seconds = time.perf_counter() - t_q
    network = out / "net.h5"
    export_checkpoint(ckpt, network)
    lava = run_exported(network, lava_samples, ckpt, data_dir)
    # a raster of one Lava run (first test digit)
    pixels = test.pixels[0][:, None].astype(np.int64)
    one = run_lava(network, pixels)
    layers, _, _ = read_network(network)
    plot_network_run(
        out / "lava_run.png",
        pixels[:, 0] / 255.0,
        [one[f"s{i}"] for i in range(len(layers))],
        v=np.zeros((pixels.shape[0], 1)),
        m=np.zeros((pixels.shape[0], 1)),
        title=f"Lava fixed-point run of the trained network, test digit 0 "
        f"(label {int(test.y[0])})",
    )
    sizes, order, limit_train = net_cfg.sizes, net_cfg.order, cfg.limit_train
    summary = {
        "task": "smnist",
        "network": "-".join(map(str, sizes)) + f" d={order} theta=300",
        "params_paper": trained["params"]["paper"],
        "params_pytorch": trained["params"]["pytorch"],
        "train_samples": limit_train,
        "epochs": len(trained["history"]),
        "float_test_acc": trained["test_acc"],
        "quantised_test_acc": quant_acc,
        "test_samples": len(test),
        "lava_samples": lava["samples"],
        "lava_acc": lava["lava_accuracy"],
        "quantised_acc_same_samples": lava["quantised_accuracy"],
        "lava_spike_mismatches": lava["spike_mismatches"],
        "lava_prediction_agreement": lava["prediction_agreement"],
        "train_seconds": trained["seconds"],
        "quantised_eval_seconds": round(quant_seconds, 2),
        "lava_seconds": lava["lava_seconds"],
        "figure": str(final / "lava_run.png"),
        "exported": str(final / "net.h5"),
    }
    return summary
