"""NearMemorySimCfg on real Lava runs: closed-form counts, unchanged spikes,
linear scaling, the profiler, and the fast path against the Lava path."""

import math

import numpy as np
import pytest
import torch
from lava.magma.core.run_conditions import RunSteps
from lava.proc.dense.process import Dense
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source
from lava.proc.lif.process import LIF

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.cost.counters import COUNTERS
from lava_dmp.cost.fast import golden_counts
from lava_dmp.cost.hardware import preset
from lava_dmp.cost.model import cost_of
from lava_dmp.cost.profiler import NearMemoryProfiler
from lava_dmp.cost.run import lava_counts
from lava_dmp.cost.run_config import NearMemorySimCfg
from lava_dmp.lava_run import run_cfg, stop_runtime
from lava_dmp.netx.build import build_network

HW = preset("default")


def col(counts, name):
    return counts[:, COUNTERS.index(name)]


def _dense_lif(spikes: np.ndarray, n: int, cfg):
    """Source -> Dense (n x M, weight 1) -> LIF; returns LIF spikes and cfg."""
    steps, m = spikes.shape
    src = Source(data=spikes.T.astype(np.int32))
    dense = Dense(weights=np.ones((n, m), dtype=np.int32))
    lif = LIF(shape=(n,), du=4095, dv=0, vth=2, bias_mant=0)
    sink = Sink(shape=(n,), buffer=steps)
    src.s_out.connect(dense.s_in)
    dense.a_out.connect(lif.a_in)
    lif.s_out.connect(sink.a_in)
    try:
        src.run(condition=RunSteps(num_steps=steps), run_cfg=cfg)
        out = np.asarray(sink.data.get()).T
    finally:
        stop_runtime(src)
    return out, dense, lif


def _key(proc):
    return f"{proc.id:05d}_{proc.name}"


def test_k_spikes_give_k_times_n_synaptic_ops():
    rng = np.random.default_rng(3)
    steps, m, n = 12, 9, 5
    spikes = (rng.random((steps, m)) < 0.4).astype(np.int32)
    cfg = NearMemorySimCfg()
    _, dense, lif = _dense_lif(spikes, n, cfg)
    counts = cfg.counts()
    c = counts[_key(dense)]
    k = spikes.sum(axis=1)
    assert col(c, "spikes_in").tolist() == k.tolist()
    assert col(c, "syn_ops").tolist() == (k * n).tolist()
    assert col(c, "weight_read_bits").tolist() == (k * n * HW.weight_bits).tolist()
    assert col(c, "drive_ops").sum() == 0
    c = counts[_key(lif)]
    assert col(c, "dendrite_updates").tolist() == [n] * steps
    assert col(c, "state_read_bits").tolist() == [n * 2 * HW.v_bits] * steps
    cfg.cleanup()


def test_counts_scale_with_activity_and_steps():
    rng = np.random.default_rng(4)
    base = (rng.random((10, 6)) < 0.3).astype(np.int32)
    doubled = np.hstack([base, base])  # twice the events per step
    cfg1, cfg2 = NearMemorySimCfg(), NearMemorySimCfg()
    _, d1, _ = _dense_lif(np.hstack([base, np.zeros_like(base)]), 4, cfg1)
    _, d2, _ = _dense_lif(doubled, 4, cfg2)
    s1 = col(cfg1.counts()[_key(d1)], "syn_ops")
    s2 = col(cfg2.counts()[_key(d2)], "syn_ops")
    assert s2.tolist() == (2 * s1).tolist()
    cfg3 = NearMemorySimCfg()
    _, d3, _ = _dense_lif(np.vstack([base, base]), 4, cfg3)  # twice the steps
    c3 = cfg3.counts()[_key(d3)]
    assert len(c3) == 20
    assert c3.sum(axis=0).tolist() == (2 * cfg1.counts()[_key(d1)].sum(axis=0)).tolist()


def _fixed_net(seed=0):
    p0 = DMPLayerParams.random(14, 6, 4, seed=seed, dilation=2)
    p1 = DMPLayerParams.random(9, 14, 3, seed=seed + 1)
    return [convert_layer(p, test_steps=0)[0] for p in (p0, p1)]


def _run_net(layers, x, cfg):
    net = build_network(layers, x)
    try:
        net.layers[0].run(condition=RunSteps(num_steps=len(x)), run_cfg=cfg)
        return [np.asarray(s.data.get()).T for s in net.sinks], net
    finally:
        stop_runtime(net.layers[0])


def test_instrumented_spikes_equal_plain_fixed_point_run():
    layers = _fixed_net()
    x = (np.random.default_rng(5).random((40, 6)) < 0.35).astype(np.int64)
    plain, _ = _run_net(layers, x, run_cfg("fixed"))
    cfg = NearMemorySimCfg()
    counted, net = _run_net(layers, x, cfg)
    assert sum(int(s.sum()) for s in plain) > 0
    for a, b in zip(plain, counted):
        np.testing.assert_array_equal(a, b)
    # DMP counters: memory refresh every second step in layer 0 (dilation 2)
    dmp0 = [k for k, u in cfg.units.items() if u.kind == "dmp" and u.n == 14][0]
    c = cfg.counts()[dmp0]
    assert col(c, "lmu_macs").tolist() == [(16 + 4) * (k % 2 == 0) for k in range(40)]
    assert col(c, "spikes_out").tolist() == counted[0].sum(axis=1).tolist()
    # the profiler Lava returns for this run config, with Loihi 2 names
    from lava.utils.profiler import Profiler

    prof = Profiler.init(cfg)
    assert isinstance(prof, NearMemoryProfiler)
    assert (
        prof.syn_ops.tolist()
        == sum(col(cfg.counts()[k], "syn_ops") for k in cfg.units).tolist()
    )
    assert prof.total_energy > 0 and prof.power > 0
    assert len(prof.execution_time_per_step) == 40
    cfg.cleanup()


def test_cycles_follow_the_public_model():
    layers = _fixed_net(seed=2)
    x = (np.random.default_rng(6).random((30, 6)) < 0.5).astype(np.int64)
    units, counts, spikes = golden_counts(layers, [x], HW)
    rep = cost_of(units, counts, HW)
    f = HW.fused_neurons
    expected = np.zeros(31)
    feeds = [np.vstack([x, np.zeros((1, 6))])] + [s[0] for s in spikes]
    for i, p in enumerate(layers):
        k = np.count_nonzero(feeds[i], axis=1)
        refresh = (np.arange(31) % p.dilation == 0).astype(int)
        g = math.ceil(p.n / f)
        paths = [
            np.ceil(k * p.n / f),
            g * p.order * refresh,
            g * refresh,
            (p.order + 1) * refresh,
        ]
        expected += np.max(paths, axis=0) + 3 * g
    np.testing.assert_array_equal(rep.cycles, expected)
    by_path = sum(sum(c.values()) for c in rep.energy_pj.values())
    assert rep.total_energy == pytest.approx(by_path * 1e-12)


def test_fast_path_equals_lava_path(tmp_path):
    from lava_dmp.datasets.custom import InputSpec
    from lava_dmp.train.export import export_network
    from lava_dmp.train.model import DMPNet, NetConfig

    torch.manual_seed(0)
    net = DMPNet(NetConfig(sizes=(3, 12, 8, 4), order=3, theta=20.0, init_std=0.3))
    path = tmp_path / "net.h5"
    export_network(net, path, InputSpec(3, 25))
    rng = np.random.default_rng(7)
    inputs = [(rng.random((25, 3)) < 0.5).astype(np.int64) for _ in range(3)]
    cfg = NearMemorySimCfg(max_steps=3 * 26)
    units, counts, runs = lava_counts(path, inputs, cfg)
    from lava_dmp.netx import read_network

    layers, (w, *_), _ = read_network(path)
    gu, gc, spikes = golden_counts(layers, inputs, HW, classes=w.shape[0])
    assert set(counts) == set(gc) == set(units)
    for name in gc:
        assert units[name] == gu[name] or units[name].kind == gu[name].kind
        np.testing.assert_array_equal(counts[name], gc[name], err_msg=name)
    assert sum(int(r["s0"].sum()) for r in runs) > 0


def test_lava_dl_netx_network_is_counted(tmp_path):
    """A slayer CUBA network loaded by lava-dl's netx runs under the config."""
    import h5py
    import lava.lib.dl.slayer as slayer
    from lava.lib.dl import netx

    torch.manual_seed(0)
    p = {"threshold": 1.0, "current_decay": 1.0, "voltage_decay": 0.1}
    blocks = [
        slayer.block.cuba.Dense(p, 6, 5, weight_scale=2, weight_norm=False),
        slayer.block.cuba.Dense(p, 5, 3, weight_scale=2, weight_norm=False),
    ]
    with torch.no_grad():  # slayer learns the neuron shape in a forward pass
        y = torch.rand(1, 6, 4)
        for b in blocks:
            y = b(y)
    with h5py.File(tmp_path / "cuba.h5", "w") as f:
        group = f.create_group("layer")
        for i, b in enumerate(blocks):
            b.export_hdf5(group.create_group(f"{i}"))
    net = netx.hdf5.Network(net_config=str(tmp_path / "cuba.h5"))
    steps = 20
    x = (np.random.default_rng(0).random((6, steps)) < 0.5).astype(np.int32)
    src = Source(data=x)
    src.s_out.connect(net.inp)
    cfg = NearMemorySimCfg()
    try:
        net.run(condition=RunSteps(num_steps=steps), run_cfg=cfg)
    finally:
        stop_runtime(net)
    units, counts = cfg.units, cfg.counts()
    syn = [u for u in units.values() if u.kind == "synapse"]
    lif = {u.name: u for u in units.values() if u.kind == "lif"}
    assert len(syn) == 2 and len(lif) == 2
    first = [u for u in syn if u.n == 5][0]
    c = counts[first.name]
    assert col(c, "spikes_in").sum() == x.sum()
    assert col(c, "syn_ops").sum() == x.sum() * 5
    assert lif[first.target].n == 5
    assert col(counts[first.target], "dendrite_updates").sum() == steps * 5
    rep = cost_of(units, counts, HW)
    assert rep.total_energy > 0 and len(rep.cycles) == steps


def test_sparse_reads_only_the_nonzeros_of_active_columns():
    from lava.proc.sparse.process import Sparse
    from scipy.sparse import csr_matrix

    rng = np.random.default_rng(9)
    steps, m, n = 15, 8, 6
    dense_w = rng.integers(1, 5, (n, m)) * (rng.random((n, m)) < 0.4)
    spikes = (rng.random((steps, m)) < 0.5).astype(np.int32)
    src = Source(data=spikes.T.copy())
    syn = Sparse(weights=csr_matrix(dense_w))
    lif = LIF(shape=(n,), du=4095, dv=0, vth=10)
    src.s_out.connect(syn.s_in)
    syn.a_out.connect(lif.a_in)
    cfg = NearMemorySimCfg()
    try:
        src.run(condition=RunSteps(num_steps=steps), run_cfg=cfg)
    finally:
        stop_runtime(src)
    c = cfg.counts()[_key(syn)]
    col_nnz = (dense_w != 0).sum(axis=0)
    expected = [int(col_nnz[s.astype(bool)].sum()) for s in spikes]
    assert col(c, "syn_ops").tolist() == expected
    assert col(c, "weight_read_bits").tolist() == [e * HW.weight_bits for e in expected]
    cfg.cleanup()
