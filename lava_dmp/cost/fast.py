"""Counts of whole test sets from the numpy golden model, without Lava.

The golden model computes the same spikes as the Lava ``fixed_pt`` models
(tested bit for bit), so the events that drive the counters are the same;
the counters then follow from the shared formulas of
:mod:`lava_dmp.cost.counters`. The step protocol is that of
:func:`lava_dmp.netx.run_lava_many`: each sample runs ``T + 1`` steps from a
reset state and the readout accumulates from step 1.
"""

from __future__ import annotations

import numpy as np

from lava_dmp.convert import FixedDMPParams
from lava_dmp.cost.counters import (
    COUNTERS,
    Unit,
    counter_rows,
    features_from_counts,
    unit_ops,
)
from lava_dmp.cost.hardware import HardwareSpec
from lava_dmp.golden import run_golden_network

__all__ = ["golden_counts", "network_units", "without_memory"]


def network_units(layers: list[FixedDMPParams], classes: int | None) -> dict[str, Unit]:
    """Units of a DMP network with an optional readout of ``classes`` outputs."""
    units: dict[str, Unit] = {}
    for i, p in enumerate(layers):
        units[f"L{i}.dense"] = Unit(
            "synapse", p.n + 1, f"L{i}.dense", 1, target=f"L{i}.dmp"
        )
        units[f"L{i}.dmp"] = Unit(
            "dmp", p.n, f"L{i}.dmp", order=p.order, dilation=p.dilation
        )
    if classes:
        units["readout.dense"] = Unit(
            "synapse", classes, "readout.dense", target="readout"
        )
        units["readout"] = Unit("readout", classes, "readout")
    return units


def without_memory(
    units: dict[str, Unit],
    counts: dict[str, np.ndarray],
    memory: list[bool] | None,
    hw: HardwareSpec,
) -> tuple[dict[str, Unit], dict[str, np.ndarray]]:
    """Re-describe the layers whose memory is off as plain LIF layers.

    A network trained without memory (``NetConfig(memory=False)``) still runs
    as DMP layers with zero memory weights; on the accelerator it is a LIF
    layer: its synapse has no drive row and its neurons do no memory work
    (no ``P m``, no ``nu x``, no memory update). The events counted (inputs,
    spikes) are kept; the operations follow from the LIF units. Applied alike
    to the fast path and to an instrumented Lava run.
    """
    if memory is None or all(memory):
        return units, counts
    units, counts = dict(units), dict(counts)
    for i, on in enumerate(memory):
        s_key, n_key = f"L{i}.dense", f"L{i}.dmp"
        syn, neu = units.get(s_key), units.get(n_key)
        if on or syn is None or neu is None:
            continue
        fs = features_from_counts(syn, counts[s_key])
        fn = features_from_counts(neu, counts[n_key])
        syn2 = Unit("synapse", neu.n, syn.name, 0, target=syn.target, source=syn.source)
        fs["reads"] = fs["events"] * neu.n
        neu2 = Unit("lif", neu.n, neu.name)
        fn["refresh"] = np.zeros_like(fn["refresh"])
        fn["active"] = np.ones_like(fn["active"])
        for key, u, f in ((s_key, syn2, fs), (n_key, neu2, fn)):
            units[key] = u
            counts[key] = counter_rows(u, unit_ops(u, **f), hw)
    return units, counts


def golden_counts(
    layers: list[FixedDMPParams],
    samples: list[np.ndarray] | np.ndarray,
    hw: HardwareSpec,
    classes: int | None = None,
    batch: int = 100,
    readout_start: int = 1,
    memory: list[bool] | None = None,
) -> tuple[dict[str, Unit], dict[str, np.ndarray], list[np.ndarray]]:
    """Counters of ``samples`` (each ``(T, M)`` integers, one length) run as
    Lava runs them; ``memory`` flags layers without memory
    (:func:`without_memory`).

    Returns ``(units, counts, spikes)``: counter matrices
    ``(S (T + 1), len(COUNTERS))`` per unit, in sample order, and each
    layer's spikes ``(S, T + 1, N)``.
    """
    samples = [np.asarray(s) for s in samples]
    if len({s.shape for s in samples}) != 1:
        raise ValueError(
            "samples: one length per call (group variable-length samples by length)"
        )
    x = np.stack(samples)  # (S, T, M)
    if x.ndim != 3 or x.dtype.kind not in "iu":
        raise ValueError(f"samples: expected integer arrays (T, M), got {x.shape}")
    n_s, steps = x.shape[0], x.shape[1] + 1
    x = np.concatenate([x, np.zeros_like(x[:, :1])], axis=1)
    units = network_units(layers, classes)
    spikes = [np.empty((n_s, steps, p.n), dtype=np.int8) for p in layers]
    for lo in range(0, n_s, batch):
        outs = run_golden_network(layers, x[lo : lo + batch].transpose(1, 0, 2))
        for i, out in enumerate(outs):
            spikes[i][lo : lo + batch] = out["s"].transpose(1, 0, 2)
    k = np.tile(np.arange(steps), n_s)
    flat = lambda a: a.reshape(n_s * steps, -1)  # noqa: E731
    feeds = [flat(x)] + [flat(s) for s in spikes]
    counts = {}
    zero = np.zeros(n_s * steps, dtype=np.int64)
    for i, p in enumerate(layers):
        ev = np.count_nonzero(feeds[i], axis=1)
        out = np.count_nonzero(feeds[i + 1], axis=1)
        for name, feats in (
            (f"L{i}.dense", dict(events=ev, reads=ev * (p.n + 1), spikes_out=zero)),
            (f"L{i}.dmp", dict(events=zero, reads=zero, spikes_out=out)),
        ):
            f = dict(
                events=zero, reads=zero, refresh=zero, active=zero, spikes_out=zero
            )
            f.update(feats)
            if name.endswith("dmp"):
                f["refresh"] = (k % p.dilation == 0).astype(np.int64)
            counts[name] = counter_rows(units[name], unit_ops(units[name], **f), hw)
    if classes:
        ev = np.count_nonzero(feeds[-1], axis=1)
        base = dict(events=zero, reads=zero, refresh=zero, active=zero, spikes_out=zero)
        u = units["readout.dense"]
        f = dict(base, events=ev, reads=ev * classes)
        counts[u.name] = counter_rows(u, unit_ops(u, **f), hw)
        u = units["readout"]
        f = dict(base, active=(k >= readout_start).astype(np.int64))
        counts[u.name] = counter_rows(u, unit_ops(u, **f), hw)
    assert all(c.shape[1] == len(COUNTERS) for c in counts.values())
    units, counts = without_memory(units, counts, memory, hw)
    return units, counts, spikes
