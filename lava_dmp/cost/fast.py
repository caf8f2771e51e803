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
from lava_dmp.cost.counters import COUNTERS, Unit, counter_rows, unit_ops
from lava_dmp.cost.hardware import HardwareSpec
from lava_dmp.golden import run_golden_network

__all__ = ["golden_counts", "network_units"]


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


def golden_counts(
    layers: list[FixedDMPParams],
    samples: list[np.ndarray] | np.ndarray,
    hw: HardwareSpec,
    classes: int | None = None,
    batch: int = 100,
    readout_start: int = 1,
) -> tuple[dict[str, Unit], dict[str, np.ndarray], list[np.ndarray]]:
    """Counters of ``samples`` (each ``(T, M)`` integers) run as Lava runs them.

    Returns ``(units, counts, spikes)``: counter matrices
    ``(S (T + 1), len(COUNTERS))`` per unit, in sample order, and each
    layer's spikes ``(S, T + 1, N)``.
    """
    x = np.stack([np.asarray(s) for s in samples])  # (S, T, M)
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
    return units, counts, spikes
