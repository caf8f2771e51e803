"""From a trained :class:`DMPNet` to fixed point: quantised mode and export."""

from __future__ import annotations

import os

import numpy as np
import torch

from lava_dmp.convert import convert_readout
from lava_dmp.datasets.custom import BUILTIN_SPECS, InputSpec
from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.netx.format import write_network
from lava_dmp.train.model import DMPNet

__all__ = ["quantize_network", "export_network", "layer_spikes", "MNIST_IN_SCALE"]

#: One grey-level LSB: S-MNIST inputs are bytes / 255.
MNIST_IN_SCALE = 1.0 / 255.0


def _spec(spec, num_message_bits) -> InputSpec:
    if isinstance(spec, InputSpec):
        return spec
    # the older form: (in_scale, num_message_bits) of unsigned input
    return InputSpec(
        channels=1,
        scale=float(spec),
        message_bits=8 if num_message_bits is None else int(num_message_bits),
    )


def quantize_network(
    net: DMPNet,
    fmt: FixedPointFormat | None = None,
    spec: InputSpec | float = BUILTIN_SPECS["smnist"],
    num_message_bits: int | None = None,
) -> DMPNet:
    """Put every block in the quantised (hardware-aware) forward; the first
    block takes the input of ``spec`` (its scale, message bits and sign; a
    float is the older ``in_scale`` with ``num_message_bits``)."""
    spec = _spec(spec, num_message_bits)
    for i, block in enumerate(net.blocks):
        if i == 0:
            block.quantize(fmt, spec.scale, spec.message_bits, spec.signed)
        else:
            block.quantize(fmt, 1.0, 0)
    return net


@torch.no_grad()
def layer_spikes(net: DMPNet, x: torch.Tensor) -> list[torch.Tensor]:
    """Spikes of every block, ``[batch, N, T]`` each."""
    out = []
    for block in net.blocks:
        x = block(x)
        out.append(x)
    return out


def export_network(
    net: DMPNet,
    path: str | os.PathLike,
    spec: InputSpec,
    fmt: FixedPointFormat | None = None,
    permutation: np.ndarray | None = None,
) -> None:
    """Write the network in the ``lava-dmp-netx`` HDF5 format (bit-exact with
    the quantised forward of the same ``fmt``), with its input spec.

    The network's forward mode (float or quantised, and the format) is the
    same afterwards as before.
    """
    keys = ("fixed_format", "in_scale", "num_message_bits", "signed_input")
    before = [{k: b.__dict__[k] for k in keys if k in b.__dict__} for b in net.blocks]
    fmt = fmt or FixedPointFormat()
    try:
        quantize_network(net, fmt, spec)
        layers = [block.fixed_params() for block in net.blocks]
    finally:  # leave the network as it was found
        for block, saved in zip(net.blocks, before):
            for k in keys:
                block.__dict__.pop(k, None)
            block.__dict__.update(saved)
    w = net.readout.linear.weight.detach().double().cpu().numpy()
    b = net.readout.linear.bias.detach().double().cpu().numpy()
    write_network(
        path,
        layers,
        convert_readout(w, b, fmt),
        spec,
        permutation,
        memory=[block.memory for block in net.blocks],
    )
