"""Stacks of DMP layers as Lava networks, fed from a RingBuffer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lava.proc.dense.process import Dense
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source

from lava_dmp._checks import check_int_input
from lava_dmp.convert import DMPLayerParams, FixedDMPParams
from lava_dmp.fixed_point import SIGN_MODE
from lava_dmp.proc.dmp_layer.process import DMPLayer
from lava_dmp.proc.readout.process import Readout

__all__ = ["LavaDMPNetwork", "build_network"]


@dataclass
class LavaDMPNetwork:
    """Handles on the processes of a network built by :func:`build_network`."""

    source: Source
    layers: list[DMPLayer]
    sinks: list[Sink]
    readout: Readout | None
    readout_dense: Dense | None


def build_network(
    layers: list[DMPLayerParams] | list[FixedDMPParams],
    inputs: np.ndarray,
    readout: tuple[np.ndarray, np.ndarray]
    | tuple[np.ndarray, int, np.ndarray]
    | None = None,
    num_message_bits: int = 0,
    sinks: bool = True,
    readout_start: int | None = None,
    readout_acc_bits: int = 32,
) -> LavaDMPNetwork:
    """Source -> DMPLayer x L (-> Dense -> Readout), with a spike sink per layer.

    Parameters
    ----------
    layers : list
        All float (:class:`DMPLayerParams`) or all fixed
        (:class:`FixedDMPParams`); consecutive sizes must match.
    inputs : numpy.ndarray
        ``(T, M)``: floats for a float network, an integer array fitting
        int32 for a fixed one (float arrays are refused, also whole-valued
        ones: Lava's fixed-point RingBuffer would truncate 0.5 to 0).
    readout : tuple or None
        Float ``(weights (C, N), bias (C,))`` or fixed ``(weights, weight_exp,
        bias)`` from :func:`lava_dmp.convert.convert_readout`. The readout
        accumulates from step ``L + 1`` on (it sees the last layer one Dense
        step later).
    num_message_bits : int
        Graded input width of the first float layer (fixed layers carry it).
    readout_start : int or None
        First step the readout accumulates (default ``L + 1``).
    readout_acc_bits : int
        Width of the fixed-point readout accumulator.
    sinks : bool
        Record each layer's spikes in a RingBuffer sink (one more Lava process
        per layer; benchmarks leave them out).
    """
    if not layers:
        raise ValueError("layers: expected at least one layer")
    fixed = isinstance(layers[0], FixedDMPParams)
    if any(isinstance(p, FixedDMPParams) != fixed for p in layers):
        raise ValueError("layers: mix of float and fixed parameters")
    inputs = np.asarray(inputs)
    if inputs.ndim != 2 or inputs.shape[1] != layers[0].m_in:
        raise ValueError(
            f"inputs: expected shape (T, {layers[0].m_in}), got {inputs.shape}"
        )
    if fixed:  # checked here, once: the RingBuffer casts to int32 silently
        check_int_input("inputs", inputs, bits=32)
    steps = inputs.shape[0]
    data = inputs.T.astype(np.int32 if fixed else np.float64)
    source = Source(data=data.copy())
    record = sinks
    procs, sink_procs, prev = [], [], source.s_out
    for idx, p in enumerate(layers):
        if p.m_in != prev.shape[0]:
            raise ValueError(
                f"layers[{idx}]: expects {p.m_in} inputs, the layer "
                f"before sends {prev.shape[0]}"
            )
        if fixed:
            layer = DMPLayer.from_fixed(p)
        else:
            layer = DMPLayer.from_params(
                p, num_message_bits=num_message_bits if idx == 0 else 0
            )
        prev.connect(layer.s_in)
        if record:
            sink = Sink(shape=(p.n,), buffer=steps)
            layer.s_out.connect(sink.a_in)
            sink_procs.append(sink)
        procs.append(layer)
        prev = layer.s_out
    ro = dense = None
    if readout is not None:
        if fixed:
            w, w_exp, b = readout
            dense = Dense(
                weights=np.asarray(w, dtype=np.int32),
                weight_exp=w_exp,
                sign_mode=SIGN_MODE,
            )
        else:
            w, b = readout
            dense = Dense(weights=np.asarray(w, dtype=np.float64))
        start = len(layers) + 1 if readout_start is None else readout_start
        ro = Readout(
            shape=(w.shape[0],), bias=b, t_start=start, acc_bits=readout_acc_bits
        )
        prev.connect(dense.s_in)
        dense.a_out.connect(ro.a_in)
    return LavaDMPNetwork(source, procs, sink_procs, ro, dense)
