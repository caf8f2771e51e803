"""The linear-time LIF op against autograd of a naive per-step loop."""

import pytest
import torch

from lava_dmp.train import native
from lava_dmp.train.lif import lif_sequence


@pytest.fixture(params=["kernels", "torch"])
def implementation(request):
    """Both LIF implementations: the compiled kernels and the torch fallback."""
    if request.param == "kernels" and not native.available():
        pytest.skip(f"kernels unavailable: {native.status()}")
    previous = native.set_enabled(request.param == "kernels")
    yield request.param
    native.set_enabled(previous)


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v, vth, slope):
        ctx.save_for_backward(v)
        ctx.vth, ctx.slope = vth, slope
        return (v >= vth).to(v.dtype)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        sig = torch.sigmoid(ctx.slope * (v - ctx.vth))
        return g * ctx.slope * sig * (1 - sig), None, None


def _naive(current, beta, vth, reset, slope):
    v = torch.zeros_like(current[0])
    out = []
    for t in range(current.shape[0]):
        v = beta * v + current[t]
        s = _Spike.apply(v, vth, slope)
        out.append(s)
        v = v * (1 - s.detach()) if reset == "hard" else v - vth * s.detach()
    return torch.stack(out)


@pytest.mark.parametrize("reset", ["hard", "soft"])
@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_gradients_match_naive_autograd(reset, beta, implementation):
    gen = torch.Generator().manual_seed(0)
    current = torch.randn(60, 3, 7, dtype=torch.float64, generator=gen) * 0.8 + 0.3
    weights = torch.randn(60, 3, 7, dtype=torch.float64, generator=gen)
    c1 = current.clone().requires_grad_(True)
    c2 = current.clone().requires_grad_(True)
    s1, _ = lif_sequence(c1, beta, 1.0, reset, 4.0)
    s2 = _naive(c2, beta, 1.0, reset, 4.0)
    assert torch.equal(s1, s2)
    assert s1.sum() > 10
    (s1 * weights).sum().backward()
    (s2 * weights).sum().backward()
    assert torch.max(torch.abs(c1.grad - c2.grad)) < 1e-8
    assert torch.max(torch.abs(c1.grad)) > 1e-3


def test_membrane_closed_form_without_spikes(implementation):
    current = torch.full((5, 1, 1), 0.1, dtype=torch.float64)
    s, v = lif_sequence(current, 0.5, 1.0)
    assert s.sum() == 0
    expected = torch.tensor(
        [0.1 * (1 - 0.5 ** (k + 1)) / 0.5 for k in range(5)], dtype=torch.float64
    )
    assert torch.allclose(v[:, 0, 0], expected, atol=1e-15)


def test_bad_reset():
    with pytest.raises(ValueError, match="reset"):
        lif_sequence(torch.zeros(3, 2), reset="none")


@pytest.mark.parametrize("shift", [-1, -3])
def test_negative_shift_refused(shift):
    with pytest.raises(ValueError, match=r"shift: must be >= 0"):
        lif_sequence(torch.zeros(3, 2), 0.5, 1.0, shift=shift)
