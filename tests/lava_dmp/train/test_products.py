"""The shared backward products against einsum in float64."""

import pytest
import torch

from lava_dmp.train.products import (
    batch_major_weight_grad,
    input_grad_with_drive,
    narrow_product,
    weight_grad,
)


@pytest.mark.parametrize("order", [1, 10, 40])
def test_narrow_product_is_the_matrix_product(order):
    gen = torch.Generator().manual_seed(order)
    x = torch.randn(7, 5, 12, dtype=torch.float64, generator=gen)
    w = torch.randn(12, order, dtype=torch.float64, generator=gen)
    want = torch.einsum("tbn,nd->tbd", x, w)
    got = narrow_product(x, w)
    assert got.shape == (7, 5, order)
    assert torch.allclose(got, want, rtol=0, atol=1e-12)


def test_weight_grad_sums_over_leading_axes():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(7, 5, 3, dtype=torch.float64, generator=gen)
    g = torch.randn(7, 5, 4, dtype=torch.float64, generator=gen)
    want = torch.einsum("tbn,tbm->nm", g, x)
    assert torch.allclose(weight_grad(x, g), want, rtol=0, atol=1e-12)


def test_batch_major_weight_grad_sums_over_batch_and_time():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(5, 3, 7, dtype=torch.float64, generator=gen)  # (B, M, T)
    g = torch.randn(7, 5, 4, dtype=torch.float64, generator=gen)  # (T, B, N)
    want = torch.einsum("tbn,bmt->nm", g, x)
    got = batch_major_weight_grad(x, g)
    assert got.shape == (4, 3)
    assert torch.allclose(got, want, rtol=0, atol=1e-12)


def test_input_grad_with_drive_adds_the_drive_term():
    gen = torch.Generator().manual_seed(4)
    g = torch.randn(7, 5, 4, dtype=torch.float64, generator=gen)
    g_drive = torch.randn(7, 5, dtype=torch.float64, generator=gen)
    w = torch.randn(5, 3, dtype=torch.float64, generator=gen)  # [W_f; w_x]
    want = torch.einsum("tbn,nm->tbm", g, w[:-1]) + torch.einsum(
        "tb,m->tbm", g_drive, w[-1]
    )
    got = input_grad_with_drive(g, g_drive, w)
    assert got.shape == (35, 3)
    assert torch.allclose(got.reshape(7, 5, 3), want, rtol=0, atol=1e-12)
