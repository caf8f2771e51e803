import numpy as np
import pytest
from lava.utils.weightutils import SignMode, clip_weights, truncate_weights

from lava_dmp.fixed_point import (
    FixedPointFormat,
    dense_bit_acc,
    dense_weights_bit_acc,
    leak,
    lif_update,
    max_frac_bits,
    quantize,
    rshift,
    saturate,
)


def test_rshift_rounds_half_away_from_zero():
    x = np.array([5, -5, 6, -6, 7, -7, 4, -4])
    # 5/2=2.5->3, 6/2=3, 7/2=3.5->4, 4/2=2
    np.testing.assert_array_equal(rshift(x, 1), [3, -3, 3, -3, 4, -4, 2, -2])
    np.testing.assert_array_equal(rshift(np.array([3]), -2), [12])
    big = np.array([2**40 + 2**9, -(2**40) - 2**9])
    np.testing.assert_array_equal(rshift(big, 10), [2**30 + 1, -(2**30) - 1])


def test_rshift_against_exact_fractions():
    rng = np.random.default_rng(0)
    x = rng.integers(-(2**30), 2**30, 2000)
    for n in (1, 3, 12):
        exact = x / 2.0**n
        expected = np.sign(exact) * np.floor(np.abs(exact) + 0.5)
        np.testing.assert_array_equal(rshift(x, n), expected.astype(np.int64))


def test_saturate_and_raise():
    np.testing.assert_array_equal(saturate(np.array([200, -200, 5]), 8), [127, -128, 5])
    with pytest.raises(OverflowError, match="v: fixed-point overflow"):
        saturate(np.array([1 << 23]), 24, "v", overflow="raise")


def test_dense_weights_mirror_lava():
    rng = np.random.default_rng(1)
    w = rng.integers(-400, 400, (20, 30))
    for bits in (8, 6):
        lava = truncate_weights(
            clip_weights(w.copy(), SignMode.MIXED, 8), SignMode.MIXED, bits
        )
        np.testing.assert_array_equal(dense_weights_bit_acc(w, bits), lava)
    np.testing.assert_array_equal(
        dense_weights_bit_acc(np.array([3, -5, 127])), [2, -6, 126]
    )


def test_dense_bit_acc_shift_rule():
    w = np.array([[2, -6], [126, 4]])
    s = np.array([3, 1])
    np.testing.assert_array_equal(dense_bit_acc(w, s, 2), np.array([0, 382]) * 4)
    # negative exponent: floor shift, as Lava's np.right_shift
    np.testing.assert_array_equal(
        dense_bit_acc(w, np.array([1, 1]), -3), [-4 >> 3, 130 >> 3]
    )


def test_leak_matches_beta():
    v = np.array([4096, -4096, 1000])
    np.testing.assert_array_equal(leak(v, 2048), [2048, -2048, 500])
    np.testing.assert_array_equal(leak(np.array([3]), 2048), [2])  # 1.5 -> 2


def test_lif_update_hard_and_soft():
    v, s = lif_update(np.array([100, 0]), np.array([50, 10]), 2048, 90, "hard", 24)
    np.testing.assert_array_equal(s, [1, 0])
    np.testing.assert_array_equal(v, [0, 10])
    v, s = lif_update(np.array([100, 0]), np.array([50, 10]), 2048, 90, "soft", 24)
    np.testing.assert_array_equal(v, [10, 10])


def test_quantize_refuses_unrepresentable():
    with pytest.raises(ValueError, match="weights: .* not representable"):
        quantize(np.array([300.0]), 0, 8, "weights")
    np.testing.assert_array_equal(quantize(np.array([0.5, -0.25]), 2, 8, "x"), [2, -1])


def test_max_frac_bits():
    f = max_frac_bits(np.array([0.9, -1.7]), 16)
    assert f == 14
    assert np.max(np.abs(np.round(1.7 * 2**f))) <= 2**15 - 1


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(v_bits=1), "v_bits"),
        (dict(weight_bits=9), "weight_bits"),
        (dict(overflow="wrap"), "overflow"),
        (dict(v_frac=30), "v_frac"),
    ],
)
def test_format_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FixedPointFormat(**kwargs)
