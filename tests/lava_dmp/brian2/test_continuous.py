"""Reading (b): the mapping, convergence to a fine reference, and its gap."""

import math

import numpy as np
import pytest

from lava_dmp.brian2.continuous import (
    membrane_constants,
    reference_layer,
    run_continuous,
)
from lava_dmp.brian2.discrete import run_discrete
from lava_dmp.convert import DMPLayerParams


def test_membrane_mapping_gives_one_discrete_step():
    for beta in (0.2, 0.5, 0.9):
        tau, r = membrane_constants(beta)
        v0, i = 0.7, 1.3  # exact ODE solution over one step, constant current
        v1 = r * i + (v0 - r * i) * math.exp(-1.0 / tau)
        assert v1 == pytest.approx(beta * v0 + i, rel=1e-12)


def _layer(vth=100.0):
    return DMPLayerParams.random(6, 4, 5, theta=20.0, seed=1, std=0.6, vth=vth)


def test_converges_to_the_fine_reference_as_the_substep_shrinks():
    p = _layer()  # sub-threshold: no spike timing in the error
    x = (np.random.default_rng(0).random((40, 4)) < 0.4).astype(float)
    ref = reference_layer(p, x, 400)
    errs_v, errs_m = [], []
    for sub in (2, 4, 8, 16):
        res = run_continuous([p], x, sub)[0]
        errs_v.append(np.abs(res["v"] - ref["v"]).max())
        errs_m.append(np.abs(res["m"] - ref["m"]).max())
    assert all(a > b for a, b in zip(errs_v, errs_v[1:]))
    assert all(a > b for a, b in zip(errs_m, errs_m[1:]))
    assert errs_v[-1] < 2e-3 and errs_m[-1] < 1e-8
    # the memory at step ends is the discrete (ZOH) memory
    disc = run_discrete([p], x)[0]
    assert np.abs(disc["m"] - ref["m"]).max() < 1e-9
    # the membrane is not: W_m m(t) varies inside a step (reported gap)
    assert np.abs(disc["v"] - ref["v"]).max() > 1e-4


def test_spiking_gap_is_measured_not_zero():
    p = _layer(vth=0.3)
    x = (np.random.default_rng(1).random((60, 4)) < 0.5).astype(float)
    cont = run_continuous([p], x, 8)[0]
    disc = run_discrete([p], x)[0]
    assert disc["s"].sum() > 0 and cont["s"].sum() > 0
    t, i = cont["spike_times"]
    assert len(t) >= cont["s"].sum()  # binned spikes come from real spike times


def test_bad_parameters_are_refused():
    x = np.zeros((5, 4))
    with pytest.raises(ValueError, match="d_s = 1"):
        run_continuous([DMPLayerParams.random(3, 4, 2, dilation=2)], x)
    with pytest.raises(ValueError, match="0 < beta < 1"):
        run_continuous([DMPLayerParams.random(3, 4, 2, beta=0.0)], x)
    with pytest.raises(ValueError, match="substeps"):
        run_continuous([_layer()], x, 0)
