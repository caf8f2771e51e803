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

from lava_dmp.legendre import impulse_response, lmu_matrices

__all__ = ["legendre_kernel", "memory_current_fft", "causal_conv_fft"]


def legendre_kernel(
    order: int, theta: float, steps: int, dilation: int = 1
) -> np.ndarray:
    """Impulse response ``h`` of ``ceil((steps + d_s - 1) / d_s)`` rows at ``dt = d_s``,
    with ``B_bar / d_s`` (the drive enters as a sum over the period)."""
    a_bar, b_bar = lmu_matrices(order, theta, dt=float(dilation))
    coarse = -(-(steps + dilation - 1) // dilation)
    return impulse_response(a_bar, b_bar / dilation, coarse)


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
    """``y[b, k, n] = sum_{j<=k} kernel[j, n] x[b, k-j]``; x ``(B, T)``,
    kernel ``(T, N)``, result ``(B, T, N)``."""
    steps = x.shape[1]
    size = _fft_size(2 * steps - 1)
    xf = torch.fft.rfft(x, n=size, dim=1)
    kf = torch.fft.rfft(kernel, n=size, dim=0)
    return torch.fft.irfft(xf[:, :, None] * kf[None], n=size, dim=1)[:, :steps]


def memory_current_fft(
    x: torch.Tensor,
    weights_m: torch.Tensor,
    h: torch.Tensor,
    dilation: int = 1,
    phase: int = 0,
) -> torch.Tensor:
    """Memory current ``W_m m[k]`` for all steps.

    Parameters
    ----------
    x : torch.Tensor
        Drive ``(B, T)``.
    weights_m : torch.Tensor
        ``(N, d)``.
    h : torch.Tensor
        :func:`legendre_kernel` output (enough rows for ``T``).
    dilation : int
        Memory update period ``d_s``.

    Returns
    -------
    torch.Tensor
        ``(B, T, N)``.
    """
    batch, steps = x.shape
    if dilation == 1:
        # convolve the d memory channels (d << N), then project with W_m
        return causal_conv_fft(x, h[:steps]) @ weights_m.T
    # refresh at k % d_s == 0 over x[k-d_s+1..k]: d_s - 1 zeros in front make
    # every update period one consecutive block of d_s
    front = dilation - 1
    coarse = -(-(front + steps) // dilation)
    back = coarse * dilation - front - steps
    padded = torch.nn.functional.pad(x, (front, back))
    sums = padded.reshape(batch, coarse, dilation).sum(dim=2)
    current = causal_conv_fft(sums, h[:coarse]) @ weights_m.T  # (B, coarse, N)
    held = current.repeat_interleave(dilation, dim=1)
    held = torch.nn.functional.pad(held, (0, 0, dilation - 1, 0))
    return held[:, front : front + steps]
