"""The golden model against a plain element-wise Python-int loop."""

import numpy as np
import pytest

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.golden import GoldenDMPLayer, GoldenReadout, run_golden_network
from tests.reference import loop_fixed_layer

CASES = {
    "default": dict(n=6, m=5, d=4, std=0.8, fmt={}, steps=120),
    "soft_reset": dict(n=6, m=5, d=4, std=0.8, reset="soft", fmt={}, steps=120),
    "dilation3": dict(n=5, m=4, d=3, std=0.8, dilation=3, fmt={}, steps=120),
    "one_neuron_d1": dict(n=1, m=3, d=1, std=1.0, fmt={}, steps=100),
    # narrow widths force saturation of v, m and the accumulators
    "saturating": dict(
        n=4,
        m=5,
        d=3,
        std=3.0,
        fmt=dict(v_bits=13, v_frac=6, acc_bits=11, m_bits=8, m_frac=7),
        steps=150,
        beta=0.95,
        vth=40.0,
    ),
}


def _case(name, seed=0):
    c = CASES[name]
    extra = {k: c[k] for k in ("reset", "dilation", "beta", "vth") if k in c}
    p = DMPLayerParams.random(
        c["n"], c["m"], c["d"], theta=12.0, seed=seed, std=c["std"], **extra
    )
    fixed, _ = convert_layer(p, FixedPointFormat(**c["fmt"]))
    rng = np.random.default_rng(seed + 10)
    s = (rng.random((c["steps"], c["m"])) < 0.4).astype(np.int64)
    return fixed, s


@pytest.mark.parametrize("name", list(CASES))
def test_golden_equals_elementwise_loop(name):
    fixed, s = _case(name)
    ref = loop_fixed_layer(fixed, s, delay=True)
    out = GoldenDMPLayer(fixed).run(s[:, None, :], delay=True)
    assert np.array_equal(out["v"][:, 0], ref["v"])
    assert np.array_equal(out["m"][:, 0], ref["m"])
    assert np.array_equal(out["s"][:, 0], ref["s"])
    assert ref["s"].sum() > 0  # the case is not trivially silent


def test_saturation_case_really_saturates():
    fixed, s = _case("saturating")
    out = GoldenDMPLayer(fixed).run(s[:, None, :])
    assert out["m"].max() == 127 or out["m"].min() == -128
    assert out["v"].min() == -(1 << 12)


def test_batch_equals_single_runs():
    fixed, _ = _case("default")
    rng = np.random.default_rng(5)
    s = (rng.random((60, 3, 5)) < 0.3).astype(np.int64)
    batched = GoldenDMPLayer(fixed).run(s)
    for b in range(3):
        single = GoldenDMPLayer(fixed).run(s[:, b : b + 1])
        assert np.array_equal(batched["v"][:, b], single["v"][:, 0])


def test_graded_input_against_loop():
    p = DMPLayerParams.random(5, 3, 4, theta=30.0, std=0.5)
    fixed, _ = convert_layer(p, in_scale=1 / 255, num_message_bits=8)
    s = np.random.default_rng(1).integers(0, 256, (80, 3))
    ref = loop_fixed_layer(fixed, s)
    out = GoldenDMPLayer(fixed).run(s[:, None, :])
    assert np.array_equal(out["v"][:, 0], ref["v"])


def test_overflow_raise_option():
    p = DMPLayerParams.random(4, 5, 3, theta=12.0, std=3.0, beta=0.95, vth=40.0)
    fixed, _ = convert_layer(
        p, FixedPointFormat(v_bits=13, v_frac=6, acc_bits=11, overflow="raise")
    )
    s = np.ones((100, 1, 5), dtype=np.int64)
    with pytest.raises(OverflowError, match="fixed-point overflow"):
        GoldenDMPLayer(fixed).run(s)


def test_network_delays_one_step_per_layer():
    p1 = DMPLayerParams.random(6, 4, 3, seed=1, std=1.0)
    p2 = DMPLayerParams.random(3, 6, 3, seed=2, std=1.0)
    f1, _ = convert_layer(p1)
    f2, _ = convert_layer(p2)
    s = (np.random.default_rng(0).random((50, 1, 4)) < 0.5).astype(np.int64)
    outs = run_golden_network([f1, f2], s)
    ref1 = loop_fixed_layer(f1, s[:, 0])
    ref2 = loop_fixed_layer(f2, ref1["s"])
    assert np.array_equal(outs[1]["s"][:, 0], ref2["s"])


def test_readout_accumulates_with_delay():
    w = np.array([[2, -4], [6, 0]])
    ro = GoldenReadout(w, weight_exp=1, bias=np.array([1, 0]), t_start=1)
    s = np.array([[[1, 0]], [[1, 1]], [[0, 1]]])
    # steps 1 and 2 see inputs of steps 0 and 1: W s << 1 + b
    expected = (np.array([2, 6]) * 2 + [1, 0]) + (np.array([-2, 6]) * 2 + [1, 0])
    np.testing.assert_array_equal(ro.run(s)[0], expected)


def _float_spikes_call(entry):
    fixed, s = _case("default")
    x = s[:, None, :] * 0.5  # float spikes of 0.5: an int cast makes them 0
    readout = GoldenReadout(np.ones((2, 5), dtype=np.int64), 0, np.zeros(2))
    return {
        "run": lambda: GoldenDMPLayer(fixed).run(x),
        "step": lambda: GoldenDMPLayer(fixed).step(x[0] + 0.5),
        "network": lambda: run_golden_network([fixed], x),
        "readout": lambda: readout.run(x),
    }[entry]


@pytest.mark.parametrize("entry", ["run", "step", "network", "readout"])
def test_float_spikes_are_refused(entry):
    with pytest.raises(
        ValueError,
        match=r"^s_in: a fixed-point model takes integer inputs .* got dtype "
        r"float64 with non-integer values \(e\.g\. 0\.5 at index \(0, ",
    ):
        _float_spikes_call(entry)()


def test_whole_valued_float_spikes_are_refused_and_steps_equal_run():
    fixed, s = _case("default")
    layer = GoldenDMPLayer(fixed)
    with pytest.raises(ValueError, match=r"cast whole-valued floats with \.astype"):
        layer.step(s[:1].astype(float))
    out = layer.run(s[:, None, :], delay=False)
    layer.reset()
    stepped = [layer.step(s[k : k + 1]) for k in range(len(s))]
    assert np.array_equal(np.stack(stepped), out["s"])
