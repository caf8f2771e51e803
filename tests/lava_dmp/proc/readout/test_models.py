"""The Readout accumulator in a Lava network, float and fixed."""

import numpy as np
import pytest
from lava.proc.dense.process import Dense
from lava.proc.io.source import RingBuffer as Source

from lava_dmp.fixed_point import SIGN_MODE
from lava_dmp.lava_run import run_and_probe
from lava_dmp.proc.readout.process import Readout

pytestmark = pytest.mark.timeout(300)


def test_float_readout_time_average():
    s = (np.random.default_rng(0).random((40, 5)) < 0.5).astype(float)
    w = np.random.default_rng(1).normal(size=(3, 5))
    src, dense = Source(data=s.T.copy()), Dense(weights=w)
    ro = Readout(shape=(3,), bias=0.5, t_start=2)
    src.s_out.connect(dense.s_in)
    dense.a_out.connect(ro.a_in)
    out = run_and_probe(ro, 40, "float", read=[("acc", ro.acc), ("n", ro.count)])
    # Dense delays by one step: step k sees s[k-1]; steps 2..39 accumulated
    expected = (s[1:39] @ w.T).sum(axis=0) + 0.5 * 38
    np.testing.assert_allclose(out["acc"], expected, atol=1e-9)
    assert out["n"][0] == 38


def test_fixed_readout_saturates():
    s = np.ones((30, 2), dtype=np.int32)
    w = np.array([[100, 100]], dtype=np.int32)
    src = Source(data=s.T.copy())
    dense = Dense(weights=w, weight_exp=4, sign_mode=SIGN_MODE)
    ro = Readout(shape=(1,), acc_bits=16)
    src.s_out.connect(dense.s_in)
    dense.a_out.connect(ro.a_in)
    out = run_and_probe(ro, 30, "fixed", read=[("acc", ro.acc)])
    assert out["acc"][0] == 2**15 - 1  # 29 * 3200 = 92800 saturates at 16 bits


def test_bad_readout_arguments():
    with pytest.raises(ValueError, match="t_start"):
        Readout(shape=(2,), t_start=-1)
    with pytest.raises(ValueError, match="bias"):
        Readout(shape=(2,), bias=np.nan)
