"""The compiled LIF kernels against the torch implementation, and the fallback."""

import pytest
import torch

from lava_dmp.train import lif, native

needs_kernels = pytest.mark.skipif(
    not native.available(), reason=f"kernels unavailable: {native.status()}"
)


def _run(use_native, a_f, memory, bias, gain, shift, reset, grad_out):
    a_f = a_f.detach().clone().requires_grad_(True)
    memory = memory.detach().clone().requires_grad_(True)
    bias = bias.detach().clone().requires_grad_(True)
    old = native.set_enabled(use_native)
    try:
        s, v = lif.lif_sequence(
            a_f[:, :, :-1],  # a strided view, as the block's synapse split gives
            0.7,
            1.0,
            reset,
            4.0,
            memory=memory,
            bias=bias,
            gain=gain,
            shift=shift,
        )
        s.backward(grad_out)
    finally:
        native.set_enabled(old)
    return s, v, a_f.grad, memory.grad, bias.grad


@needs_kernels
@pytest.mark.parametrize("shift", [0, 1, 3])
@pytest.mark.parametrize("reset", ["hard", "soft"])
def test_kernels_match_torch_with_delay_memory_and_bias(shift, reset):
    gen = torch.Generator().manual_seed(1)
    steps, batch, n = 40, 5, 9

    def rnd(*shape):
        return torch.randn(*shape, dtype=torch.float64, generator=gen)

    args = (rnd(steps, batch, n + 1), rnd(steps, batch, n) * 0.5, rnd(n) * 0.3)
    # a broadcast gradient (stride 0 in time), as the mean readout hands over
    grad_out = rnd(1, batch, n).expand(steps, batch, n)
    fast = _run(True, *args, 0.8, shift, reset, grad_out)
    slow = _run(False, *args, 0.8, shift, reset, grad_out)
    assert torch.equal(fast[0], slow[0]) and fast[0].sum() > 20
    assert torch.allclose(fast[1], slow[1], rtol=0, atol=1e-12)
    for f, s in zip(fast[2:], slow[2:]):
        assert torch.allclose(f, s, rtol=0, atol=1e-10)
        assert torch.any(f != 0)
    if shift:  # the last `shift` rows of the current never reach the neuron
        assert torch.all(fast[2][-shift:] == 0)


@needs_kernels
def test_float32_gradients_stay_finite_far_from_threshold():
    current = (torch.randn(50, 4, 9) * 1e4).requires_grad_(True)
    s, _ = lif.lif_sequence(current, 0.5, 1.0)
    s.backward(torch.ones_like(s))
    assert torch.isfinite(current.grad).all()


@needs_kernels
def test_subnormal_membranes_flush_to_zero_inside_the_kernels_only():
    """A silent membrane decays as beta^t and turns subnormal (about 100x slower
    arithmetic) after ~126 halvings: the kernels flush such values to zero, equal
    to torch's trajectory up to the smallest normal float, and leave the
    caller's floating-point mode as it was."""
    tiny = torch.finfo(torch.float32).tiny
    current = torch.zeros(200, 2, 3)
    current[0] = 4.0  # under threshold 8: no spike, then silence
    runs = []
    for use_native in (True, False):
        old = native.set_enabled(use_native)
        try:
            runs.append(lif.lif_sequence(current, 0.5, 8.0)[1])
        finally:
            native.set_enabled(old)
    fast, slow = runs
    assert bool(((slow > 0) & (slow < tiny)).any())  # torch keeps subnormals
    assert not bool(((fast > 0) & (fast < tiny)).any())  # the kernel does not
    assert torch.allclose(fast, slow, rtol=1e-6, atol=tiny)
    assert float(torch.tensor([tiny], dtype=torch.float32) / 4) > 0  # mode restored


@needs_kernels
def test_thread_count_does_not_change_results():
    gen = torch.Generator().manual_seed(2)
    current = torch.randn(30, 3, 6, dtype=torch.float64, generator=gen)
    old = torch.get_num_threads()
    out = []
    try:
        for threads in (1, 2, 8):  # 8 > batch: clamped to one row per thread
            torch.set_num_threads(threads)
            c = current.clone().requires_grad_(True)
            s, v = lif.lif_sequence(c, 0.5, 1.0)
            s.sum().backward()
            out.append((s, v, c.grad))
    finally:
        torch.set_num_threads(old)
    for got in out[1:]:
        assert all(torch.equal(a, b) for a, b in zip(got, out[0]))


@pytest.fixture
def fresh_native(monkeypatch, tmp_path):
    """Forget the loaded library, with an empty kernel cache."""
    monkeypatch.setattr(native, "_lib", None)
    monkeypatch.setattr(native, "_status", "not loaded yet")
    monkeypatch.setenv("LAVA_DMP_CACHE", str(tmp_path))
    return tmp_path


def test_failed_build_falls_back_to_torch(fresh_native, monkeypatch):
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    with pytest.warns(RuntimeWarning, match="build failed"):
        assert not native.available()
    assert "build failed" in native.status()
    assert not list(fresh_native.rglob("*.so"))  # nothing half-written left
    current = torch.tensor([[[0.6]], [[0.6]], [[0.6]]], dtype=torch.float64)
    s, v = lif.lif_sequence(current, 0.5, 1.0)  # the torch path still works
    assert s[:, 0, 0].tolist() == [0.0, 0.0, 1.0]
    assert torch.allclose(v[:, 0, 0], torch.tensor([0.6, 0.9, 1.05], dtype=v.dtype))


def test_disabled_by_environment(fresh_native, monkeypatch):
    monkeypatch.setenv("LAVA_DMP_NATIVE", "0")
    assert not native.available()
    assert "LAVA_DMP_NATIVE=0" in native.status()


@needs_kernels
def test_build_into_an_empty_cache(fresh_native):
    assert native.available()
    assert len(list((fresh_native / "kernels").glob("lif-*.so"))) == 1


@needs_kernels
def test_memory_from_state_and_weights_matches_torch():
    """memory_state @ memory_weights.T formed inside the kernel, against torch
    forming it first: spikes, and the gradients of state, weights and current."""
    gen = torch.Generator().manual_seed(3)
    steps, batch, n, d = 30, 4, 7, 3
    current = torch.randn(steps, batch, n, dtype=torch.float64, generator=gen)
    state = torch.randn(steps, batch, d, dtype=torch.float64, generator=gen)
    weights = torch.randn(n, d, dtype=torch.float64, generator=gen) * 0.5
    grad_out = torch.randn(steps, batch, n, dtype=torch.float64, generator=gen)
    results = []
    for use_native in (True, False):
        c, m, w = (t.clone().requires_grad_(True) for t in (current, state, weights))
        previous = native.set_enabled(use_native)
        try:
            s, _ = lif.lif_sequence(
                c, 0.6, 1.0, shift=1, gain=0.5, memory_state=m, memory_weights=w
            )
        finally:
            native.set_enabled(previous)
        s.backward(grad_out)
        results.append((s.detach(), c.grad, m.grad, w.grad))
    (s1, *g1), (s2, *g2) = results
    assert torch.equal(s1, s2) and s1.sum() > 10
    for a, b in zip(g1, g2):
        assert torch.allclose(a, b, rtol=0, atol=1e-10) and a.abs().max() > 0


def test_memory_arguments_are_checked():
    c = torch.zeros(5, 2, 3)
    with pytest.raises(ValueError, match="memory_state"):
        lif.lif_sequence(c, memory_state=torch.zeros(5, 2, 4))
    with pytest.raises(ValueError, match="memory_state"):
        lif.lif_sequence(
            c, memory_state=torch.zeros(5, 2, 4), memory_weights=torch.zeros(3, 2)
        )


@needs_kernels
def test_kernels_add_no_second_openmp_runtime():
    """Two OpenMP runtimes in one process spin against each other; the
    kernels run on torch's, or on pthreads."""
    assert len(native._openmp_runtimes()) <= 1
    if "OpenMP" in native.status():
        assert native._openmp_runtimes()  # the runtime it uses is torch's


@needs_kernels
def test_refused_openmp_falls_back_to_pthreads_and_says_why(fresh_native, monkeypatch):
    monkeypatch.setattr(native, "_OPENMP", ["-fno-such-openmp-flag"])
    assert native.available()
    status = native.status()
    assert "(pthreads; OpenMP:" in status and "no-such-openmp-flag" in status
    current = torch.tensor([[[0.6]], [[0.6]], [[0.6]]], dtype=torch.float64)
    s, v = lif.lif_sequence(current, 0.5, 1.0)  # the pthreads kernels run
    assert s[:, 0, 0].tolist() == [0.0, 0.0, 1.0]
    assert torch.allclose(v[:, 0, 0], torch.tensor([0.6, 0.9, 1.05], dtype=v.dtype))
