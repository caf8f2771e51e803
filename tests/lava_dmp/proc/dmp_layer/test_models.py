"""DMPLayer in Lava: float vs the numpy equations, fixed vs the golden model."""

import numpy as np
import pytest
from lava.proc.dense.process import Dense
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source
from lava.proc.lif.process import LIF

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.golden import GoldenDMPLayer, run_golden_network
from lava_dmp.lava_run import run_and_probe
from lava_dmp.proc.dmp_layer.process import DMPLayer
from tests.reference import numpy_layer

pytestmark = pytest.mark.timeout(300)


def _run_layer(layer, s, numeric):
    src = Source(data=s.T.copy())
    sink = Sink(shape=(layer.s_out.shape[0],), buffer=s.shape[0])
    src.s_out.connect(layer.s_in)
    layer.s_out.connect(sink.a_in)
    out = run_and_probe(
        layer,
        s.shape[0],
        numeric,
        probes={"v": layer.v, "m": layer.m},
        read=[("s", sink.data)],
    )
    out["s"] = out["s"].T
    return out


def _spikes(steps, m, rate, seed):
    return (np.random.default_rng(seed).random((steps, m)) < rate).astype(np.int32)


@pytest.mark.parametrize("reset,dilation", [("hard", 1), ("soft", 1), ("hard", 3)])
def test_float_layer_equals_numpy_equations(reset, dilation):
    p = DMPLayerParams.random(
        12, 8, 5, theta=25.0, seed=3, std=0.6, reset=reset, dilation=dilation
    )
    s = _spikes(300, 8, 0.3, 4)
    layer = DMPLayer(
        weights_f=p.weights_f,
        weights_x=p.weights_x,
        weights_m=p.weights_m,
        bias=p.bias,
        bias_x=p.bias_x,
        theta=p.theta,
        beta=p.beta,
        vth=p.vth,
        reset=reset,
        dilation=dilation,
    )
    out = _run_layer(layer, s, "float")
    ref = numpy_layer(p, s, delay=True)
    assert np.array_equal(out["s"], ref["s"])
    assert np.max(np.abs(out["v"] - ref["v"])) < 1e-9
    assert np.max(np.abs(out["m"] - ref["m"])) < 1e-9
    assert ref["s"].sum() > 50


FIXED_CASES = {
    "default": dict(n=12, m=8, d=5, std=0.6, fmt={}),
    "soft": dict(n=12, m=8, d=5, std=0.6, reset="soft", fmt={}),
    "dilation4": dict(n=10, m=6, d=4, std=0.6, dilation=4, fmt={}),
    "n1_d1": dict(n=1, m=4, d=1, std=1.0, vth=0.2, fmt={}),
    "saturating": dict(
        n=6,
        m=8,
        d=3,
        std=3.0,
        beta=0.95,
        vth=40.0,
        fmt=dict(v_bits=13, v_frac=6, acc_bits=11, m_bits=8, m_frac=7),
    ),
}


@pytest.mark.parametrize("name", list(FIXED_CASES))
def test_fixed_layer_equals_golden_bit_for_bit(name):
    c = FIXED_CASES[name]
    extra = {k: c[k] for k in ("reset", "dilation", "beta", "vth") if k in c}
    p = DMPLayerParams.random(
        c["n"], c["m"], c["d"], theta=20.0, seed=7, std=c["std"], **extra
    )
    fixed, _ = convert_layer(p, FixedPointFormat(**c["fmt"]))
    s = _spikes(400, c["m"], 0.3, 8)
    out = _run_layer(DMPLayer.from_fixed(fixed), s, "fixed")
    gold = GoldenDMPLayer(fixed).run(s[:, None, :].astype(np.int64))
    mismatches = (
        np.sum(out["v"] != gold["v"][:, 0])
        + np.sum(out["m"] != gold["m"][:, 0])
        + np.sum(out["s"] != gold["s"][:, 0])
    )
    assert mismatches == 0
    if name == "saturating":
        assert gold["m"].max() == 127 or gold["m"].min() == -128
        assert gold["v"].min() == -(1 << 12)
    else:
        assert gold["s"].sum() > 0


def test_fixed_layer_graded_grey_levels():
    p = DMPLayerParams.random(10, 1, 6, theta=50.0, seed=1, std=2.0)
    fixed, _ = convert_layer(p, in_scale=1 / 255, num_message_bits=8)
    s = np.random.default_rng(2).integers(0, 256, (300, 1)).astype(np.int32)
    out = _run_layer(DMPLayer.from_fixed(fixed), s, "fixed")
    gold = GoldenDMPLayer(fixed).run(s[:, None, :].astype(np.int64))
    assert np.array_equal(out["v"], gold["v"][:, 0])
    assert np.array_equal(out["s"], gold["s"][:, 0])
    assert gold["s"].sum() > 0


def test_float_graded_layer_tracks_fixed_layer():
    # float layer on grey levels / 255 and fixed layer on bytes: close membranes
    p = DMPLayerParams.random(10, 1, 6, theta=50.0, seed=1, std=2.0)
    fixed, _ = convert_layer(p, in_scale=1 / 255, num_message_bits=8)
    pixels = np.random.default_rng(2).integers(0, 256, (200, 1))
    gold = GoldenDMPLayer(fixed).run(pixels[:, None, :])
    ref = numpy_layer(p, pixels / 255.0, delay=True)
    agree = np.mean(gold["s"][:, 0] == ref["s"])
    assert agree > 0.95


def test_two_layers_with_standard_lava_processes_fixed():
    p1 = DMPLayerParams.random(16, 8, 4, seed=1, std=0.8)
    p2 = DMPLayerParams.random(6, 16, 4, seed=2, std=0.8)
    f1, _ = convert_layer(p1)
    f2, _ = convert_layer(p2)
    s = _spikes(200, 8, 0.3, 3)
    src = Source(data=s.T.copy())
    l1, l2 = DMPLayer.from_fixed(f1), DMPLayer.from_fixed(f2)
    dense = Dense(weights=np.full((3, 6), 40, dtype=np.int32))
    lif = LIF(shape=(3,), du=4095, dv=2048, vth=1000)
    sink = Sink(shape=(6,), buffer=200)
    src.s_out.connect(l1.s_in)
    l1.s_out.connect(l2.s_in)
    l2.s_out.connect(sink.a_in)
    l2.s_out.connect(dense.s_in)
    dense.a_out.connect(lif.a_in)
    out = run_and_probe(
        l1, 200, "fixed", probes={"v1": l1.v, "lif_v": lif.v}, read=[("s2", sink.data)]
    )
    gold = run_golden_network([f1, f2], s[:, None, :].astype(np.int64))
    assert np.array_equal(out["v1"], gold[0]["v"][:, 0])
    assert np.array_equal(out["s2"].T, gold[1]["s"][:, 0])
    assert gold[1]["s"].sum() > 0 and np.any(out["lif_v"] != 0)


def test_two_layers_float_with_monitor():
    p1 = DMPLayerParams.random(10, 6, 3, seed=4, std=0.8)
    p2 = DMPLayerParams.random(5, 10, 3, seed=5, std=0.8)
    s = _spikes(150, 6, 0.3, 6)
    src = Source(data=s.T.astype(float))
    layers = [
        DMPLayer(
            weights_f=p.weights_f,
            weights_x=p.weights_x,
            weights_m=p.weights_m,
            bias=p.bias,
            bias_x=p.bias_x,
            theta=p.theta,
        )
        for p in (p1, p2)
    ]
    src.s_out.connect(layers[0].s_in)
    layers[0].s_out.connect(layers[1].s_in)
    out = run_and_probe(layers[0], 150, "float", probes={"v2": layers[1].v})
    r1 = numpy_layer(p1, s, delay=True)
    r2 = numpy_layer(p2, r1["s"], delay=True)
    assert np.max(np.abs(out["v2"] - r2["v"])) < 1e-9


def test_fixed_run_refuses_float_built_layer_and_stops():
    p = DMPLayerParams.random(4, 3, 2)
    layer = DMPLayer(
        weights_f=p.weights_f, weights_x=p.weights_x, weights_m=p.weights_m
    )
    with pytest.raises(ValueError, match="built from float parameters"):
        run_and_probe(layer, 5, "fixed")


def test_bad_layer_arguments():
    p = DMPLayerParams.random(4, 3, 2)
    with pytest.raises(ValueError, match="weights_x"):
        DMPLayer(weights_f=p.weights_f, weights_x=np.zeros(4), weights_m=p.weights_m)
    with pytest.raises(ValueError, match="num_message_bits"):
        DMPLayer(
            weights_f=p.weights_f,
            weights_x=p.weights_x,
            weights_m=p.weights_m,
            num_message_bits=-1,
        )
    with pytest.raises(ValueError, match="params: expected FixedDMPParams"):
        DMPLayer.from_fixed(p)
