"""FFT memory current against a step-by-step loop with scipy's ZOH matrices."""

import numpy as np
import pytest
import torch

from lava_dmp.legendre import update_matrices
from lava_dmp.train import native
from lava_dmp.train.memory import legendre_conv, legendre_kernel, memory_current_fft
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


@pytest.mark.parametrize("use_native", [True, False])
def test_legendre_conv_gradient_is_the_adjoint_recurrence(use_native):
    """The drive's gradient (compiled adjoint recurrence, or the FFT's own)
    against autograd of the plain loop m[k] = A m[k-1] + b x[k]."""
    if use_native and not native.available():
        pytest.skip(f"kernels unavailable: {native.status()}")
    a_bar, b_bar = (torch.as_tensor(t) for t in update_matrices(5, 30.0))
    h = torch.as_tensor(legendre_kernel(5, 30.0, 60))
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(60, 3, dtype=torch.float64, generator=gen)
    g = torch.randn(60, 3, 5, dtype=torch.float64, generator=gen)
    x1 = x.clone().requires_grad_(True)
    previous = native.set_enabled(use_native)
    try:
        m1 = legendre_conv(x1, h, a_bar, b_bar)
        m1.backward(g)
    finally:
        native.set_enabled(previous)
    x2 = x.clone().requires_grad_(True)
    m, states = torch.zeros(3, 5, dtype=torch.float64), []
    for k in range(60):
        m = m @ a_bar.T + x2[k, :, None] * b_bar
        states.append(m)
    torch.stack(states).backward(g)
    assert torch.allclose(m1, torch.stack(states).detach(), atol=1e-12)
    assert torch.allclose(x1.grad, x2.grad, rtol=0, atol=1e-10)
    assert x1.grad.abs().max() > 1e-3
