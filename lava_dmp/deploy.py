"""Checkpoint -> exported network -> Lava fixed-point run, compared with the
quantised PyTorch forward (the ``export`` and ``run`` commands)."""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from lava_dmp.netx import read_network, run_lava_many
from lava_dmp.outputs import check_output_file
from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import input_format, make_dataset
from lava_dmp.train.export import export_network, layer_spikes, quantize_network
from lava_dmp.train.model import DMPNet
from lava_dmp.validation import check_int

__all__ = ["export_checkpoint", "run_exported"]


def _net_from_checkpoint(path: str | os.PathLike) -> tuple[DMPNet, dict]:
    return network_from_checkpoint(path)


def _check_same_network(net: DMPNet, layers, readout_w, checkpoint, network) -> None:
    """Refuse a checkpoint whose network is not the exported one (before any
    Lava run, not as a broadcast error after it)."""
    mine = [
        (b.synapse.in_channels, b.neuron.num_neurons, b.neuron.order)
        for b in net.blocks
    ]
    mine.append(tuple(net.readout.linear.weight.shape[::-1]))
    file = [(p.m_in, p.n, p.order) for p in layers]
    file.append(tuple(readout_w.shape[::-1]))
    if mine != file:

        def describe(shapes):
            sizes = [shapes[0][0]] + [s[1] for s in shapes]
            return "-".join(map(str, sizes)) + f" (d = {[s[2] for s in shapes[:-1]]})"

        raise ValueError(
            f"checkpoint: {checkpoint} holds a {describe(mine)} network, but "
            f"{network} is {describe(file)}; pass the checkpoint it was exported from"
        )


def export_checkpoint(
    checkpoint: str | os.PathLike, output: str | os.PathLike, overwrite: bool = False
) -> dict:
    """Export a training checkpoint to ``output`` (HDF5).

    Refuses an existing ``output`` unless ``overwrite``, a folder, and a
    checkpoint with non-finite weights; writes atomically.
    """
    check_output_file(output, overwrite, name="network")
    net, state = _net_from_checkpoint(checkpoint)
    task = state["train"]["task"]
    in_scale, bits = input_format(task)
    steps = 784 if task in ("smnist", "psmnist") else 0  # 0: set by the data
    export_network(
        net,
        output,
        steps=steps,
        task=task,
        permutation=state.get("permutation"),
        in_scale=in_scale,
        num_message_bits=bits,
    )
    layers, _, meta = read_network(output)
    return {
        "network": str(output),
        "task": task,
        "layers": len(layers),
        "format_version": int(meta["version"]),
        "weight_exp": [p.weight_exp for p in layers],
        "m_frac": [p.m_frac for p in layers],
    }


def load_test_inputs(meta: dict, samples: int, data_dir: str | None = None) -> tuple:
    """The first ``samples`` test sequences of an exported network's task.

    Returns ``(task, inputs, dataset, x)``: integer ``(T, M)`` arrays for
    Lava and the golden model, the dataset (labels in ``.y``) and the
    PyTorch input ``x`` (batch, channels, time), permuted for PS-MNIST.
    """
    task = meta.get("task") or "smnist"
    if task in ("smnist", "psmnist"):
        # the permutation travels with the network: read plain S-MNIST, permute
        data = make_dataset("smnist", "test", limit=samples, data_dir=data_dir)
        perm = meta.get("permutation")
        pixels = data.pixels if perm is None else data.pixels[:, perm]
        x = data.x if perm is None else data.x[:, :, perm]
        inputs = [p[:, None].astype(np.int64) for p in pixels]
    else:
        data = make_dataset(task, "test", limit=samples, data_dir=data_dir)
        x = data.x
        inputs = [p.astype(np.int64) for p in data.pixels]
    return task, inputs, data, x


def run_exported(
    network: str | os.PathLike,
    samples: int = 10,
    checkpoint: str | os.PathLike | None = None,
    data_dir: str | None = None,
    progress: bool = True,
) -> dict:
    """Run ``samples`` real test sequences through the exported network in Lava.

    With ``checkpoint`` the quantised PyTorch forward of the same network runs
    too, and spikes of every layer and step are compared.
    """
    samples = check_int("samples", samples, minimum=1)
    layers, (w, _, _, _), meta = read_network(network)
    net = None
    if checkpoint is not None:  # checked before the Lava run, not after it
        net, _ = _net_from_checkpoint(checkpoint)
        _check_same_network(net, layers, w, checkpoint, network)
    task, inputs, data, x = load_test_inputs(meta, samples, data_dir)
    t0 = time.perf_counter()
    runs = run_lava_many(network, inputs, progress=progress)
    lava_pred = [int(np.argmax(r["scores"])) for r in runs]
    lava_spikes = [[r[f"s{k}"] for k in range(len(layers))] for r in runs]
    lava_seconds = time.perf_counter() - t0
    labels = data.y.numpy()
    total_spikes = int(sum(int(s.sum()) for run in lava_spikes for s in run))
    summary = {
        "network": str(network),
        "task": task,
        "samples": len(data),
        "lava_spikes": total_spikes,
        "lava_accuracy": float(np.mean(np.array(lava_pred) == labels)),
        "lava_seconds": round(lava_seconds, 2),
    }
    if net is not None:
        quantize_network(net, None, *input_format(task))
        with torch.no_grad():
            spikes = layer_spikes(net, x)
            q_pred = net.readout(spikes[-1]).argmax(dim=1).numpy()
        mism = sum(
            int(np.sum(lava_spikes[i][k] != spikes[k][i].numpy().T))
            for i in range(len(data))
            for k in range(len(layers))
        )
        summary.update(
            quantised_accuracy=float(np.mean(q_pred == labels)),
            spike_mismatches=mism,
            prediction_agreement=float(np.mean(q_pred == lava_pred)),
        )
    return summary
