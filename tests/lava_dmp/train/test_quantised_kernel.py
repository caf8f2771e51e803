"""The compiled fixed-point layer against the plain integer loop and the numpy
golden model, bit for bit, and the quantised training forward built on it."""

import numpy as np
import pytest
import torch

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.fixed_point import FixedPointFormat
from lava_dmp.golden import GoldenDMPLayer
from lava_dmp.train import native
from lava_dmp.train.blocks import DMPDense
from tests.lava_dmp.test_golden import CASES as GOLDEN_CASES
from tests.reference import loop_fixed_layer

needs_kernels = pytest.mark.skipif(
    not native.available(), reason=f"kernels unavailable: {native.status()}"
)

# the golden model's own cases (one of them narrow enough to saturate)
CASES = {
    k: GOLDEN_CASES[k] for k in ("default", "soft_reset", "dilation3", "saturating")
}


def _case(name, fmt_extra=None, seed=0, steps=90, batch=3, graded=False):
    c = CASES[name]
    extra = {k: c[k] for k in ("reset", "dilation", "beta", "vth") if k in c}
    p = DMPLayerParams.random(
        c["n"], c["m"], c["d"], theta=12.0, seed=seed, std=c["std"], **extra
    )
    fixed, _ = convert_layer(p, FixedPointFormat(**{**c["fmt"], **(fmt_extra or {})}))
    rng = np.random.default_rng(seed + 10)
    if graded:
        s = rng.integers(0, 8, size=(steps, batch, c["m"]), dtype=np.int64)
    else:
        s = (rng.random((steps, batch, c["m"])) < 0.4).astype(np.int64)
    return fixed, s


@needs_kernels
@pytest.mark.parametrize("graded", [False, True])
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_equals_plain_loop_and_golden(name, graded):
    fixed, s = _case(name, graded=graded)
    out = native.golden_run(fixed, s, delay=True)
    gold = GoldenDMPLayer(fixed).run(s, delay=True)
    for key in ("s", "v", "m", "x"):
        assert np.array_equal(out[key], gold[key]), key
    for b in range(s.shape[1]):  # the independent per-element loop
        ref = loop_fixed_layer(fixed, s[:, b], delay=True)
        for key in ("s", "v", "m"):
            assert np.array_equal(out[key][:, b], ref[key]), (key, b)
    assert out["s"].sum() > 0
    if name == "saturating":  # the clipping paths really ran
        assert out["v"].min() == -(1 << 12)
        assert out["m"].max() == 127 or out["m"].min() == -128


@needs_kernels
def test_kernel_without_delay_and_overflow_raise():
    fixed, s = _case("default")
    out = native.golden_run(fixed, s, delay=False)
    gold = GoldenDMPLayer(fixed).run(s, delay=False)
    assert np.array_equal(out["v"], gold["v"])
    # a clip under overflow="raise" gives the golden model's own error
    fixed, s = _case("saturating", fmt_extra=dict(overflow="raise"))
    with pytest.raises(OverflowError, match="fixed-point overflow"):
        native.golden_run(fixed, s)


@needs_kernels
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_quantised_forward_reads_floats_on_the_grid(dtype):
    fixed, s = _case("default", graded=True)
    scale = 0.25
    # a strided (T, B, M) view of a (B, M, T) tensor, as the block passes it
    x = torch.from_numpy(s * scale).to(dtype).permute(1, 2, 0).contiguous()
    volts, spikes = native.quantised_forward(
        fixed, x.permute(2, 0, 1), scale, (0, 7), True
    )
    gold = GoldenDMPLayer(fixed).run(s, delay=True)
    assert volts.dtype == dtype and spikes.dtype == dtype
    assert np.array_equal(spikes.numpy(), gold["s"])
    want = torch.from_numpy(gold["v"] * 2.0**-fixed.fmt.v_frac).to(dtype)
    assert torch.equal(volts, want)
    # off the grid, outside the range, or NaN: the caller's numpy path decides
    for bad in (x + 0.1 * scale, x + 8 * scale, x * float("nan")):
        got = native.quantised_forward(fixed, bad.permute(2, 0, 1), scale, (0, 7), True)
        assert got is None


@needs_kernels
@pytest.mark.parametrize("reset", ["hard", "soft"])
def test_block_quantised_forward_same_with_and_without_kernel(reset):
    torch.manual_seed(0)
    block = DMPDense(in_neurons=12, out_neurons=9, order=4, theta=16.0, reset=reset)
    block.quantize()
    x = (torch.rand(4, 12, 60) < 0.3).float()
    x.requires_grad_(True)
    out_k = block(x)
    out_k.sum().backward()
    grad_k = x.grad.clone()
    x.grad = None
    old = native.set_enabled(False)
    try:
        out_np = block(x)
        out_np.sum().backward()
    finally:
        native.set_enabled(old)
    assert out_k.sum() > 0
    assert torch.equal(out_k, out_np)
    # the straight-through backward also switches between the compiled and the
    # torch LIF backward, which sum in another order (float32 rounding)
    torch.testing.assert_close(grad_k, x.grad, rtol=1e-5, atol=1e-6)
    # bad input is still reported with the parameter's name
    with pytest.raises(ValueError, match="input: the quantised forward"):
        block(x.detach() * 0.5)
