"""Checkpoint -> exported network -> Lava fixed-point run, compared with the
quantised PyTorch forward (the ``export`` and ``run`` commands)."""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from lava_dmp import distributed
from lava_dmp._checks import check_int
from lava_dmp.datasets.custom import InputSpec, task_spec
from lava_dmp.netx.format import read_network
from lava_dmp.netx.runner import run_lava_many
from lava_dmp.outputs import check_output_file
from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import make_dataset, test_sequences
from lava_dmp.train.export import export_network, layer_spikes, quantize_network
from lava_dmp.train.model import DMPNet

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
    export_network(net, output, checkpoint_spec(state), None, state.get("permutation"))
    layers, _, meta = read_network(output)
    return {
        "network": str(output),
        "task": task,
        "layers": len(layers),
        "format_version": int(meta["version"]),
        "weight_exp": [p.weight_exp for p in layers],
        "m_frac": [p.m_frac for p in layers],
    }


def checkpoint_spec(state: dict) -> InputSpec:
    """The input spec a checkpoint was trained on (checkpoints of the
    built-in tasks written before specs existed: the task's)."""
    if "input" in state:
        return InputSpec.from_dict(state["input"])
    return task_spec(state["train"]["task"])


def load_test_inputs(
    meta: dict,
    samples: int,
    data_dir: str | None = None,
    data: str | os.PathLike | None = None,
    data_module: str | None = None,
) -> tuple:
    """The first ``samples`` test sequences for an exported network.

    The built-in tasks read their test sets (``data_dir``); a custom task
    reads ``data`` (``.npz``, its ``test`` split if it has one) or calls
    ``data_module``, encoded with the file's input spec: data that do not fit
    it (channels, length, range) are refused naming both.

    Returns ``(task, inputs, dataset, x)``: integer ``(T_i, M)`` arrays for
    Lava and the golden model, the dataset (labels in ``.y``, lengths in
    ``.lengths``) and the PyTorch input ``x`` (batch, channels, time),
    permuted for PS-MNIST.
    """
    samples = check_int("samples", samples, minimum=1)
    spec = meta["input"]
    task = spec.task
    if task == "custom" or data is not None or data_module is not None:
        if task != "custom":
            raise ValueError(
                f"data: the network was trained on the built-in task {task!r}, "
                f"which reads its own test set; --data is for custom networks"
            )
        dataset = make_dataset(
            "custom",
            "test",
            limit=samples,
            data=data,
            data_module=data_module,
            spec=spec,
        )
        return task, test_sequences(dataset), dataset, dataset.x[:]
    if task in ("smnist", "psmnist"):
        # the permutation travels with the network: read plain S-MNIST, permute
        dataset = make_dataset("smnist", "test", limit=samples, data_dir=data_dir)
        perm = meta.get("permutation")
        pixels = dataset.pixels if perm is None else dataset.pixels[:, perm]
        x = dataset.x if perm is None else dataset.x[:, :, perm]
        return task, [p[:, None].astype(np.int64) for p in pixels], dataset, x
    # the coded tasks take their length from the network's spec
    dataset = make_dataset(task, "test", limit=samples, data_dir=data_dir, spec=spec)
    return task, test_sequences(dataset), dataset, dataset.x[:]


def run_exported(
    network: str | os.PathLike,
    samples: int = 10,
    checkpoint: str | os.PathLike | None = None,
    data_dir: str | None = None,
    progress: bool = True,
    data: str | os.PathLike | None = None,
    data_module: str | None = None,
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
    ctx = distributed.current()
    if samples < ctx.world:
        raise ValueError(
            f"samples: {ctx.world} ranks need at least {ctx.world} samples, "
            f"got {samples}"
        )
    task, inputs, dataset, x = load_test_inputs(
        meta, samples, data_dir, data, data_module
    )
    n = len(dataset)
    # under torchrun each rank runs its contiguous share of the samples
    lo, hi = ctx.share(n)
    inputs, x = inputs[lo:hi], x[lo:hi]
    labels = dataset.y.numpy()[lo:hi]
    lengths = None if dataset.lengths is None else dataset.lengths[lo:hi]
    t0 = time.perf_counter()
    runs = run_lava_many(network, inputs, progress=progress and ctx.main)
    lava_pred = np.array([int(np.argmax(r["scores"])) for r in runs])
    lava_spikes = [[r[f"s{k}"] for k in range(len(layers))] for r in runs]
    lava_seconds = time.perf_counter() - t0
    total_spikes = int(sum(int(s.sum()) for run in lava_spikes for s in run))
    counts = [total_spikes, int(np.sum(lava_pred == labels)), 0, 0, 0]
    if net is not None:
        quantize_network(net, None, meta["input"])
        with torch.no_grad():
            spikes = layer_spikes(net, x)
            q_pred = net.readout(spikes[-1], lengths).argmax(dim=1).numpy()
        counts[2] = sum(  # over each sample's own steps
            int(
                np.sum(lava_spikes[i][k] != spikes[k][i, :, : len(inputs[i])].numpy().T)
            )
            for i in range(len(inputs))
            for k in range(len(layers))
        )
        counts[3] = int(np.sum(q_pred == labels))
        counts[4] = int(np.sum(q_pred == lava_pred))
    total, lava_ok, mism, q_ok, agree = (int(c) for c in ctx.sum(counts))
    (lava_seconds,) = ctx.max_each([lava_seconds])
    summary = {
        "network": str(network),
        "task": task,
        "samples": n,
        "lava_spikes": total,
        "lava_accuracy": lava_ok / n,
        "lava_seconds": round(lava_seconds, 2),
    }
    if net is not None:
        summary.update(
            quantised_accuracy=q_ok / n,
            spike_mismatches=mism,
            prediction_agreement=agree / n,
        )
    if ctx.active:  # which samples each rank ran
        summary["ranks"] = ctx.world
        summary["shares"] = [list(ctx.share_of(n, r)) for r in range(ctx.world)]
    return summary
