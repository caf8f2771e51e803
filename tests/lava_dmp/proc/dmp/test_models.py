"""DMP neurons alone: same-step coupling from a_in/x_in, against numpy."""

import numpy as np
import pytest
from lava.proc.io.source import RingBuffer as Source

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.lava_run import run_and_probe
from lava_dmp.proc.dmp.process import DMP
from tests.reference import numpy_dmp

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("fused", [False, True])
def test_float_dmp_same_step_against_numpy(fused):
    n, d, steps = 7, 4, 250
    rng = np.random.default_rng(0)
    a_f = rng.normal(0.2, 0.6, (steps, n))
    a_x = rng.normal(0.2, 1.0, (steps, 1))
    wm = rng.normal(0, 0.8, (n, d))
    dmp = DMP(
        shape=(n,),
        theta=15.0,
        weights_m=wm,
        bias=0.05,
        bias_x=0.1,
        beta=0.8,
        vth=1.0,
        reset="soft",
        fused_drive=fused,
    )
    if fused:
        src = Source(data=np.hstack([a_f, a_x]).T.copy())
        src.s_out.connect(dmp.a_in)
    else:
        src_f, src_x = Source(data=a_f.T.copy()), Source(data=a_x.T.copy())
        src_f.s_out.connect(dmp.a_in)
        src_x.s_out.connect(dmp.x_in)
    out = run_and_probe(
        dmp, steps, "float", probes={"v": dmp.v, "m": dmp.m, "x": dmp.x}
    )
    # identity fast weights and a unit drive weight turn the layer into DMP alone
    s_in = np.hstack([a_f, a_x])
    wf = np.hstack([np.eye(n), np.zeros((n, 1))])
    wx = np.r_[np.zeros(n), 1.0]
    ref = numpy_dmp(
        s_in, wf, wx, wm, np.full(n, 0.05), 0.1, 15.0, 0.8, 1.0, "soft", delay=False
    )
    assert np.max(np.abs(out["v"] - ref["v"])) < 1e-9
    assert np.max(np.abs(out["m"] - ref["m"])) < 1e-9
    assert np.max(np.abs(out["x"][:, 0] - ref["x"])) < 1e-12


def test_float_run_refuses_fixed_built_dmp():
    fixed, _ = convert_layer(DMPLayerParams.random(3, 2, 2))
    dmp = DMP.from_fixed(fixed)
    with pytest.raises(ValueError, match="built from fixed parameters"):
        run_and_probe(dmp, 3, "float")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(shape=(3,), theta=10.0, weights_m=np.zeros((4, 2))), "weights_m"),
        (dict(shape=(3,), theta=0.0, weights_m=np.zeros((3, 2))), "theta"),
        (
            dict(shape=(3,), theta=1e-300, weights_m=np.zeros((3, 2))),
            r"theta: must be >= 1 \(steps",
        ),
        (
            dict(shape=(3,), theta=3.0, weights_m=np.zeros((3, 2)), dilation=4),
            r"theta: must be >= 4 \(steps",
        ),
        (dict(shape=(3,), theta=10.0, weights_m=np.zeros((3, 0))), "weights_m"),
        (dict(shape=3, theta=10.0, weights_m=np.zeros((3, 2))), "shape"),
        (dict(shape=(3,), theta=10.0, weights_m=np.full((3, 2), np.nan)), "weights_m"),
        (dict(shape=(3,), theta=10.0, weights_m=np.zeros((3, 2)), reset="x"), "reset"),
        (
            dict(shape=(3,), theta=10.0, weights_m=np.zeros((3, 2)), dilation=0),
            "dilation",
        ),
    ],
)
def test_bad_dmp_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DMP(**kwargs)


def test_from_fixed_refuses_floats():
    with pytest.raises(ValueError, match="params: expected FixedDMPParams"):
        DMP.from_fixed(DMPLayerParams.random(3, 2, 2))
