"""Many samples through one Lava runtime: a source, a
:class:`~lava_dmp.proc.network.process.Network` and a recorder per layer."""

from __future__ import annotations

import os

import numpy as np

from lava_dmp._checks import check_int_input
from lava_dmp.netx.format import read_network

__all__ = ["run_lava", "run_lava_many"]


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
    """Run many integer sequences ``(T_i, M)`` through one Lava runtime.

    Each sample runs ``T_i + 1`` steps (the readout's extra Dense step), so
    sequences may differ in length and the readout accumulates exactly the
    steps of each (what the training readout averages); between
    samples the state of every layer (v, m, drive, held current, step counter,
    Dense buffers) and of the readout is set back to zero, so each sample
    starts as a fresh network. Spikes are recorded into memmap files. Returns
    per sample each layer's spikes ``s0, s1, ...`` ``(T_i, N)`` and ``scores``.
    ``cfg`` is the run config (default ``Loihi2SimCfg(select_tag='fixed_pt')``;
    a :class:`lava_dmp.cost.NearMemorySimCfg` counts the run's cost). The
    runtime is always stopped.
    """
    import tempfile

    from lava.magma.core.run_conditions import RunSteps
    from lava.proc.io.source import RingBuffer as Source
    from tqdm import tqdm

    from lava_dmp.lava_run import run_cfg, stop_runtime
    from lava_dmp.proc.dmp_layer.process import STATE_VARS
    from lava_dmp.proc.network.process import Network
    from lava_dmp.proc.recorder.process import Recorder

    layers, _, _ = read_network(path)
    samples = [np.asarray(x) for x in samples]
    if not samples:
        raise ValueError("samples: expected at least one input sequence")
    m_in = layers[0].m_in
    for i, x in enumerate(samples):
        if (
            x.ndim != 2
            or x.shape[1] != m_in
            or x.shape[0] < 1
            or x.dtype.kind not in "iu"
        ):
            raise ValueError(
                f"samples: expected integer arrays of shape (T, {m_in}), got "
                f"{x.shape} {x.dtype} for sample {i}"
            )
    steps = max(x.shape[0] for x in samples)
    pad = np.zeros((1, m_in), dtype=np.int64)
    data = np.vstack([np.vstack([x, pad]) for x in samples])
    net = Network(net_config=path)
    source = Source(data=check_int_input("samples", data, bits=32).T.astype(np.int32))
    source.s_out.connect(net.inp)
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
            for x in tqdm(samples, disable=not progress, desc="Lava samples"):
                n = x.shape[0]
                root.run(condition=RunSteps(num_steps=n + 1), run_cfg=cfg)
                out = {f"s{i}": r.read()[:n] for i, r in enumerate(recs)}
                out["scores"] = np.asarray(net.readout_proc.acc.get())
                results.append(out)
                for layer in net.layers:
                    for name in STATE_VARS:
                        var = getattr(layer, name)
                        var.set(np.zeros(var.shape))
                for var in (
                    net.readout_proc.acc,
                    net.readout_proc.count,
                    net.readout_proc.k,
                    net.readout_dense.a_buff,
                    *(r.k for r in recs),
                ):
                    var.set(np.zeros(var.shape))
        except BaseException:
            stop_runtime(root, failed=True)
            raise
        stop_runtime(root)
    return results
