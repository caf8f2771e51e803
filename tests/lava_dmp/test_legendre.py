import numpy as np
import pytest

from lava_dmp.fixed_point import lmu_update, round_half_away
from lava_dmp.legendre import (
    continuous_lmu,
    delay_readout,
    dilated_memory,
    impulse_response,
    legendre_decoder,
    lmu_matrices,
    memory_bound,
    memory_fft,
    memory_scan,
    quantize_lmu,
)
from tests.reference import lmu_zoh


@pytest.mark.parametrize(
    "order,theta,dt",
    [(1, 10.0, 1.0), (6, 40.0, 1.0), (40, 300.0, 1.0), (10, 40.0, 4.0)],
)
def test_lmu_matrices_match_scipy_zoh(order, theta, dt):
    a_bar, b_bar = lmu_matrices(order, theta, dt)
    ad, bd = lmu_zoh(order, theta, dt)
    assert a_bar.shape == (order, order) and b_bar.shape == (order,)
    assert a_bar.dtype == np.float64
    np.testing.assert_allclose(a_bar, ad, atol=1e-12)
    np.testing.assert_allclose(b_bar, bd, atol=1e-12)


def test_b_bar_closed_form_order_one():
    # d = 1: A = -1/theta, B = 1/theta, so B_bar = 1 - exp(-dt/theta).
    a_bar, b_bar = lmu_matrices(1, 25.0, 2.0)
    assert a_bar[0, 0] == pytest.approx(np.exp(-2.0 / 25.0), abs=1e-15)
    assert b_bar[0] == pytest.approx(1 - np.exp(-2.0 / 25.0), abs=1e-15)


def test_continuous_matrices_written_out():
    a, b = continuous_lmu(3, 2.0)
    expected = np.array([[-1, -1, -1], [3, -3, -3], [-5, 5, -5]]) / 2.0
    np.testing.assert_array_equal(a, expected)
    np.testing.assert_array_equal(b, np.array([1, -3, 5]) / 2.0)


def test_whole_sequence_memory_equals_recurrence():
    rng = np.random.default_rng(0)
    a_bar, b_bar = lmu_matrices(12, 50.0)
    x = rng.normal(size=(300, 4))
    m_loop = np.zeros((300, 4, 12))
    m = np.zeros((4, 12))
    for k in range(300):  # written out, not memory_scan
        m = np.einsum("ij,bj->bi", a_bar, m) + np.outer(x[k], b_bar)
        m_loop[k] = m
    np.testing.assert_allclose(memory_scan(x, a_bar, b_bar), m_loop, atol=1e-12)
    np.testing.assert_allclose(memory_fft(x, a_bar, b_bar), m_loop, atol=1e-10)


def test_impulse_response_is_matrix_power():
    a_bar, b_bar = lmu_matrices(5, 20.0)
    h = impulse_response(a_bar, b_bar, 7)
    np.testing.assert_allclose(h[6], np.linalg.matrix_power(a_bar, 6) @ b_bar)


def test_dilation_one_is_plain_recurrence_and_holds_between_refreshes():
    rng = np.random.default_rng(1)
    x = rng.random(40)
    a_bar, b_bar = lmu_matrices(4, 20.0)
    np.testing.assert_allclose(
        dilated_memory(x, 4, 20.0, 1), memory_scan(x, a_bar, b_bar), atol=1e-12
    )
    m3 = dilated_memory(x, 4, 20.0, 3)
    a3, b3 = lmu_zoh(4, 20.0, 3.0)
    # refresh at k=0 with mean of x[0] (earlier steps are zero), then at k=3.
    np.testing.assert_allclose(m3[0], b3 * x[0] / 3, atol=1e-12)
    np.testing.assert_allclose(m3[2], m3[0])
    np.testing.assert_allclose(m3[3], a3 @ m3[0] + b3 * x[1:4].mean(), atol=1e-12)


def test_legendre_decoder_recovers_delayed_band_limited_signal():
    # Band-limited signal (components well below 1/theta) read back at delays.
    theta, order, steps = 200.0, 24, 2000
    t = np.arange(steps)
    rng = np.random.default_rng(2)
    x = sum(
        np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in (0.002, 0.004, 0.007)
    )
    m = memory_fft(x, *lmu_matrices(order, theta))
    for delay in (0.0, 50.0, 100.0, 150.0):
        est = delay_readout(m[500:], delay, theta)
        truth = x[500 - int(delay) : steps - int(delay)]
        err = np.max(np.abs(est - truth))
        # stated bound: 5 % of the signal's peak (3) for order 24, theta 200
        assert err < 0.15, (delay, err)


def test_decoder_polynomials_are_shifted_legendre():
    r = np.array([0.0, 0.5, 1.0])
    p = legendre_decoder(3, r)
    np.testing.assert_allclose(p[:, 0], 1.0)
    np.testing.assert_allclose(p[:, 1], 2 * r - 1)
    np.testing.assert_allclose(p[:, 2], 6 * r**2 - 6 * r + 1)


@pytest.mark.parametrize(
    "order,theta,ds", [(10, 40.0, 1), (40, 300.0, 1), (8, 60.0, 3)]
)
def test_quantized_lmu_error_within_stated_bound(order, theta, ds):
    q = quantize_lmu(order, theta, ds)
    assert np.max(np.abs(q.a_q - q.a_bar)) <= 2.0 ** -(q.a_frac + 1) + 1e-15
    assert np.max(np.abs(q.b_q - q.b_eff)) <= 2.0 ** -(q.b_frac + 1) + 1e-15
    assert q.spectral_radius() < 1
    rng = np.random.default_rng(3)
    v_frac, m_frac, steps = 12, 10, 1500
    x_int = rng.integers(0, 1 << v_frac, steps)  # drive in [0, 1)
    m_ref = dilated_memory(x_int * 2.0**-v_frac, order, theta, ds)
    m = np.zeros(order, dtype=np.int64)
    xsum = 0
    err = 0.0
    for k in range(steps):
        xsum += int(x_int[k])
        if k % ds == 0:
            m = lmu_update(
                m,
                np.int64(xsum),
                q.a_int,
                q.b_int,
                q.a_frac,
                q.b_frac + v_frac - m_frac,
                16,
            )
            xsum = 0
        err = max(err, np.max(np.abs(m * 2.0**-m_frac - m_ref[k])))
    bound = memory_bound(q.a_q, q.b_q * ds, 1.0)
    limit = q.error_bound(m_frac, float(bound.sum()), float(ds))
    assert err <= limit
    assert err < 0.02  # measured errors stay a few LSBs


def test_memory_bound_holds_for_worst_case_input():
    a_bar, b_bar = lmu_matrices(6, 30.0)
    bound = memory_bound(a_bar, b_bar, 1.0)
    h = impulse_response(a_bar, b_bar, 400)
    worst = np.sign(h[::-1])  # input aligned with the impulse response signs
    m = np.zeros(6)
    for i in range(6):
        mi = memory_scan(worst[:, i], a_bar, b_bar)[-1, i]
        m[i] = abs(mi)
    assert np.all(m <= bound + 1e-9)
    assert np.all(m >= 0.95 * bound)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(order=0, theta=10.0), "order"),
        (dict(order=3, theta=0.0), "theta"),
        (dict(order=3, theta=-1.0), "theta"),
        (dict(order=3, theta=float("nan")), "theta"),
        (dict(order=2.5, theta=10.0), "order"),
    ],
)
def test_bad_lmu_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lmu_matrices(**kwargs)


@pytest.mark.parametrize(
    "call,low",
    [
        (lambda: lmu_matrices(10, 1e-300), "1"),  # expm overflowed to NaN
        (lambda: lmu_matrices(40, 0.5), "1"),  # A_bar ~ 1e-6: no history
        (lambda: continuous_lmu(3, 0.999), "1"),
        (lambda: lmu_matrices(4, 3.0, dt=4.0), "4"),  # shorter than one update
        (lambda: quantize_lmu(4, 1e-300), "1"),
        (lambda: dilated_memory(np.ones(5), 4, 2.0, 3), "3"),
        (lambda: delay_readout(np.zeros((2, 3)), 0.0, 1e-300), "1"),
    ],
    ids=["nan", "half_step", "continuous", "dt", "quantize", "dilated", "readout"],
)
def test_too_short_theta_is_refused(call, low):
    with pytest.raises(ValueError, match=rf"^theta: must be >= {low} \(steps"):
        call()


def test_shortest_theta_gives_finite_matrices_with_history():
    a_bar, b_bar = lmu_matrices(40, 1.0)  # the smallest accepted window
    assert np.all(np.isfinite(a_bar)) and np.all(np.isfinite(b_bar))
    assert np.max(np.abs(a_bar)) > 0.01  # the memory still carries history
    a4, b4 = lmu_matrices(4, 4.0, dt=4.0)
    assert np.all(np.isfinite(a4)) and np.all(np.isfinite(b4))


def test_unstable_quantization_is_refused():
    with pytest.raises(ValueError, match="a_frac"):
        quantize_lmu(40, 300.0, 1, a_bits=16, a_frac=4)


def test_round_half_away():
    np.testing.assert_array_equal(
        round_half_away([0.5, -0.5, 1.5, -2.5, 0.49]), [1, -1, 2, -3, 0]
    )
