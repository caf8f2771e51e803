import numpy as np
import pytest

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.netx.build import build_network


def test_build_network_checks_sizes_and_kinds():
    p1 = DMPLayerParams.random(5, 3, 2)
    p2 = DMPLayerParams.random(4, 6, 2)
    with pytest.raises(ValueError, match=r"layers\[1\]: expects 6 inputs"):
        build_network([p1, p2], np.zeros((10, 3)))
    with pytest.raises(ValueError, match="inputs: expected shape"):
        build_network([p1], np.zeros((10, 4)))
    f1, _ = convert_layer(p1)
    with pytest.raises(ValueError, match="mix of float and fixed"):
        build_network([f1, p2], np.zeros((10, 3), dtype=int))
    with pytest.raises(ValueError, match="integer inputs"):
        build_network([f1], np.zeros((10, 3)))


def test_fixed_network_refuses_float_or_too_wide_inputs():
    f1, _ = convert_layer(DMPLayerParams.random(5, 3, 2))
    x = np.zeros((10, 3))
    x[4, 1] = 0.5  # Lava's fixed-point RingBuffer would make it 0
    with pytest.raises(
        ValueError,
        match=r"inputs: a fixed-point model takes integer inputs .*0\.5 at index "
        r"\(4, 1\)",
    ):
        build_network([f1], x)
    wide = np.zeros((10, 3), dtype=np.int64)
    wide[2, 0] = 2**31  # would wrap to -2^31 in the int32 RingBuffer
    with pytest.raises(ValueError, match=r"inputs: values must fit 32-bit signed"):
        build_network([f1], wide)
