"""The LMU process: same-step memory of a graded signal, float and fixed."""

import numpy as np
import pytest
from lava.proc.io.sink import RingBuffer as Sink
from lava.proc.io.source import RingBuffer as Source

from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.lava_run import run_and_probe
from lava_dmp.legendre import delay_readout, quantize_lmu
from lava_dmp.proc.lmu.process import LMU
from tests.reference import lmu_zoh

pytestmark = pytest.mark.timeout(300)


def _run(lmu, x, numeric):
    src = Source(data=x[None, :].copy())
    sink = Sink(shape=(lmu.m_out.shape[0],), buffer=x.size)
    src.s_out.connect(lmu.a_in)
    lmu.m_out.connect(sink.a_in)
    return run_and_probe(lmu, x.size, numeric, read=[("m", sink.data)])["m"].T


@pytest.mark.parametrize("dilation", [1, 2])
def test_float_lmu_same_step_against_recurrence(dilation):
    t = np.arange(300)
    x = np.sin(2 * np.pi * t / 80.0)
    out = _run(LMU(order=6, theta=40.0, dilation=dilation), x, "float")
    ad, bd = lmu_zoh(6, 40.0, float(dilation))
    m, acc, ref = np.zeros(6), 0.0, []
    for k in range(x.size):
        acc += x[k]
        if k % dilation == 0:
            m = ad @ m + bd * acc / dilation
            acc = 0.0
        ref.append(m)
    np.testing.assert_allclose(out, np.array(ref), atol=1e-12)
    if dilation == 1:  # the memory holds a delayed copy of x
        est = delay_readout(out[100:], 20.0, 40.0)
        assert np.max(np.abs(est - x[80:280])) < 0.05


def test_fixed_lmu_against_integer_loop():
    fmt = FixedPointFormat(m_frac=12)
    x = np.round(2**12 * np.sin(np.arange(200) / 7.0)).astype(np.int32)
    out = _run(LMU(order=5, theta=30.0, fixed=fmt), x, "fixed")
    q = quantize_lmu(5, 30.0)
    sb = q.b_frac + fmt.v_frac - 12

    def rhaz(v, n):
        mag = (abs(v) + (1 << (n - 1))) >> n if n > 0 else abs(v) << -n
        return -mag if v < 0 else mag

    m = [0] * 5
    for k in range(x.size):
        m = [
            max(
                min(
                    rhaz(sum(int(q.a_int[i, j]) * m[j] for j in range(5)), q.a_frac)
                    + rhaz(int(q.b_int[i]) * int(x[k]), sb),
                    32767,
                ),
                -32768,
            )
            for i in range(5)
        ]
        assert list(out[k]) == m


def test_fixed_lmu_needs_m_frac():
    with pytest.raises(ValueError, match="fixed: expected a FixedPointFormat"):
        LMU(order=3, theta=10.0, fixed=FixedPointFormat())


@pytest.mark.parametrize(
    "kwargs,low",
    [
        (dict(theta=1e-300), "1"),
        (dict(theta=3.0, dilation=4), "4"),
        (dict(theta=0.5, fixed=FixedPointFormat(m_frac=12)), "1"),
    ],
)
def test_too_short_theta_is_refused(kwargs, low):
    with pytest.raises(ValueError, match=rf"theta: must be >= {low} \(steps"):
        LMU(order=3, **kwargs)
