"""From a trained :class:`DMPNet` to fixed point: quantised mode and export."""

from __future__ import annotations

import os

import numpy as np
import torch

from lava_dmp.convert import convert_readout
from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.netx import write_network
from lava_dmp.train.model import DMPNet

__all__ = ["quantize_network", "export_network", "layer_spikes", "MNIST_IN_SCALE"]

#: One grey-level LSB: S-MNIST inputs are bytes / 255.
MNIST_IN_SCALE = 1.0 / 255.0


def quantize_network(
    net: DMPNet,
    fmt: FixedPointFormat | None = None,
    in_scale: float = MNIST_IN_SCALE,
    num_message_bits: int = 8,
) -> DMPNet:
    """Put every block in the quantised (hardware-aware) forward; the first
    block takes graded input of ``num_message_bits`` with LSB ``in_scale``."""
    for i, block in enumerate(net.blocks):
        if i == 0:
            block.quantize(fmt, in_scale, num_message_bits)
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
    steps: int,
    fmt: FixedPointFormat | None = None,
    task: str = "",
    permutation: np.ndarray | None = None,
    in_scale: float = MNIST_IN_SCALE,
    num_message_bits: int = 8,
) -> None:
    """Write the network in the ``lava-dmp-netx`` HDF5 format (bit-exact with
    the quantised forward of the same ``fmt``)."""
    fmt = fmt or FixedPointFormat()
    quantize_network(net, fmt, in_scale, num_message_bits)
    layers = [block.fixed_params() for block in net.blocks]
    w = net.readout.linear.weight.detach().double().numpy()
    b = net.readout.linear.bias.detach().double().numpy()
    write_network(path, layers, convert_readout(w, b, fmt), steps, task, permutation)
