import numpy as np
import pytest

from lava_dmp.convert import DMPLayerParams, FixedDMPParams, convert_layer
from lava_dmp.fixed_point import FixedPointFormat


def _params(**kw):
    return DMPLayerParams.random(8, 5, 4, theta=20.0, **kw)


def test_round_trip_within_half_lsb():
    p = _params()
    fixed, report = convert_layer(p)
    back = fixed.to_float()
    lsb_w = 2.0 ** (fixed.weight_exp - fixed.fmt.v_frac)
    # mixed-sign Dense keeps every other mantissa: error <= one mantissa step
    assert np.max(np.abs(back.weights_f - p.weights_f)) <= lsb_w + 1e-12
    assert np.max(np.abs(back.bias - p.bias)) <= 2.0 ** -(fixed.fmt.v_frac + 1)
    assert back.beta == pytest.approx(p.beta)
    np.testing.assert_allclose(back.weights_m, p.weights_m, atol=1e-3)
    assert report.spectral_radius_fixed < 1
    assert report.memory_error_measured <= report.memory_error_bound
    assert "spectral radius" in str(report)


def test_input_gain_folded_into_current_not_drive():
    p = _params()
    f1, _ = convert_layer(p, input_gain=0.5)
    f2, _ = convert_layer(p.fold_input_gain(0.5))
    np.testing.assert_array_equal(f1.weights, f2.weights)
    back = f1.to_float()
    np.testing.assert_allclose(back.bias, 0.5 * p.bias, atol=2.0**-12)
    np.testing.assert_allclose(back.weights_x, p.weights_x, atol=0.02)


def test_graded_input_scale():
    p = _params()
    fixed, _ = convert_layer(p, in_scale=1 / 255, num_message_bits=8)
    back = fixed.to_float()
    np.testing.assert_allclose(back.weights_f * 255 / 255, p.weights_f, atol=0.01)
    assert fixed.num_message_bits == 8


def test_weights_not_representable_at_given_exponent():
    p = _params()
    with pytest.raises(ValueError, match=r"weights: .*\[-256, 254\]"):
        convert_layer(p, weight_exp=-10)


def test_bias_not_representable():
    p = _params()
    p.bias[0] = 1e6
    with pytest.raises(ValueError, match="bias"):
        convert_layer(p, FixedPointFormat(acc_bits=24))


def test_fixed_params_refuse_too_short_theta():
    fixed, _ = convert_layer(_params(dilation=2))
    with pytest.raises(ValueError, match=r"theta: must be >= 2 \(steps"):
        FixedDMPParams(**{**fixed.__dict__, "theta": 1.5})


def test_fixed_params_refuse_float_arrays():
    fixed, _ = convert_layer(_params())
    with pytest.raises(ValueError, match="p: fixed-point parameters must be integer"):
        FixedDMPParams(**{**fixed.__dict__, "p": fixed.p.astype(float)})
    with pytest.raises(ValueError, match="weights: values must fit 9-bit"):
        FixedDMPParams(**{**fixed.__dict__, "weights": fixed.weights * 4})


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("weights_f", np.zeros((8, 3)), "weights_x"),
        ("weights_m", np.zeros((7, 4)), "weights_m"),
        ("weights_m", np.zeros((8, 0)), "weights_m"),
        ("weights_f", np.full((8, 5), np.nan), "weights_f: must be finite"),
        ("weights_m", np.full((8, 4), np.inf), "weights_m: must be finite"),
        ("theta", 0.0, "theta"),
        ("theta", -3.0, "theta"),
        ("theta", 1e-300, r"theta: must be >= 1 \(steps"),
        ("beta", 1.5, "beta"),
        ("vth", 0.0, "vth"),
        ("reset", "none", "reset"),
        ("dilation", 0, "dilation"),
        ("bias", np.zeros(3), "bias"),
    ],
)
def test_bad_float_params(field, value, match):
    kwargs = dict(
        weights_f=np.zeros((8, 5)), weights_x=np.zeros(5), weights_m=np.zeros((8, 4))
    )
    kwargs[field] = value
    with pytest.raises(ValueError, match=match):
        DMPLayerParams(**kwargs)


def test_int32_dense_overflow_refused():
    p = DMPLayerParams.random(4, 300, 2, std=1.0)
    with pytest.raises(ValueError, match="int32"):
        convert_layer(p, num_message_bits=16, in_scale=1.0)
