"""The shared backward products against einsum in float64."""

import pytest
import torch

from lava_dmp.train.products import narrow_product, weight_grad


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
