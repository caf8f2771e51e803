"""SLAYER DMP block against the numpy equations (tests/reference.py)."""

import numpy as np
import pytest
import torch

from lava_dmp.train import native
from lava_dmp.train.blocks import DMPDense, ReadoutBlock
from tests.reference import numpy_layer


@pytest.mark.parametrize("reset,dilation", [("hard", 1), ("soft", 1), ("hard", 3)])
def test_block_forward_matches_numpy_layer_with_delay(reset, dilation):
    torch.manual_seed(0)
    block = DMPDense(
        6, 9, order=4, theta=20.0, init_std=0.8, reset=reset, dilation=dilation
    ).double()
    with torch.no_grad():
        block.neuron.bias.normal_(0, 0.1)
        block.neuron.bias_x.fill_(0.1)
    s = torch.rand(2, 6, 120, generator=torch.Generator().manual_seed(1)) < 0.3
    out = block(s.double())
    p = block.layer_params().fold_input_gain(block.neuron.input_gain)
    for b in range(2):
        ref = numpy_layer(p, s[b].T.numpy(), delay=True)
        assert np.array_equal(out[b].detach().T.numpy(), ref["s"])
        assert ref["s"].sum() > 20


def test_block_gradients_reach_every_parameter():
    torch.manual_seed(0)
    block = DMPDense(5, 8, order=3, theta=10.0, init_std=1.0)
    ro = ReadoutBlock(8, 4, init_std=0.5)
    s = (torch.rand(3, 5, 40) < 0.4).float()
    loss = torch.nn.functional.cross_entropy(ro(block(s)), torch.tensor([0, 1, 2]))
    loss.backward()
    for name, prm in list(block.named_parameters()) + list(ro.named_parameters()):
        assert prm.grad is not None and torch.any(prm.grad != 0), name


def _slayer_synapse(block: DMPDense, x: torch.Tensor) -> torch.Tensor:
    """slayer's own Dense synapse (a conv3d) on ``x (B, M, T)``, its output
    delayed one step by hand: the current the block's neuron reads."""
    z = block.synapse(x)
    return torch.nn.functional.pad(z[..., :-1], (1, 0)) if block.delay_shift else z


@pytest.mark.parametrize(
    "dilation,inputs,time_major,steps,batched",
    [
        (1, 5, False, 70, True),
        (1, 5, False, 30, False),
        (2, 5, False, 70, True),
        (1, 1, False, 70, False),
        (1, 5, True, 70, False),
    ],
)
def test_fast_block_equals_slayer_composition(
    dilation, inputs, time_major, steps, batched, monkeypatch
):
    """The block's fused float path (split weights, delay read in place,
    compiled kernels) against the plain slayer composition neuron(synapse(x))
    in torch ops: same spikes and the same gradients of input and weights.
    The input is a contiguous (B, M, T) tensor (a long one: the batched-GEMM
    synapse, ``batched``; a short one: copied time-major) or, with
    ``time_major``, a view of a (T, B, M) one, as a DMP block hands it on
    (the time-major synapse)."""
    from lava_dmp.train import blocks

    calls = []
    apply = blocks._SynapseWithDriveBatchMajor.apply
    monkeypatch.setattr(
        blocks._SynapseWithDriveBatchMajor,
        "apply",
        lambda *a: calls.append(1) or apply(*a),
    )
    torch.manual_seed(0)
    # inputs = 1: the narrow path (W_f x formed inside the LIF kernel)
    block = DMPDense(inputs, 8, order=3, theta=10.0, init_std=1.0, dilation=dilation)
    block = block.double()
    with torch.no_grad():
        block.neuron.bias.normal_(0, 0.2)
        block.neuron.bias_x.fill_(0.05)
    x = torch.rand(3, inputs, steps, dtype=torch.float64) < 0.4
    w_out = torch.randn(3, 8, steps, dtype=torch.float64)
    grads = []
    for fused in (True, False):
        block.zero_grad()
        xi = x.double().requires_grad_(True)
        xin = xi.permute(2, 0, 1).contiguous().permute(1, 2, 0) if time_major else xi
        assert xin.permute(2, 0, 1).is_contiguous() == time_major
        previous = native.set_enabled(fused)
        try:
            out = block(xin) if fused else block.neuron(_slayer_synapse(block, xin))
        finally:
            native.set_enabled(previous)
        (out * w_out).sum().backward()
        params = [p.grad.clone() for p in block.parameters()]
        grads.append((out.detach(), xi.grad, params))
    (o1, gx1, p1), (o2, gx2, p2) = grads
    assert bool(calls) == batched
    assert torch.equal(o1, o2) and o1.sum() > 50
    assert torch.allclose(gx1, gx2, rtol=0, atol=1e-10) and gx1.abs().max() > 0
    for a, b in zip(p1, p2):
        assert torch.allclose(a, b, rtol=0, atol=1e-10) and a.abs().max() > 0


def test_block_refuses_wrong_channels():
    block = DMPDense(5, 8, order=3, theta=10.0)
    with pytest.raises(ValueError, match="input: expected"):
        block.neuron(torch.zeros(2, 5, 10))


@pytest.mark.parametrize("fast_path,memory", [(False, True), (True, False)])
def test_ablations_freeze_the_removed_path(fast_path, memory):
    torch.manual_seed(0)
    block = DMPDense(
        5, 8, order=3, theta=10.0, init_std=1.0, fast_path=fast_path, memory=memory
    ).double()
    opt = torch.optim.Adam(block.parameters(), lr=0.1)
    s = torch.rand(2, 5, 50, generator=torch.Generator().manual_seed(3)) < 0.4
    for _ in range(3):
        opt.zero_grad()
        block(s.double()).sum().backward()
        opt.step()
    w = block.synapse.weight.detach().reshape(9, 5)
    if not fast_path:
        assert torch.all(w[:8] == 0) and torch.any(w[8] != 0)
    else:
        assert torch.all(w[8] == 0) and torch.all(block.neuron.weights_m == 0)
        # a plain LIF layer: the numpy equations with W_m = 0 and w_x = 0
        p = block.layer_params().fold_input_gain(block.neuron.input_gain)
        ref = numpy_layer(p, s[0].T.numpy(), delay=True)
        out = block(s.double())[0].detach().T.numpy()
        assert np.array_equal(out, ref["s"]) and ref["s"].sum() > 0


@pytest.mark.parametrize("positive_drive", [True, False])
def test_drive_init_keeps_one_input_memory_alive(positive_drive):
    """A 1-input layer on grey levels (S-MNIST's first layer): with the signed
    reference draw about half the seeds give w_x < 0, so x = relu(w_x p) = 0
    at every step and w_x, b_x get no gradient; the half-normal draw never."""
    pixels = torch.rand(2, 1, 30, generator=torch.Generator().manual_seed(5))
    dead = 0
    for seed in range(12):
        torch.manual_seed(seed)
        block = DMPDense(
            1, 6, order=3, theta=10.0, init_std=1.0, positive_drive=positive_drive
        )
        block(pixels).sum().backward()
        w_x = block.synapse.weight.reshape(7)[6]
        grad_w_x = block.synapse.weight.grad.reshape(7)[6]
        if positive_drive:
            assert w_x > 0
        dead += bool(grad_w_x == 0 and block.neuron.bias_x.grad.abs().sum() == 0)
    if positive_drive:
        assert dead == 0
    else:
        assert 3 <= dead <= 9


def test_too_short_theta_is_refused_by_block_and_config():
    from lava_dmp.train.model import NetConfig

    with pytest.raises(ValueError, match=r"theta: must be >= 1 \(steps"):
        DMPDense(5, 8, order=3, theta=1e-300)
    with pytest.raises(ValueError, match=r"theta: must be >= 3 \(steps"):
        DMPDense(5, 8, order=3, theta=2.0, dilation=3)
    with pytest.raises(ValueError, match=r"theta: must be >= 1 \(steps"):
        NetConfig(theta=1e-300)
    with pytest.raises(ValueError, match=r"theta: must be >= 4 \(steps"):
        NetConfig(theta=3.0, dilation=4)


def test_export_hdf5_writes_a_dmp_layer_entry(tmp_path):
    """slayer's block contract: ``export_hdf5(handle)`` writes the block, and
    the format's reader gives back exactly the converter's integers."""
    import h5py

    from lava_dmp.netx.format import read_dmp_layer

    torch.manual_seed(0)
    block = DMPDense(3, 7, order=4, theta=20.0)
    with h5py.File(tmp_path / "b.h5", "w") as f:
        block.export_hdf5(f.create_group("layer/0"))
    with h5py.File(tmp_path / "b.h5", "r") as f:
        back = read_dmp_layer(f["layer/0"])
        assert bool(f["layer/0"].attrs["memory"]) is True
    want = block.fixed_params()
    for name in ("weights", "bias", "a_bar", "b_bar", "p", "nu"):
        assert np.array_equal(getattr(back, name), getattr(want, name)), name
    assert back.shifts == want.shifts and back.vth == want.vth


def test_persistent_state_is_refused_not_ignored():
    with pytest.raises(ValueError, match="persistent_state"):
        DMPDense(3, 7, order=4, theta=20.0, persistent_state=True)


def test_default_init_spikes_on_grey_levels():
    """The block's default scale is NetConfig's (2 / sqrt(in)); the
    reference's 0.02 leaves it silent on MNIST-like grey levels."""
    torch.manual_seed(0)
    x = torch.rand(8, 1, 200)
    assert DMPDense(1, 50, order=4, theta=100.0)(x).sum() > 0
    torch.manual_seed(0)
    assert DMPDense(1, 50, order=4, theta=100.0, init_std=0.02)(x).sum() == 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cached_matrices_follow_the_input(dtype):
    neuron = DMPDense(2, 5, order=3, theta=10.0).neuron
    for device in ("cpu", "meta"):
        like = torch.zeros(4, dtype=dtype, device=device)
        for t in (*neuron.matrices(like), neuron.kernel(12, like)):
            assert t.dtype == dtype and t.device.type == device
