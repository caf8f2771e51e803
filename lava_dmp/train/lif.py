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

with ``r[t] = 1 - s[t]`` (hard) or ``1`` (soft). The surrogate of all steps is
computed at once; only the two-term recurrence runs step by step, over views
of contiguous time-major tensors, so both passes are linear in ``T``.
"""

from __future__ import annotations

import torch

__all__ = ["lif_sequence", "lif_backward", "LIFSequence"]


class LIFSequence(torch.autograd.Function):
    """Autograd function of :func:`lif_sequence`."""

    @staticmethod
    def forward(ctx, current, beta, vth, hard, slope):
        current = current.contiguous()
        volts = torch.empty_like(current)
        fired = torch.empty(current.shape, dtype=torch.bool, device=current.device)
        v = torch.zeros_like(current[0])
        for t in range(current.shape[0]):  # three kernels per step, no copies
            torch.add(current[t], v, alpha=beta, out=volts[t])
            torch.ge(volts[t], vth, out=fired[t])
            if hard:
                v = volts[t].masked_fill(fired[t], 0.0)
            else:
                v = volts[t] - vth * fired[t]
        spikes = fired.to(current.dtype)
        ctx.save_for_backward(volts, spikes)
        ctx.beta, ctx.vth, ctx.hard, ctx.slope = beta, vth, hard, slope
        ctx.mark_non_differentiable(volts)
        return spikes, volts

    @staticmethod
    def backward(ctx, grad_spikes, _grad_volts):
        volts, spikes = ctx.saved_tensors
        grad = lif_backward(
            grad_spikes, volts, spikes, ctx.beta, ctx.vth, ctx.hard, ctx.slope
        )
        return grad, None, None, None, None


def lif_backward(
    grad_spikes: torch.Tensor,
    volts: torch.Tensor,
    spikes: torch.Tensor,
    beta: float,
    vth: float,
    hard: bool,
    slope: float,
) -> torch.Tensor:
    """Gradient w.r.t. the current given the membrane and spikes of a forward
    pass (also used with the membrane of the integer forward, straight-through)."""
    # in place where possible: these are (T, B, N) tensors, memory-bound
    sig = (volts - vth).mul_(slope).sigmoid_()
    surrogate = torch.addcmul(sig, sig, sig, value=-1.0)  # sig (1 - sig)
    surrogate.mul_(grad_spikes).mul_(slope)
    if hard:
        keep = torch.mul(spikes, -beta).add_(beta)  # beta (1 - s)
    else:
        keep = torch.full_like(surrogate[0], beta).expand_as(surrogate)
    grad = torch.empty_like(surrogate)
    grad[-1] = surrogate[-1]
    for t in range(surrogate.shape[0] - 2, -1, -1):  # one kernel per step
        torch.addcmul(surrogate[t], grad[t + 1], keep[t], out=grad[t])
    return grad


def lif_sequence(
    current: torch.Tensor,
    beta: float = 0.5,
    vth: float = 1.0,
    reset: str = "hard",
    slope: float = 4.0,
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
        Sigmoid surrogate slope.

    Returns
    -------
    (spikes, v) with the shape of ``current``; ``v`` is before reset and
    carries no gradient.
    """
    if reset not in ("hard", "soft"):
        raise ValueError(f"reset: must be 'hard' or 'soft', got {reset!r}")
    if current.dim() < 1 or current.shape[0] < 1:
        raise ValueError(
            f"current: expected a time-major tensor (T, ...), got "
            f"shape {tuple(current.shape)}"
        )
    return LIFSequence.apply(
        current, float(beta), float(vth), reset == "hard", float(slope)
    )
