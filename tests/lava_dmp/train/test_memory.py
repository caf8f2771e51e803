"""FFT memory current against a step-by-step loop with scipy's ZOH matrices."""

import numpy as np
import pytest
import torch

from lava_dmp.train.memory import legendre_kernel, memory_current_fft
from tests.reference import lmu_zoh


@pytest.mark.parametrize("steps,dilation", [(100, 1), (101, 3), (64, 4)])
def test_fft_memory_current_equals_loop(steps, dilation):
    rng = np.random.default_rng(steps)
    x = rng.random((3, steps))
    wm = rng.normal(size=(7, 5))
    h = torch.tensor(legendre_kernel(5, 30.0, steps, dilation))
    got = memory_current_fft(torch.tensor(x), torch.tensor(wm), h, dilation).numpy()
    ad, bd = lmu_zoh(5, 30.0, float(dilation))
    for b in range(3):
        m, acc = np.zeros(5), 0.0
        for k in range(steps):
            acc += x[b, k]
            if k % dilation == 0:
                m = ad @ m + bd * acc / dilation
                acc = 0.0
            assert np.max(np.abs(got[b, k] - wm @ m)) < 1e-10


def test_fft_memory_gradient_matches_finite_difference():
    torch.manual_seed(0)
    x = torch.rand(2, 40, dtype=torch.float64, requires_grad=True)
    wm = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    h = torch.tensor(legendre_kernel(4, 15.0, 40))
    assert torch.autograd.gradcheck(
        lambda a, b: memory_current_fft(a, b, h).sum(dim=(0, 2)), (x, wm)
    )
