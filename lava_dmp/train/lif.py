r"""Leaky integrate-and-fire over a whole sequence, with a linear-time backward.

Forward, per step ``t`` (time-major tensors ``(T, ...)``):

.. math::

    v[t] = \beta\, \hat v[t-1] + I[t], \quad s[t] = H(v[t] - v_{th}), \quad
    \hat v[t] = v[t] (1 - s[t]) \ \text{(hard)} \ \text{or}\
    v[t] - v_{th} s[t] \ \text{(soft)}

Backward uses the surrogate ``ds/dv = a sig(a (v - vth)) (1 - sig(a (v - vth)))``
(sigmoid of slope ``a``, 4 in the reference) and no gradient through the
reset's spike (the reference's detached reset), so

.. math::

    g_v[t] = g_s[t]\, \sigma'(v[t]) + \beta\, g_v[t+1]\, r[t], \quad
    g_I[t] = g_v[t],

with ``r[t] = 1 - s[t]`` (hard) or ``1`` (soft). Both passes are linear in
``T``: the compiled kernels of :mod:`lava_dmp.train.native` run each in one
pass over the sequence; the torch fallback computes the surrogate of all steps
at once and only the two-term recurrence step by step, over views of
contiguous time-major tensors.

Two variants of the backward serve the training rules of
:mod:`lava_dmp.train.sdfa`: the ATan surrogate of spikingjelly
(``sigma'(x) = (a / 2) / (1 + (pi a x / 2)^2)``, slope ``a = 2`` in the SDFA
reference) and the *local* gradient, which drops the recurrence through the
membrane (``g_v[t] = g_s[t] sigma'(v[t])``: what a chip computes while the
sequence runs). The ATan backward runs in torch; the local one with the
sigmoid surrogate runs in the kernels (a zero decay carries nothing back in
time), since the torch path meets subnormal gradients on a trained network.
The forward keeps the compiled kernels. :func:`current_grad` chooses the path
for this module and for the straight-through backward of the quantised
forward, whose membrane is read after its reset.
"""

from __future__ import annotations

import math

import torch

from lava_dmp.train import native
from lava_dmp.train.products import narrow_product, weight_grad

__all__ = [
    "lif_sequence",
    "lif_backward",
    "current_grad",
    "use_kernels",
    "surrogate_grad",
    "LIFSequence",
    "SURROGATES",
]

#: surrogate derivatives of the spike function
SURROGATES = ("sigmoid", "atan")


class LIFSequence(torch.autograd.Function):
    """Autograd function of :func:`lif_sequence`: compiled kernels
    (:mod:`lava_dmp.train.native`) where available, else torch."""

    @staticmethod
    def forward(
        ctx,
        current,
        current_weights,
        memory,
        state,
        weights,
        bias,
        gain,
        beta,
        vth,
        hard,
        slope,
        shift,
        surrogate="sigmoid",
        local=False,
    ):
        narrow = current_weights is not None
        ctx.native = use_kernels(current)  # the backward takes the same path
        if ctx.native:
            if state is not None:
                memory = (state, weights)
            synaptic = (current, current_weights) if narrow else current
            volts, spikes = native.lif_forward(
                synaptic, memory, bias, gain, beta, vth, hard, shift
            )
        else:
            if state is not None:
                memory = state @ weights.T
            synaptic = current @ current_weights.T if narrow else current
            total = _total_current(synaptic, memory, bias, gain, shift)
            volts, spikes = _torch_forward(total, beta, vth, hard)
        # the narrow input is needed for W_f's gradient; a full current is not
        # kept (it would hold a (T, B, N) tensor until the backward)
        kept = current if narrow else None
        ctx.save_for_backward(volts, spikes, state, weights, kept, current_weights)
        ctx.args = (beta, vth, hard, slope, gain, shift, surrogate, local)
        ctx.mark_non_differentiable(volts)
        ctx.set_materialize_grads(False)  # no zero-filled gradient for volts
        return spikes, volts

    @staticmethod
    def backward(ctx, grad_spikes, _grad_volts):
        volts, spikes, state, weights, current, current_weights = ctx.saved_tensors
        beta, vth, hard, slope, gain, shift, surrogate, local = ctx.args
        steps = volts.shape[0]
        if grad_spikes is None:
            grad_spikes = torch.zeros_like(spikes)
        # rows [0, T) are the gradient of every summand at step t, and rows
        # [shift, T + shift) that of the delayed current (zero tail)
        store, grad_bias = current_grad(
            grad_spikes,
            volts,
            spikes,
            beta,
            vth,
            hard,
            slope,
            gain,
            kernels=ctx.native,
            surrogate=surrogate,
            local=local,
            need_bias=ctx.needs_input_grad[5],
            shift=shift,
        )
        grad_i = store[:steps]
        grad_current = store[shift : shift + steps]
        grad_memory = grad_i if ctx.needs_input_grad[2] else None
        grad_state = grad_weights = None
        if ctx.needs_input_grad[3]:
            grad_state = narrow_product(grad_i, weights)
        if ctx.needs_input_grad[4]:
            grad_weights = weight_grad(state, grad_i)
        grad_current_weights = None
        if current_weights is not None:  # current is the input of W_f
            if ctx.needs_input_grad[1]:
                grad_current_weights = weight_grad(current, grad_current)
            grad_current = (
                grad_current @ current_weights if ctx.needs_input_grad[0] else None
            )
        grads = (grad_current, grad_current_weights, grad_memory, grad_state)
        return grads + (grad_weights, grad_bias) + (None,) * 8


def use_kernels(t: torch.Tensor) -> bool:
    """Whether the compiled kernels take ``t``: enabled and built, and ``t`` a
    (T, B, N) CPU float32 or float64 tensor."""
    return t.dim() == 3 and native.supports(t)


def _total_current(current, memory, bias, gain, shift=0):
    """``gain (memory + current + bias)`` with the current delayed by
    ``shift`` steps, in the kernels' order of operations."""
    if shift:
        pad = (0, 0) * (current.dim() - 1) + (shift, 0)
        current = torch.nn.functional.pad(current[: current.shape[0] - shift], pad)
    total = current if memory is None else memory + current
    if bias is not None:
        total = total + bias
    return total * gain if gain != 1.0 else total.contiguous()


def _torch_forward(current, beta, vth, hard):
    """The recurrence in torch, three kernels per step and no copies."""
    volts = torch.empty_like(current)
    fired = torch.empty(current.shape, dtype=torch.bool, device=current.device)
    v = torch.zeros_like(current[0])
    for t in range(current.shape[0]):
        torch.add(current[t], v, alpha=beta, out=volts[t])
        torch.ge(volts[t], vth, out=fired[t])
        if hard:
            v = volts[t].masked_fill(fired[t], 0.0)
        else:
            v = volts[t] - vth * fired[t]
    return volts, fired.to(current.dtype)


def surrogate_grad(
    volts: torch.Tensor, vth: float, slope: float, kind: str = "sigmoid"
) -> torch.Tensor:
    r"""The surrogate derivative of the spike at membrane ``volts``:
    ``a sig(a x) (1 - sig(a x))`` (sigmoid) or ``(a / 2) / (1 + (\pi a x /
    2)^2)`` (ATan), ``x = v - vth``."""
    if kind == "sigmoid":
        sig = (volts - vth).mul_(slope).sigmoid_()
        return torch.addcmul(sig, sig, sig, value=-1.0).mul_(slope)
    if kind == "atan":
        x = (volts - vth).mul_(math.pi * slope / 2)
        return x.square_().add_(1.0).reciprocal_().mul_(slope / 2)
    raise ValueError(f"surrogate: must be one of {SURROGATES}, got {kind!r}")


def lif_backward(
    grad_spikes: torch.Tensor,
    volts: torch.Tensor,
    spikes: torch.Tensor,
    beta: float,
    vth: float,
    hard: bool,
    slope: float,
    surrogate: str = "sigmoid",
    local: bool = False,
) -> torch.Tensor:
    """Gradient w.r.t. the current given the membrane and spikes of a forward
    pass (also used with the membrane of the integer forward, straight-through).

    ``local=True`` drops the recurrence through the membrane: the gradient of
    step ``t`` is ``g_s[t] sigma'(v[t])`` alone."""
    # in place where possible: these are (T, B, N) tensors, memory-bound
    surrogate = surrogate_grad(volts, vth, slope, surrogate).mul_(grad_spikes)
    if local:
        return surrogate
    if hard:
        keep = torch.mul(spikes, -beta).add_(beta)  # beta (1 - s)
    else:
        keep = torch.full_like(surrogate[0], beta).expand_as(surrogate)
    grad = torch.empty_like(surrogate)
    grad[-1] = surrogate[-1]
    for t in range(surrogate.shape[0] - 2, -1, -1):  # one kernel per step
        torch.addcmul(surrogate[t], grad[t + 1], keep[t], out=grad[t])
    return grad


def current_grad(
    grad_spikes: torch.Tensor,
    volts: torch.Tensor,
    spikes: torch.Tensor,
    beta: float,
    vth: float,
    hard: bool,
    slope: float,
    gain: float = 1.0,
    *,
    kernels: bool,
    surrogate: str = "sigmoid",
    local: bool = False,
    need_bias: bool = False,
    shift: int = 0,
    after_reset: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The gradient ``gain g_v`` of every summand of the current and, with
    ``need_bias``, its sum over all axes but the last: the compiled kernels
    with ``kernels`` and the sigmoid surrogate, else :func:`lif_backward`.

    The gradient is the first ``T`` rows of a ``(T + shift, ...)`` tensor
    whose last ``shift`` rows are zero: rows ``[shift, T + shift)`` are the
    gradient of a current delayed by ``shift`` steps. ``after_reset``: the
    membrane was read after its reset (the integer layer's trace), so the
    kernels take the reset from ``spikes``, as :func:`lif_backward` does."""
    if kernels and surrogate == "sigmoid":
        # a zero decay carries nothing from step t + 1 back to t: the local
        # gradient (which the torch path would compute in subnormals)
        return native.lif_backward(
            grad_spikes,
            volts,
            0.0 if local else beta,
            vth,
            hard,
            slope,
            gain,
            need_bias,
            shift,
            spikes if after_reset else None,
        )
    grad = lif_backward(
        grad_spikes, volts, spikes, beta, vth, hard, slope, surrogate, local
    )
    if gain != 1.0:
        grad.mul_(gain)
    grad_bias = None
    if need_bias:
        grad_bias = grad.sum(dim=tuple(range(grad.dim() - 1)))
    pad = (0, 0) * (grad.dim() - 1) + (0, shift)
    return (torch.nn.functional.pad(grad, pad) if shift else grad), grad_bias


def lif_sequence(
    current: torch.Tensor,
    beta: float = 0.5,
    vth: float = 1.0,
    reset: str = "hard",
    slope: float = 4.0,
    *,
    memory: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    gain: float = 1.0,
    shift: int = 0,
    memory_state: torch.Tensor | None = None,
    memory_weights: torch.Tensor | None = None,
    current_weights: torch.Tensor | None = None,
    surrogate: str = "sigmoid",
    local: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes and membrane of an LIF population over a whole sequence.

    Parameters
    ----------
    current : torch.Tensor
        Input current, time-major ``(T, ...)``.
    beta, vth : float
        Membrane decay and threshold.
    reset : str
        ``'hard'`` or ``'soft'``.
    slope : float
        Surrogate slope ``a``.
    memory, bias, gain
        Optional: the membrane is driven by ``gain (current + memory + bias)``
        (``memory`` shaped like ``current``, ``bias`` over the last axis),
        fused into one pass instead of three (the DMP neuron's current).
    memory_state, memory_weights
        Optional, instead of ``memory``: ``memory = memory_state @
        memory_weights.T`` (state ``(T, B, d)``, weights ``(N, d)``), formed
        row by row inside the kernel instead of as a ``(T, B, N)`` tensor.
    current_weights : torch.Tensor, optional
        ``(N, M)``: ``current`` is then a narrow input ``(T, B, M)`` and the
        synaptic current ``current @ current_weights.T`` is formed the same
        way (S-MNIST's one-pixel input layer).
    shift : int
        Synaptic delay of ``current`` in steps: step ``t`` sees
        ``current[t - shift]`` (zero before; the last ``shift`` rows arrive
        after the end). The kernels read the delayed rows in place.
    surrogate : str
        ``'sigmoid'`` (default) or ``'atan'``.
    local : bool
        The backward drops the recurrence through the membrane (the local
        rule of :mod:`lava_dmp.train.sdfa`).

    Returns
    -------
    (spikes, v), each ``(T, ..., N)`` (shaped like ``current`` unless
    ``current_weights`` is given); ``v`` is before reset and carries no
    gradient.
    """
    if reset not in ("hard", "soft"):
        raise ValueError(f"reset: must be 'hard' or 'soft', got {reset!r}")
    if current.dim() < 1 or current.shape[0] < 1:
        raise ValueError(
            f"current: expected a time-major tensor (T, ...), got "
            f"shape {tuple(current.shape)}"
        )
    if shift < 0:
        raise ValueError(f"shift: must be >= 0, got {shift}")
    if surrogate not in SURROGATES:
        raise ValueError(f"surrogate: must be one of {SURROGATES}, got {surrogate!r}")
    if current_weights is not None and (
        current_weights.dim() != 2 or current_weights.shape[1] != current.shape[-1]
    ):
        raise ValueError(
            f"current_weights: expected (N, {current.shape[-1]}), got "
            f"{tuple(current_weights.shape)}"
        )
    neurons = current.shape[:-1] + (
        current.shape[-1:] if current_weights is None else current_weights.shape[:1]
    )
    if memory is not None and memory.shape != neurons:
        raise ValueError(
            f"memory: expected shape {tuple(neurons)}, got {tuple(memory.shape)}"
        )
    if bias is not None and bias.shape != neurons[-1:]:
        raise ValueError(
            f"bias: expected shape {tuple(neurons[-1:])}, got {tuple(bias.shape)}"
        )
    if (memory_state is None) != (memory_weights is None) or (
        memory_state is not None and memory is not None
    ):
        raise ValueError(
            "memory_state, memory_weights: give both (instead of memory) or neither"
        )
    if memory_state is not None:
        want = neurons[:-1] + memory_weights.shape[-1:]
        if (
            memory_weights.dim() != 2
            or memory_weights.shape[0] != neurons[-1]
            or memory_state.shape != want
        ):
            raise ValueError(
                f"memory_state: expected shape {tuple(want)} for weights "
                f"{tuple(memory_weights.shape)} (N, d), got "
                f"{tuple(memory_state.shape)}"
            )
    return LIFSequence.apply(
        current,
        current_weights,
        memory,
        memory_state,
        memory_weights,
        bias,
        float(gain),
        float(beta),
        float(vth),
        reset == "hard",
        float(slope),
        int(shift),
        surrogate,
        bool(local),
    )
