import numpy as np
import pytest

from lava_dmp.convert import DMPLayerParams, convert_layer
from lava_dmp.network import build_network


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
