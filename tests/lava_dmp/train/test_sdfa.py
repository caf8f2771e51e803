"""SDFA and SDFA-local against independent references written here: a plain
per-step float64 loop (autograd through a hand-written spike function for
``sdfa``; the per-step formula and the memory's forward eligibility trace,
written out, for ``sdfa-local`` and for the straight-through quantised
forward along the golden model's membrane)."""

import math

import numpy as np
import pytest
import torch

from lava_dmp.datasets.custom import InputSpec, from_arrays
from lava_dmp.golden import GoldenDMPLayer
from lava_dmp.train import native
from lava_dmp.train.export import quantize_network
from lava_dmp.train.model import DMPNet, NetConfig
from lava_dmp.train.sdfa import DelayedUpdates, Feedback, sdfa_backward
from lava_dmp.train.trainer import TrainConfig, load_checkpoint, loss_function, train
from tests.reference import lmu_zoh

T, B, M = 14, 3, 4
SPEC = InputSpec(M, T, 1.0, False, 0)


def _net(memory=True, surrogate="sigmoid", slope=4.0, beta=0.5, seed=0, sizes=None):
    torch.manual_seed(seed)
    cfg = NetConfig(
        sizes=sizes or (M, 7, 6, 3),
        order=3,
        theta=9.0,
        init_std=0.08,
        memory=memory,
        surrogate=surrogate,
        slope=slope,
        beta=beta,
    )
    net = DMPNet(cfg).double()
    with torch.no_grad():  # biases and drive bias away from zero: every path
        for block in net.blocks:
            block.neuron.bias.uniform_(0.1, 0.4)
            block.neuron.bias_x.fill_(0.05)
    return net


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(B, M, T, generator=g) < 0.5).double()
    y = torch.randint(0, 3, (B,), generator=g)
    return x, y


def _surrogate(x, slope, kind):
    if kind == "sigmoid":
        sig = torch.sigmoid(slope * x)
        return slope * sig * (1 - sig)
    return (slope / 2) / (1 + (math.pi * slope * x / 2) ** 2)


class _Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v, vth, slope, kind):
        ctx.save_for_backward(v)
        ctx.args = (vth, slope, kind)
        return (v >= vth).to(v.dtype)

    @staticmethod
    def backward(ctx, grad):
        (v,) = ctx.saved_tensors
        vth, slope, kind = ctx.args
        return grad * _surrogate(v - vth, slope, kind), None, None, None


def _params(block):
    w = block.synapse.weight.detach().reshape(block.synapse.weight.shape[:2])
    n = block.neuron
    return {
        "wf": w[:-1].clone().requires_grad_(),
        "wx": w[-1].clone().requires_grad_(),
        "wm": n.weights_m.detach().clone().requires_grad_(),
        "b": n.bias.detach().clone().requires_grad_(),
        "bx": n.bias_x.detach().clone().requires_grad_(),
    }


def _layer(s_in, p, n, kind):
    """One DMP layer, step by step, float64: the input delayed one step,
    x = relu(w_x s + b_x), m = A m + B x, v = beta v + g (W_f s + W_m m + b),
    hard reset without gradient. Returns spikes, membranes (pre-reset),
    memories, drives' pre-activations and the delayed inputs, (T, B, ...)."""
    ad, bd = (torch.from_numpy(a) for a in lmu_zoh(n.order, n.theta))
    v = torch.zeros(B, p["b"].shape[0], dtype=torch.float64)
    m = torch.zeros(B, n.order, dtype=torch.float64)
    out = {k: [] for k in ("s", "v", "m", "z", "inp")}
    for t in range(T):
        inp = s_in[t - 1] if t else torch.zeros_like(s_in[0])
        z = inp @ p["wx"] + p["bx"]
        m = m @ ad.T + torch.relu(z)[:, None] * bd
        v = n.beta * v + n.input_gain * (inp @ p["wf"].T + m @ p["wm"].T + p["b"])
        s = _Spike.apply(v, n.vth, n.slope, kind)
        for key, val in (("s", s), ("v", v), ("m", m), ("z", z), ("inp", inp)):
            out[key].append(val)
        v = v * (1 - s.detach())
    return {k: torch.stack(val) for k, val in out.items()}


def _error(net, spikes_last, y, lengths=None):
    r = net.readout(spikes_last.permute(1, 2, 0).detach(), lengths)
    loss = torch.nn.functional.cross_entropy(r, y)
    return torch.autograd.grad(loss, r)[0]


def _grads_of(net):
    out = []
    for block in net.blocks:
        w = block.synapse.weight.grad.reshape(block.synapse.weight.shape[:2])
        n = block.neuron
        out.append(
            {
                "wf": w[:-1],
                "wx": w[-1],
                "wm": n.weights_m.grad,
                "b": n.bias.grad,
                "bx": n.bias_x.grad,
            }
        )
    return out


@pytest.mark.parametrize("kind", ["sigmoid", "atan"])
def test_sdfa_equals_per_layer_bptt_of_a_plain_loop(kind):
    slope = 4.0 if kind == "sigmoid" else 2.0
    net = _net(surrogate=kind, slope=slope)
    fb = Feedback(3, [7, 6], seed=5)
    x, y = _data()
    net.zero_grad()
    sdfa_backward(net, x, y, fb, torch.nn.functional.cross_entropy)
    got = _grads_of(net)
    # the reference: layer inputs detached, e = dL/dr, g_l = e B_l injected
    h = x.permute(2, 0, 1)
    refs, params = [], []
    for block in net.blocks:
        p = _params(block)
        run = _layer(h.detach(), p, block.neuron, kind)
        refs.append(run)
        params.append(p)
        h = run["s"]
    e = _error(net, h, y)
    total = sum(
        (run["s"] * g[None].detach()).sum()
        for run, g in zip(refs, (e @ m for m in fb.matrices))
    )
    total.backward()
    for mine, p in zip(got, params):
        for key in mine:
            assert torch.allclose(mine[key], p[key].grad, rtol=0, atol=1e-8), key
    assert all(float(p["wx"].grad.abs().sum()) > 0 for p in params)


def _local_reference(run, p, n, g, vth, beta, gain, local, kind="sigmoid"):
    """The per-step formula: delta[t] = gain g sigma'(v[t] - vth), with the
    membrane recurrence (non-local: along the run's own spikes, reset without
    gradient) or without; W_f, b, W_m from the step's inputs; w_x and b_x
    through the eligibility traces E[t] = A E[t-1] + B relu'(z[t]) s_in[t]."""
    ad, bd = (torch.from_numpy(a) for a in lmu_zoh(n.order, n.theta))
    sur = _surrogate(run["v"] - vth, n.slope, kind) * g[None]
    if local:
        dh = sur
    else:
        dh = torch.zeros_like(sur)
        nxt = torch.zeros_like(sur[0])
        for t in range(T - 1, -1, -1):
            nxt = sur[t] + beta * (1 - run["s"][t]) * nxt
            dh[t] = nxt
    delta = gain * dh
    grads = {
        "wf": torch.einsum("tbn,tbm->nm", delta, run["inp"]),
        "b": delta.sum(dim=(0, 1)),
        "wm": torch.einsum("tbn,tbd->nd", delta, run["m"]),
    }
    e_w = torch.zeros(
        B,
        n.order,
        M if run["inp"].shape[-1] == M else run["inp"].shape[-1],
        dtype=torch.float64,
    )
    e_b = torch.zeros(B, n.order, dtype=torch.float64)
    gw = torch.zeros(run["inp"].shape[-1], dtype=torch.float64)
    gb = torch.zeros((), dtype=torch.float64)
    for t in range(T):
        du = (run["z"][t] > 0).double()  # relu'
        e_w = torch.einsum("de,bem->bdm", ad, e_w) + bd[None, :, None] * (
            du[:, None, None] * run["inp"][t][:, None, :]
        )
        e_b = e_b @ ad.T + bd[None, :] * du[:, None]
        q = delta[t] @ p["wm"]  # W_m^T delta[t], (B, d)
        gw = gw + torch.einsum("bd,bdm->m", q, e_w)
        gb = gb + (q * e_b).sum()
    grads["wx"], grads["bx"] = gw, gb
    return grads


@pytest.mark.parametrize("kernels", [True, False])
@pytest.mark.parametrize("local", [False, True])
def test_float_rules_equal_the_step_by_step_formula(local, kernels):
    """sdfa (the recurrence kept) and sdfa-local (dropped) against the formula
    and the forward eligibility trace, written out step by step, with the
    compiled LIF kernels and on the torch path."""
    net = _net()
    fb = Feedback(3, [7, 6], seed=2, mode="independent", scale="layer")
    x, y = _data(1)
    net.zero_grad()
    previous = native.set_enabled(kernels)
    try:
        sdfa_backward(net, x, y, fb, torch.nn.functional.cross_entropy, local=local)
    finally:
        native.set_enabled(previous)
    got = _grads_of(net)
    h = x.permute(2, 0, 1)
    runs = []
    for block in net.blocks:
        with torch.no_grad():
            run = _layer(h, _params(block), block.neuron, "sigmoid")
        runs.append(run)
        h = run["s"]
    e = _error(net, h, y)
    for block, run, mine, m in zip(net.blocks, runs, got, fb.matrices):
        n = block.neuron
        ref = _local_reference(
            run, _params(block), n, e @ m, n.vth, n.beta, n.input_gain, local
        )
        for key in ref:
            assert torch.allclose(mine[key], ref[key], rtol=0, atol=1e-8), key


@pytest.mark.parametrize("kernels", [True, False])
@pytest.mark.parametrize("local", [False, True])
def test_quantised_rules_follow_the_golden_membrane(local, kernels):
    """In the hardware-aware forward the gradient runs along the integer
    layer's own membrane (straight-through): the formula with the golden
    model's membranes and spikes, the float memory and weights, with the
    compiled kernels (which must take the reset from the spikes: the integer
    membrane is read after it) and on the torch path."""
    net = _net()
    quantize_network(net, None, SPEC)
    fb = Feedback(3, [7, 6], seed=4)
    x, y = _data(2)
    net.zero_grad()
    previous = native.set_enabled(kernels)
    try:
        sdfa_backward(net, x, y, fb, torch.nn.functional.cross_entropy, local=local)
    finally:
        native.set_enabled(previous)
    got = _grads_of(net)
    s_int = x.permute(2, 0, 1).numpy().astype(np.int64)
    h = x.permute(2, 0, 1)
    gold_runs = []
    for block in net.blocks:
        fixed = block.fixed_params()
        gold = GoldenDMPLayer(fixed).run(s_int, delay=True)
        with torch.no_grad():
            run = _layer(h, _params(block), block.neuron, "sigmoid")
        scale = 2.0**-fixed.fmt.v_frac
        run["v"] = torch.from_numpy(gold["v"] * scale)
        run["s"] = torch.from_numpy(gold["s"].astype(np.float64))
        gold_runs.append((run, fixed, scale))
        s_int, h = gold["s"].astype(np.int64), run["s"]
    e = _error(net, h, y)
    for block, (run, fixed, scale), mine, m in zip(
        net.blocks, gold_runs, got, fb.matrices
    ):
        n = block.neuron
        beta = 1.0 - fixed.dv / 4096
        ref = _local_reference(
            run, _params(block), n, e @ m, fixed.vth * scale, beta, n.input_gain, local
        )
        for key in ref:
            assert torch.allclose(mine[key], ref[key], rtol=0, atol=1e-8), key


class _StraightThrough(torch.autograd.Function):
    """Forward: the golden model's spikes. Backward: dL/dI[t] = dL/dv[t],
    dL/dv[t] = g_s[t] sigma'(v[t] - vth) + beta (1 - s[t]) dL/dv[t + 1],
    along the golden membrane, step by step."""

    @staticmethod
    def forward(ctx, current, v, s, vth, beta, slope):
        ctx.save_for_backward(v, s)
        ctx.args = (vth, beta, slope)
        return s.clone()

    @staticmethod
    def backward(ctx, grad):
        v, s = ctx.saved_tensors
        vth, beta, slope = ctx.args
        sur = _surrogate(v - vth, slope, "sigmoid") * grad
        out, nxt = torch.zeros_like(sur), torch.zeros_like(sur[0])
        for t in range(T - 1, -1, -1):
            nxt = sur[t] + beta * (1 - s[t]) * nxt
            out[t] = nxt
        return out, None, None, None, None, None


def _current(s_in, p, n):
    """The float current g (W_f s[t-1] + W_m m[t] + b) of one layer, step by
    step, with m = A m + B relu(w_x s[t-1] + b_x)."""
    ad, bd = (torch.from_numpy(a) for a in lmu_zoh(n.order, n.theta))
    m = torch.zeros(B, n.order, dtype=torch.float64)
    out = []
    for t in range(T):
        inp = s_in[t - 1] if t else torch.zeros_like(s_in[0])
        m = m @ ad.T + torch.relu(inp @ p["wx"] + p["bx"])[:, None] * bd
        out.append(n.input_gain * (inp @ p["wf"].T + m @ p["wm"].T + p["b"]))
    return torch.stack(out)


@pytest.mark.parametrize("kernels", [True, False])
def test_quantised_bptt_follows_the_golden_membrane_across_layers(kernels):
    """BPTT in the hardware-aware forward: the gradient of every layer,
    through the layers above it, along the golden model's membranes, against
    autograd through the plain current and straight-through steps above,
    with the compiled kernels and on the torch path."""
    net = _net()
    quantize_network(net, None, SPEC)
    x, y = _data(5)
    net.zero_grad()
    previous = native.set_enabled(kernels)
    try:
        torch.nn.functional.cross_entropy(net(x), y).backward()
    finally:
        native.set_enabled(previous)
    got = _grads_of(net)
    s_int, h, params = (
        x.permute(2, 0, 1).numpy().astype(np.int64),
        x.permute(2, 0, 1),
        [],
    )
    for block in net.blocks:
        fixed = block.fixed_params()
        gold = GoldenDMPLayer(fixed).run(s_int, delay=True)
        scale = 2.0**-fixed.fmt.v_frac
        p = _params(block)
        params.append(p)
        h = _StraightThrough.apply(
            _current(h, p, block.neuron),
            torch.from_numpy(gold["v"] * scale),
            torch.from_numpy(gold["s"].astype(np.float64)),
            fixed.vth * scale,
            1.0 - fixed.dv / 4096,
            block.neuron.slope,
        )
        s_int = gold["s"].astype(np.int64)
    r = net.readout(h.permute(1, 2, 0))
    torch.nn.functional.cross_entropy(r, y).backward()
    for mine, p in zip(got, params):
        for key in mine:
            assert torch.allclose(mine[key], p[key].grad, rtol=0, atol=1e-8), key
    assert all(float(p["wf"].grad.abs().sum()) > 0 for p in params)


def test_no_gradient_crosses_a_layer(monkeypatch):
    """With the output error held, the first layer's gradient does not change
    when the second layer's weights do, and no block forms the input
    gradient of its synapse."""
    import lava_dmp.train.blocks as blocks

    def refuse(*args, **kwargs):
        raise AssertionError("an input gradient was formed")

    monkeypatch.setattr(blocks, "input_grad_with_drive", refuse)
    fb = Feedback(3, [30, 6], seed=1)
    x, y = _data(3)
    e = torch.randn(B, 3, dtype=torch.float64)

    def first_layer_grad(net):
        net.zero_grad()
        s0 = net.blocks[0](x)
        s1 = net.blocks[1](s0.detach())
        from lava_dmp.train.sdfa import inject

        inject([s0, s1], fb.project(e))
        return net.blocks[0].synapse.weight.grad.clone()

    net = _net(sizes=(M, 30, 6, 3))  # wide: the narrow-input path is not taken
    a = first_layer_grad(net)
    with torch.no_grad():
        net.blocks[1].synapse.weight.mul_(-3.0)
    assert torch.equal(a, first_layer_grad(net))
    net.zero_grad()
    sdfa_backward(net, x, y, fb, torch.nn.functional.cross_entropy)  # no refusal


def test_feedback_matrices_are_fixed_by_their_seed():
    a, b = Feedback(3, [7, 6], seed=9), Feedback(3, [7, 6], seed=9)
    assert all(torch.equal(p, q) for p, q in zip(a.matrices, b.matrices))
    assert torch.equal(a.matrices[0][:, :6], a.matrices[1]), "nested prefixes"
    assert a.matrices[0].std() == pytest.approx(1 / math.sqrt(7), rel=0.5)
    c = Feedback(3, [7, 6], seed=10)
    assert not torch.equal(a.matrices[0], c.matrices[0])
    assert all(
        torch.equal(p, q)
        for p, q in zip(Feedback.from_state(a.state_dict()).matrices, a.matrices)
    )
    with pytest.raises(ValueError, match="rule: SDFA needs at least one hidden"):
        Feedback(3, [])


def _custom(n=48, seed=0):
    g = np.random.default_rng(seed)
    x = (g.random((n, M, T)) < 0.4).astype(float)
    y = g.integers(0, 3, n)
    return from_arrays(x, y)


def test_update_delay_applies_each_gradient_one_batch_later(tmp_path):
    """Three batches with update_delay 1 against the hand-made schedule: g1
    and g2 on w0, apply g1; g3 on w1, apply g2; flush g3."""
    data = _custom(48)
    cfg = TrainConfig(
        task="custom",
        epochs=1,
        batch_size=16,
        lr=1e-2,
        seed=3,
        rule="sdfa",
        update_delay=1,
    )
    net_cfg = NetConfig(sizes=(M, 7, 6, 3), order=3, theta=9.0, init_std=0.08)
    train(
        net_cfg,
        cfg,
        tmp_path,
        data=data,
        test_data=data,
        progress=False,
        log=lambda m: None,
    )
    trained = load_checkpoint(tmp_path / "checkpoint.pt")["model"]

    torch.manual_seed(cfg.seed)
    net = DMPNet(net_cfg)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    fb = Feedback(3, [7, 6], seed=0)
    order = torch.randperm(48, generator=torch.Generator().manual_seed(3 * 100003))
    grads = []

    def grad(idx):
        net.zero_grad()
        sdfa_backward(net, data.x[idx], data.y[idx], fb, loss_function("ce"))
        return [p.grad.clone() for p in net.parameters()]

    def apply(gs):
        for p, g in zip(net.parameters(), gs):
            p.grad = g
        opt.step()

    batches = [order[i : i + 16] for i in range(0, 48, 16)]
    grads.append(grad(batches[0]))
    grads.append(grad(batches[1]))
    apply(grads[0])
    grads.append(grad(batches[2]))
    apply(grads[1])
    apply(grads[2])
    mine = net.state_dict()
    for key, value in trained.items():
        assert torch.allclose(value, mine[key], rtol=0, atol=1e-7), key


def test_delayed_updates_without_delay_is_the_optimizer():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=1.0)
    upd = DelayedUpdates(opt, 2)
    for g in (1.0, 2.0, 3.0):
        p.grad = torch.full((2,), g)
        upd.step()
    assert p.tolist() == [-1.0, -1.0]  # only the first applied so far
    upd.flush()
    assert p.tolist() == [-6.0, -6.0]


def test_sdfa_runs_resume_with_their_matrices_and_refuse_another(tmp_path, capsys):
    from lava_dmp.cli import main

    path = tmp_path / "d.npz"
    data = _custom(32)
    np.savez(path, x=data.ints, y=data.y.numpy())
    argv = ["train", "--task", "custom", "--data", str(path), "--sizes", f"{M},7,6,3"]
    argv += ["--order", "3", "--theta", "9", "--batch-size", "16", "--no-progress"]
    out = str(tmp_path / "run")
    assert (
        main(
            [
                *argv,
                "--rule",
                "sdfa",
                "--feedback-seed",
                "4",
                "--epochs",
                "1",
                "--output",
                out,
            ]
        )
        == 0
    )
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    fresh = Feedback(3, [7, 6], seed=4)
    assert all(
        torch.equal(a, b) for a, b in zip(state["feedback"]["matrices"], fresh.matrices)
    )
    assert state["history"][0]["rule"] == "sdfa"
    assert (
        main(["train", "--output", out, "--resume", "--epochs", "2", "--no-progress"])
        == 0
    )
    again = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert again["epoch"] == 2 and all(
        torch.equal(a, b) for a, b in zip(again["feedback"]["matrices"], fresh.matrices)
    )
    capsys.readouterr()
    assert main(["train", "--output", out, "--resume", "--rule", "bptt"]) == 2
    assert "--rule: checkpoint 'sdfa', this run 'bptt'" in capsys.readouterr().err
    assert main(["train", "--output", out, "--resume", "--feedback-seed", "5"]) == 2
    assert "--feedback-seed: checkpoint 4, this run 5" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse names the choices
        main([*argv, "--rule", "dfa", "--output", str(tmp_path / "x")])
    assert refused.value.code == 2
    assert "--rule: invalid choice: 'dfa'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="rule: must be one of"):
        TrainConfig(rule="dfa")


@pytest.mark.timeout(600)
def test_an_sdfa_network_deploys_bit_exactly(tmp_path, capsys):
    """Trained with sdfa-local in the quantised forward, exported, run in Lava
    on 20 real test digits: 0 spike mismatches with the quantised forward."""
    import json

    from lava_dmp.cli import main
    from tests.lava_dmp.datasets.test_mnist import _have_mnist

    if not _have_mnist():
        pytest.skip("MNIST not fetched")
    out = tmp_path / "run"
    argv = ["train", "--task", "smnist", "--sizes", "1,12,10", "--order", "4"]
    argv += ["--theta", "100", "--epochs", "1", "--limit-train", "64"]
    argv += ["--limit-test", "20", "--batch-size", "32", "--rule", "sdfa-local"]
    assert main([*argv, "--quantised", "--output", str(out), "--no-progress"]) == 0
    ckpt = str(out / "checkpoint.pt")
    assert main(["export", ckpt, str(tmp_path / "net.h5")]) == 0
    argv = ["run", str(tmp_path / "net.h5"), "--samples", "20", "--checkpoint", ckpt]
    assert main([*argv, "--json", "--no-progress"]) == 0
    run = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert run["samples"] == 20 and run["lava_spikes"] > 0
    assert run["spike_mismatches"] == 0 and run["prediction_agreement"] == 1.0
