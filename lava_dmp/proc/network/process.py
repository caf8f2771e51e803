"""An exported DMP network as one hierarchical Lava process (netx's shape)."""

from __future__ import annotations

import os

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.proc.dense.process import Dense

from lava_dmp._checks import check_choice, check_int
from lava_dmp.fixed_point import SIGN_MODE
from lava_dmp.proc.dmp_layer.process import DMPLayer
from lava_dmp.proc.readout.process import Readout

__all__ = ["Network"]


class Network(AbstractProcess):
    r"""The network of an exported file, ready to connect into any Lava graph.

    As lava-dl's ``netx.hdf5.Network``: ``inp`` takes the input (``M``
    channels: spikes, or graded integers of the file's input spec) and
    ``out`` sends the last DMP layer's spikes; connect them to any source and
    sink. Inside, one :class:`~lava_dmp.proc.dmp_layer.process.DMPLayer` per
    layer of the file and, unless ``readout=False``, the readout: a Dense on
    the last layer's spikes into a :class:`~lava_dmp.proc.readout.process.
    Readout`, whose accumulator Var ``readout_proc.acc`` holds the class
    scores. Each layer adds one step of delay (its Dense); the readout's
    Dense one more, and it accumulates from its second step on, so for a
    sample of ``T`` steps run ``T + 1`` steps and read ``scores``:

    .. math:: \mathrm{scores} = \sum_{t=0}^{T-1} (W_r s_{L}[t] + b_r)

    the time average of training times ``T``.

    Parameters
    ----------
    net_config : str or os.PathLike
        An exported file (:mod:`lava_dmp.netx.format`); it is validated.
    numeric : str
        ``'fixed'`` (default): the bit-accurate layers, run with
        ``Loihi2SimCfg(select_tag='fixed_pt')``; ``'float'``: the float
        reading of the same integers, for ``select_tag='floating_pt'``.
    reset_interval : int or None
        None: never reset. ``R``: every layer and the readout start again from
        zero state every ``R`` steps (dropping what is in flight); feed
        samples of ``R - 1`` steps each followed by one zero step and each
        sample runs as on a fresh network.
    readout : bool
        Build the readout (default True).

    Attributes
    ----------
    layers : list of DMPLayer
    readout_dense, readout_proc : Dense, Readout or None
        The readout (``readout_proc.acc``: the ``C`` class scores). Lava makes
        any Var assigned to a process (or returned by one of its properties)
        that process's own, so the scores stay on the Readout.
    input_spec : InputSpec
        The file's input encoding.
    """

    # Lava's __del__ reads _runtime; a constructor that refuses its arguments
    # raises before AbstractProcess.__init__ sets it.
    _runtime = None

    def __init__(
        self,
        *,
        net_config: str | os.PathLike,
        numeric: str = "fixed",
        reset_interval: int | None = None,
        readout: bool = True,
        name: str | None = None,
        log_config: LogConfig | None = None,
    ) -> None:
        from lava_dmp.netx.format import read_network

        check_choice("numeric", numeric, ("fixed", "float"))
        reset = (
            0
            if reset_interval is None
            else check_int("reset_interval", reset_interval, minimum=2)
        )
        layers, (w, w_exp, b, acc_bits), meta = read_network(net_config)
        super().__init__(
            net_config=str(net_config),
            numeric=numeric,
            reset_interval=reset,
            name=name,
            log_config=log_config,
        )
        self.filename = str(net_config)
        self.input_spec = meta["input"]
        self.memory = meta["memory"]
        self.layers = []
        for i, p in enumerate(layers):
            if numeric == "fixed":
                layer = DMPLayer.from_fixed(p, reset_interval=reset)
            else:
                bits = p.num_message_bits if i == 0 else 0
                layer = DMPLayer.from_params(
                    p.to_float(), num_message_bits=bits, reset_interval=reset
                )
            if self.layers:
                self.layers[-1].s_out.connect(layer.s_in)
            self.layers.append(layer)
        self.inp = InPort(shape=(layers[0].m_in,))
        self.out = OutPort(shape=(layers[-1].n,))
        self.inp.connect(self.layers[0].s_in)
        self.layers[-1].s_out.connect(self.out)
        self.readout_dense = self.readout_proc = None
        if readout:
            if numeric == "fixed":
                self.readout_dense = Dense(
                    weights=np.asarray(w, dtype=np.int32),
                    weight_exp=w_exp,
                    sign_mode=SIGN_MODE,
                )
                bias = b
            else:
                scale = 2.0 ** -layers[0].fmt.v_frac
                self.readout_dense = Dense(weights=w * 2.0**w_exp * scale)
                bias = b * scale
            self.readout_proc = Readout(
                shape=(w.shape[0],),
                bias=bias,
                t_start=1,
                acc_bits=acc_bits,
                reset_interval=reset,
            )
            self.layers[-1].s_out.connect(self.readout_dense.s_in)
            self.readout_dense.a_out.connect(self.readout_proc.a_in)

    def __len__(self) -> int:
        """Number of DMP layers."""
        return len(self.layers)

    def __str__(self) -> str:
        rows = [f"lava-dmp Network {self.filename} ({self.proc_params['numeric']})"]
        for i, layer in enumerate(self.layers):
            p = layer.params
            mem = "memory" if self.memory[i] else "no memory (LIF)"
            rows.append(
                f"  layer {i}: {p.m_in} -> {p.n}, d = {p.order}, theta = "
                f"{p.theta:g}, {mem}"
            )
        if self.readout_proc is not None:
            rows.append(f"  readout: {self.readout_proc.acc.shape[0]} classes")
        return "\n".join(rows)
