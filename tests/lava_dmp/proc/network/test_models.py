"""The exported network as a Lava process in a user's own graph."""

import numpy as np
import pytest
import torch
from lava.magma.core.run_conditions import RunSteps
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source

from lava_dmp.datasets.custom import InputSpec
from lava_dmp.golden import GoldenReadout, run_golden_network
from lava_dmp.lava_run import run_cfg, stop_runtime
from lava_dmp.netx import Network, read_network, run_lava_many
from lava_dmp.train.export import export_network, layer_spikes, quantize_network
from lava_dmp.train.model import DMPNet, NetConfig

pytestmark = pytest.mark.timeout(600)

SPEC = InputSpec(3, 20, 1.0, False, 0)  # 3 channels of binary spikes


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(2)
    net = DMPNet(NetConfig(sizes=(3, 10, 8, 4), order=3, theta=15.0, init_std=0.05))
    path = tmp_path_factory.mktemp("net") / "net.h5"
    export_network(net, path, SPEC)
    rng = np.random.default_rng(0)
    x = (rng.random((3, 20, 3)) < 0.4).astype(np.int64)  # 3 samples (T, M)
    return net, path, x


def _run(net_proc, data, steps):
    """User graph: RingBuffer -> Network -> Sink; returns sink data and scores."""
    source = Source(data=data.T.astype(np.int32))
    sink = Sink(shape=net_proc.out.shape, buffer=steps)
    source.s_out.connect(net_proc.inp)
    net_proc.out.connect(sink.a_in)
    try:
        source.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg("fixed"))
        spikes = sink.data.get().T
        scores = net_proc.readout_proc.acc.get()
    finally:
        stop_runtime(source)
    return spikes, scores


def test_network_in_a_user_graph_equals_golden_and_quantised_forward(exported):
    net, path, x = exported
    sample = x[0]
    proc = Network(net_config=path)
    assert proc.inp.shape == (3,) and proc.out.shape == (8,) and len(proc) == 2
    steps = len(sample) + 1
    spikes, scores = _run(proc, np.vstack([sample, np.zeros((1, 3), np.int64)]), steps)
    layers, (w, w_exp, b, _), _ = read_network(path)
    gold = run_golden_network(layers, sample[:, None, :])
    assert np.array_equal(spikes[: len(sample)], gold[-1]["s"][:, 0])
    gold_scores = GoldenReadout(w, w_exp, b, t_start=1).run(
        np.vstack([gold[-1]["s"][:, 0], np.zeros((1, 8), np.int64)])[:, None, :]
    )
    assert np.array_equal(scores, gold_scores[0])
    quantize_network(net, None, SPEC)
    torch_spikes = layer_spikes(net, torch.from_numpy(sample.T[None].astype("f4")))
    assert np.array_equal(spikes[: len(sample)], torch_spikes[-1][0].numpy().T)
    assert spikes.sum() > 0, "the network spikes"


def test_reset_interval_runs_every_sample_as_on_a_fresh_network(exported):
    """One continuous run of three samples, each followed by one zero step,
    with reset_interval = T + 1 gives each sample's spikes and scores of a
    fresh network (the runner's, which zeroes every state in between)."""
    _, path, x = exported
    fresh = run_lava_many(path, list(x))
    period = x.shape[1] + 1
    data = np.vstack([np.vstack([s, np.zeros((1, 3), np.int64)]) for s in x])
    proc = Network(net_config=path, reset_interval=period)
    source = Source(data=data.T.astype(np.int32))
    sink = Sink(shape=(8,), buffer=len(data))
    source.s_out.connect(proc.inp)
    proc.out.connect(sink.a_in)
    scores = []
    try:
        for _ in x:
            source.run(condition=RunSteps(num_steps=period), run_cfg=run_cfg("fixed"))
            scores.append(proc.readout_proc.acc.get())
        spikes = sink.data.get().T
    finally:
        stop_runtime(source)
    for i, run in enumerate(fresh):
        seg = spikes[i * period : i * period + x.shape[1]]
        assert np.array_equal(seg, run["s1"]), i
        assert np.array_equal(scores[i], run["scores"]), i
    # without the reset the later samples carry the earlier ones' state
    proc = Network(net_config=path)
    carried, _ = _run(proc, data, len(data))
    assert not np.array_equal(carried, spikes)


def test_float_network_reads_the_same_integers(exported):
    """numeric='float' builds the float reading of the file (float models):
    its spikes agree with the fixed network on most steps."""
    _, path, x = exported
    sample = np.vstack([x[0], np.zeros((1, 3), np.int64)])
    fixed, _ = _run(Network(net_config=path), sample, len(sample))
    proc = Network(net_config=path, numeric="float")
    source = Source(data=sample.T.astype(float))
    sink = Sink(shape=(8,), buffer=len(sample))
    source.s_out.connect(proc.inp)
    proc.out.connect(sink.a_in)
    try:
        source.run(condition=RunSteps(num_steps=len(sample)), run_cfg=run_cfg("float"))
        flt = sink.data.get().T
    finally:
        stop_runtime(source)
    assert np.mean(flt == fixed) > 0.9 and flt.sum() > 0
    assert "layer 1: 10 -> 8" in str(proc)


def test_bad_arguments_are_refused(exported):
    _, path, _ = exported
    with pytest.raises(ValueError, match="numeric"):
        Network(net_config=path, numeric="double")
    with pytest.raises(ValueError, match="reset_interval"):
        Network(net_config=path, reset_interval=1)
    with pytest.raises(FileNotFoundError, match="network"):
        Network(net_config=str(path) + ".missing")
