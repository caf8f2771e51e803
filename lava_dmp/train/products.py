"""Matrix products shared by the training ops' backward passes."""

from __future__ import annotations

import torch

__all__ = ["weight_grad", "narrow_product"]


def weight_grad(inputs: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """Gradient ``(N, M)`` of the weights ``W`` of ``y = x W^T`` from the
    inputs ``x (..., M)`` and ``grad = dL/dy (..., N)``, summed over all
    leading axes.

    Computed as ``(x^T G)^T`` rather than ``G^T x``: with the long axis
    inside, BLAS runs it up to 8x faster when one side is narrow (d = 10)."""
    g2 = grad.reshape(-1, grad.shape[-1])
    return (inputs.reshape(-1, inputs.shape[-1]).T @ g2).T


def narrow_product(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``x @ weights`` for ``x (..., N)`` and narrow ``weights (N, d)``.

    The weights are handed to BLAS as the transpose of a contiguous ``(d,
    N)``: for ``(12800, 128) x (128, 10)`` (the memory state's gradient of an
    SHD layer) that runs in 0.61 ms instead of 1.15 ms on 2 threads; at d = 20
    or 40 the two layouts take the same time."""
    return x @ weights.T.contiguous().T
