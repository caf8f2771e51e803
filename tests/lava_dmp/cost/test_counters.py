"""Closed-form counts of the shared formulas (no Lava here)."""

import numpy as np
import pytest

from lava_dmp.cost.counters import (
    COUNTERS,
    FEATURES,
    PATHS,
    Unit,
    counter_rows,
    linear_basis,
    path_energy,
    unit_ops,
)
from lava_dmp.cost.hardware import preset

HW = preset("default")


def _feats(steps, **kw):
    f = {k: np.zeros(steps, dtype=np.int64) for k in FEATURES}
    f.update({k: np.asarray(v) for k, v in kw.items()})
    return f


def col(rows, name):
    return rows[:, COUNTERS.index(name)]


def test_dense_column_reads_per_event():
    n, events = 33, np.array([0, 3, 7, 1])
    u = Unit("synapse", n + 1, drive_rows=1)
    rows = counter_rows(
        u, unit_ops(u, **_feats(4, events=events, reads=events * (n + 1))), HW
    )
    assert col(rows, "syn_ops").tolist() == (events * n).tolist()
    assert col(rows, "drive_ops").tolist() == events.tolist()
    assert col(rows, "weight_read_bits").tolist() == (events * (n + 1) * 8).tolist()
    # partial sums in registers: one read and one write of 24 bits per add
    assert col(rows, "reg_read_bits").tolist() == (events * (n + 1) * 24).tolist()
    assert col(rows, "state_read_bits").sum() == 0


def test_dmp_memory_work_only_at_refresh():
    n, d = 128, 10
    u = Unit("dmp", n, order=d, dilation=2)
    refresh = np.array([1, 0, 1, 0])
    rows = counter_rows(u, unit_ops(u, **_feats(4, refresh=refresh)), HW)
    assert col(rows, "p_macs").tolist() == (refresh * n * d).tolist()
    assert col(rows, "nu_macs").tolist() == (refresh * n).tolist()
    assert col(rows, "lmu_macs").tolist() == (refresh * (d * d + d)).tolist()
    assert col(rows, "dendrite_updates").tolist() == [n] * 4
    assert (
        col(rows, "coef_read_bits").tolist()
        == (refresh * (n * d + n + d * d + d) * 16).tolist()
    )
    # fused: one 24-bit membrane read per neuron and step, plus the held I_m
    assert col(rows, "state_read_bits").tolist() == [n * (24 + 24)] * 4
    assert (
        col(rows, "state_write_bits").tolist() == (n * 24 + refresh * n * 24).tolist()
    )


def test_linear_basis_equals_formulas():
    rng = np.random.default_rng(0)
    units = [
        Unit("synapse", 21, drive_rows=1),
        Unit("dmp", 20, order=5, dilation=3),
        Unit("lif", 7),
        Unit("readout", 10),
        Unit("io", 0),
    ]
    for u in units:
        f = _feats(
            50,
            events=rng.integers(0, 9, 50),
            refresh=rng.integers(0, 2, 50),
            active=rng.integers(0, 2, 50),
            spikes_out=rng.integers(0, 9, 50),
        )
        f["reads"] = f["events"] * u.n
        c0, basis = linear_basis(u, HW)
        feats = np.stack([f[k] for k in FEATURES], axis=1)
        np.testing.assert_array_equal(
            c0 + feats @ basis, counter_rows(u, unit_ops(u, **f), HW)
        )


def test_unfused_moves_partial_sums_to_sram_and_costs_more():
    u = Unit("dmp", 64, order=8)
    ops = unit_ops(u, **_feats(3, refresh=np.ones(3)))
    fused = path_energy(u, ops, HW, fused=True)
    unfused = path_energy(u, ops, HW, fused=False)
    total = lambda e: sum(float(np.sum(v)) for p in PATHS for v in e[p].values())  # noqa: E731
    assert total(unfused) > total(fused)
    assert float(np.sum(fused["memory"]["state_read_bits"])) == 0
    assert float(np.sum(unfused["memory"]["state_read_bits"])) > 0


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unit.kind"):
        Unit("conv", 3)
