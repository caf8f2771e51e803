"""Exported DMP networks: an HDF5 file in netx's layout, and its Lava loader.

Layout (``lava-dmp-netx``, format version 1)::

    /meta       attrs: format, version, delay_convention, input_scale,
                input_message_bits, steps (T), task; dataset permutation (optional)
    /layer/<i>  attrs: type ('dmp' | 'readout'); datasets below
      dmp:      shape, inFeatures, outFeatures, weight (N+1, M) int,
                weight_exp, bias, bias_x, vth, dv, a_bar, b_bar, p, nu,
                a_frac, b_frac, p_frac, nu_frac, m_frac, theta, order, reset,
                dilation, num_message_bits, in_scale, fmt/<width name>
      readout:  weight (C, N) int, weight_exp, bias, acc_bits

Delay convention: every DMP layer adds one step (its Dense), so layer ``l``
(1-based) at step ``k`` sees the input of step ``k - l``; training
(``DMPDense(delay_shift=True)``) uses the same convention. The readout's Dense
adds one more step: it accumulates steps ``1 .. T`` (``t_start = 1``) of a run
of ``T + 1`` steps, i.e. the last layer's spikes of steps ``0 .. T - 1``, the
window the training readout averages.

Unknown formats or versions are refused.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import h5py
import numpy as np

from lava_dmp.convert import FixedDMPParams
from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.network import build_network

__all__ = [
    "FORMAT",
    "VERSION",
    "write_network",
    "read_network",
    "run_lava",
    "run_lava_many",
]

FORMAT = "lava-dmp-netx"
VERSION = 1
DELAY_CONVENTION = "dense-one-step-per-layer; readout t_start=1 over T+1 steps"

_INT_FIELDS = (
    "weight_exp",
    "bias_x",
    "vth",
    "dv",
    "a_frac",
    "b_frac",
    "p_frac",
    "nu_frac",
    "m_frac",
    "dilation",
    "num_message_bits",
)


def write_network(
    path: str | os.PathLike,
    layers: list[FixedDMPParams],
    readout: tuple[np.ndarray, int, np.ndarray],
    steps: int,
    task: str = "",
    permutation: np.ndarray | None = None,
    acc_bits: int = 32,
) -> None:
    """Write an exported network atomically (a temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        meta = f.create_group("meta")
        meta.attrs.update(
            format=FORMAT,
            version=VERSION,
            delay_convention=DELAY_CONVENTION,
            input_scale=layers[0].in_scale,
            input_message_bits=layers[0].num_message_bits,
            steps=int(steps),
            task=task,
        )
        if permutation is not None:
            meta.create_dataset("permutation", data=np.asarray(permutation))
        for i, p in enumerate(layers):
            g = f.create_group(f"layer/{i}")
            g.attrs["type"] = "dmp"
            g.create_dataset("shape", data=np.array([p.n]))
            g.create_dataset("inFeatures", data=p.m_in)
            g.create_dataset("outFeatures", data=p.n)
            g.create_dataset("weight", data=p.weights)
            for name in ("bias", "a_bar", "b_bar", "p", "nu"):
                g.create_dataset(name, data=getattr(p, name))
            for name in _INT_FIELDS:
                g.create_dataset(name, data=int(getattr(p, name)))
            g.create_dataset("theta", data=float(p.theta))
            g.create_dataset("order", data=p.order)
            g.create_dataset("in_scale", data=float(p.in_scale))
            g.attrs["reset"] = p.reset
            for fld in fields(FixedPointFormat):
                value = getattr(p.fmt, fld.name)
                g.attrs[f"fmt_{fld.name}"] = "none" if value is None else value
        w, w_exp, b = readout
        g = f.create_group(f"layer/{len(layers)}")
        g.attrs["type"] = "readout"
        g.create_dataset("weight", data=np.asarray(w))
        g.create_dataset("weight_exp", data=int(w_exp))
        g.create_dataset("bias", data=np.asarray(b))
        g.create_dataset("acc_bits", data=int(acc_bits))
    os.replace(tmp, path)


def _fmt(attrs) -> FixedPointFormat:
    kwargs = {}
    for fld in fields(FixedPointFormat):
        value = attrs[f"fmt_{fld.name}"]
        if isinstance(value, bytes):
            value = value.decode()
        if isinstance(value, str):
            kwargs[fld.name] = None if value == "none" else value
        else:
            kwargs[fld.name] = int(value)
    return FixedPointFormat(**kwargs)


def read_network(path: str | os.PathLike) -> tuple[list[FixedDMPParams], tuple, dict]:
    """Layers, readout ``(weight, weight_exp, bias, acc_bits)`` and metadata."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"network: {path} does not exist")
    with h5py.File(path, "r") as f:
        if "meta" not in f or f["meta"].attrs.get("format") != FORMAT:
            raise ValueError(f"network: {path} is not a {FORMAT} file")
        version = int(f["meta"].attrs["version"])
        if version != VERSION:
            raise ValueError(
                f"network: {path} has format version {version}; this "
                f"lava-dmp reads version {VERSION} only"
            )
        meta = {
            k: (v.decode() if isinstance(v, bytes) else v)
            for k, v in f["meta"].attrs.items()
        }
        if "permutation" in f["meta"]:
            meta["permutation"] = f["meta/permutation"][()]
        layers, readout = [], None
        for i in range(len(f["layer"])):
            g = f[f"layer/{i}"]
            kind = g.attrs["type"]
            if kind == "dmp":
                kw = {name: int(g[name][()]) for name in _INT_FIELDS}
                kw.update(
                    {
                        name: g[name][()].astype(np.int64)
                        for name in ("bias", "a_bar", "b_bar", "p", "nu")
                    }
                )
                layers.append(
                    FixedDMPParams(
                        weights=g["weight"][()].astype(np.int64),
                        theta=float(g["theta"][()]),
                        reset=str(g.attrs["reset"]),
                        in_scale=float(g["in_scale"][()]),
                        fmt=_fmt(g.attrs),
                        **kw,
                    )
                )
            elif kind == "readout":
                readout = (
                    g["weight"][()].astype(np.int64),
                    int(g["weight_exp"][()]),
                    g["bias"][()].astype(np.int64),
                    int(g["acc_bits"][()]),
                )
            else:
                raise ValueError(f"network: layer {i} has unknown type {kind!r}")
    if not layers or readout is None:
        raise ValueError(f"network: {path} needs DMP layers and a readout")
    return layers, readout, meta


def run_lava(path: str | os.PathLike, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Run an exported network in Lava (``fixed_pt``) on one integer sequence
    ``(T, M)``; see :func:`run_lava_many`."""
    return run_lava_many(path, [inputs])[0]


def run_lava_many(
    path: str | os.PathLike,
    samples: list[np.ndarray] | np.ndarray,
    progress: bool = False,
    cfg=None,
) -> list[dict[str, np.ndarray]]:
    """Run many integer sequences ``(T, M)`` through one Lava runtime.

    Each sample runs ``T + 1`` steps (the readout's extra Dense step); between
    samples the state of every layer (v, m, drive, held current, step counter,
    Dense buffers) and of the readout is set back to zero, so each sample
    starts as a fresh network. Spikes are recorded into memmap files. Returns
    per sample each layer's spikes ``s0, s1, ...`` ``(T, N)`` and ``scores``.
    ``cfg`` is the run config (default ``Loihi2SimCfg(select_tag='fixed_pt')``;
    a :class:`lava_dmp.cost.NearMemorySimCfg` counts the run's cost). The
    runtime is always stopped.
    """
    import tempfile

    from lava.magma.core.run_conditions import RunSteps
    from tqdm import tqdm

    from lava_dmp.lava_run import run_cfg, stop_runtime
    from lava_dmp.proc.dmp_layer.process import STATE_VARS
    from lava_dmp.proc.recorder.process import Recorder

    layers, (w, w_exp, b, acc_bits), _ = read_network(path)
    samples = [np.asarray(x) for x in samples]
    if not samples:
        raise ValueError("samples: expected at least one input sequence")
    steps = samples[0].shape[0]
    for x in samples:
        if x.shape != (steps, layers[0].m_in) or x.dtype.kind not in "iu":
            raise ValueError(
                f"samples: expected integer arrays of shape "
                f"({steps}, {layers[0].m_in}), got {x.shape} {x.dtype}"
            )
    pad = np.zeros((1, layers[0].m_in), dtype=np.int64)
    data = np.vstack([np.vstack([x, pad]) for x in samples])
    net = build_network(
        layers,
        data,
        (w, w_exp, b),
        sinks=False,
        readout_start=1,
        readout_acc_bits=acc_bits,
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        recs = []
        for i, layer in enumerate(net.layers):
            rec = Recorder(
                shape=(layer.s_out.shape[0],),
                steps=steps + 1,
                path=os.path.join(tmp, f"s{i}.npy"),
            )
            layer.s_out.connect(rec.a_in)
            recs.append(rec)
        root = net.layers[0]
        cfg = run_cfg("fixed") if cfg is None else cfg
        try:
            for _ in tqdm(samples, disable=not progress, desc="Lava samples"):
                root.run(condition=RunSteps(num_steps=steps + 1), run_cfg=cfg)
                out = {f"s{i}": r.read()[:steps] for i, r in enumerate(recs)}
                out["scores"] = np.asarray(net.readout.acc.get())
                results.append(out)
                for layer in net.layers:
                    for name in STATE_VARS:
                        var = getattr(layer, name)
                        var.set(np.zeros(var.shape))
                for var in (
                    net.readout.acc,
                    net.readout.count,
                    net.readout.k,
                    net.readout_dense.a_buff,
                    *(r.k for r in recs),
                ):
                    var.set(np.zeros(var.shape))
        except BaseException:
            stop_runtime(root, failed=True)
            raise
        stop_runtime(root)
    return results
