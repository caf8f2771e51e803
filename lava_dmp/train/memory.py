r"""The memory current of all T steps at once, by FFT (float training path).

With ``h[j] = A_bar^j B_bar`` (``(T, d)``, :func:`lava_dmp.legendre.impulse_response`)
the memory is a causal convolution ``m[k] = sum_j h[j] x[k-j]``, so the memory
current is ``W_m m[k] = sum_j (W_m h[j]) x[k-j]``: one FFT convolution of the
scalar drive with an ``N``-channel kernel, differentiable in ``W_m`` and ``x``.
With a memory update period ``d_s`` the drive is averaged over each period,
convolved on the coarse grid with the matrices at ``dt = d_s`` and held.
"""

from __future__ import annotations

import numpy as np
import torch

from lava_dmp.legendre import impulse_response, update_matrices
from lava_dmp.train import native
from lava_dmp.train.products import weight_grad

__all__ = [
    "legendre_kernel",
    "memory_current_fft",
    "causal_conv_fft",
    "legendre_conv",
]


def legendre_kernel(
    order: int, theta: float, steps: int, dilation: int = 1
) -> np.ndarray:
    """Impulse response ``h`` of ``ceil((steps + d_s - 1) / d_s)`` rows at ``dt = d_s``,
    with ``B_bar / d_s`` (the drive enters as a sum over the period)."""
    a_bar, b_eff = update_matrices(order, theta, dilation)
    coarse = -(-(steps + dilation - 1) // dilation)
    return impulse_response(a_bar, b_eff, coarse)


def _fft_size(n: int) -> int:
    """Smallest ``2^a 3^b 5^c >= n`` (sizes pocketfft transforms fast)."""
    best = 1 << int(np.ceil(np.log2(n)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            size = p35
            while size < n:
                size *= 2
            best = min(best, size)
            p35 *= 3
        p5 *= 5
    return best


def causal_conv_fft(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``y[k, b, n] = sum_{j<=k} kernel[j, n] x[k-j, b]``, time-major: x
    ``(T, B)``, kernel ``(T, N)``, result ``(T, B, N)``."""
    steps = x.shape[0]
    size = _fft_size(2 * steps - 1)
    xf = torch.fft.rfft(x, n=size, dim=0)
    kf = torch.fft.rfft(kernel, n=size, dim=0)
    return torch.fft.irfft(xf[:, :, None] * kf[:, None, :], n=size, dim=0)[:steps]


class _LegendreConv(torch.autograd.Function):
    """:func:`causal_conv_fft` of ``h[j] = A^j b``; its input gradient is the
    adjoint recurrence of the memory (compiled kernel) where available, else
    the FFT's own gradient."""

    @staticmethod
    def forward(ctx, x, kernel, a_bar, b_bar):
        ctx.save_for_backward(x, kernel, a_bar, b_bar)
        return causal_conv_fft(x, kernel)

    @staticmethod
    def backward(ctx, grad):
        x, kernel, a_bar, b_bar = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        if native.supports(grad):
            return native.lmu_adjoint(grad, a_bar, b_bar), None, None, None
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            (gx,) = torch.autograd.grad(causal_conv_fft(xg, kernel), xg, grad)
        return gx, None, None, None


def legendre_conv(
    x: torch.Tensor, kernel: torch.Tensor, a_bar: torch.Tensor, b_bar: torch.Tensor
) -> torch.Tensor:
    """Memory states ``(T, B, d)`` of the drive ``x (T, B)``: the causal
    convolution with ``kernel[j] = a_bar^j b_bar`` (at least ``T`` rows), by
    FFT; the gradient of ``x`` by the memory's adjoint recurrence."""
    return _LegendreConv.apply(x, kernel[: x.shape[0]], a_bar, b_bar)


class _Project(torch.autograd.Function):
    """``m @ W^T`` over the last axis, with the weight gradient of
    :func:`~lava_dmp.train.products.weight_grad`."""

    @staticmethod
    def forward(ctx, m, w):
        ctx.save_for_backward(m, w)
        return m @ w.T

    @staticmethod
    def backward(ctx, grad):
        m, w = ctx.saved_tensors
        grad_m = (grad @ w) if ctx.needs_input_grad[0] else None
        grad_w = weight_grad(m, grad) if ctx.needs_input_grad[1] else None
        return grad_m, grad_w


def memory_current_fft(
    x: torch.Tensor,
    weights_m: torch.Tensor,
    h: torch.Tensor,
    dilation: int = 1,
    time_major: bool = False,
    matrices: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Memory current ``W_m m[k]`` for all steps.

    Parameters
    ----------
    x : torch.Tensor
        Drive ``(B, T)``, or ``(T, B)`` with ``time_major=True``.
    weights_m : torch.Tensor
        ``(N, d)``.
    h : torch.Tensor
        :func:`legendre_kernel` output (enough rows for ``T``).
    dilation : int
        Memory update period ``d_s``.
    time_major : bool
        Layout of ``x`` and of the result.
    matrices : (torch.Tensor, torch.Tensor), optional
        ``(A_bar, B_bar / d_s)`` that made ``h`` (:func:`update_matrices`):
        the drive's gradient then runs as the memory's adjoint recurrence
        (:func:`legendre_conv`) instead of through the FFT.

    Returns
    -------
    torch.Tensor
        ``(B, T, N)``, or a contiguous ``(T, B, N)`` with ``time_major=True``.
    """
    xt = x if time_major else x.transpose(0, 1)
    steps, batch = xt.shape

    def conv(drive, rows):
        if matrices is None:
            return causal_conv_fft(drive, h[:rows])
        return legendre_conv(drive, h[:rows], *matrices)

    if dilation == 1:
        # convolve the d memory channels (d << N), then project with W_m
        current = _Project.apply(conv(xt, steps), weights_m)
    else:
        # refresh at k % d_s == 0 over x[k-d_s+1..k]: d_s - 1 zeros in front
        # make every update period one consecutive block of d_s
        front = dilation - 1
        coarse = -(-(front + steps) // dilation)
        back = coarse * dilation - front - steps
        padded = torch.nn.functional.pad(xt, (0, 0, front, back))
        sums = padded.reshape(coarse, dilation, batch).sum(dim=1)
        held = _Project.apply(conv(sums, coarse), weights_m)
        held = held.repeat_interleave(dilation, dim=0)
        held = torch.nn.functional.pad(held, (0, 0, 0, 0, dilation - 1, 0))
        current = held[front : front + steps]
    return current if time_major else current.transpose(0, 1)
