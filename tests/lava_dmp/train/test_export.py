"""Quantised training forward: bit-exact with the golden model, and after
export with the Lava fixed-point network on real MNIST sequences."""

import h5py
import numpy as np
import pytest
import torch

from lava_dmp.convert import convert_layer
from lava_dmp.datasets.custom import task_spec
from lava_dmp.golden import GoldenDMPLayer
from lava_dmp.netx import read_network, run_lava, run_lava_many
from lava_dmp.train.data import SequentialMNIST
from lava_dmp.train.export import export_network, layer_spikes, quantize_network
from lava_dmp.train.model import DMPNet, NetConfig
from tests.lava_dmp.datasets.test_mnist import needs_mnist

pytestmark = pytest.mark.timeout(900)


def _net(seed=0):
    torch.manual_seed(seed)
    return DMPNet(NetConfig(sizes=(1, 16, 12, 10), order=6, theta=100.0, init_std=0.03))


def test_quantised_block_equals_golden_model():
    net = _net()
    block = net.blocks[1]
    block.quantize(None, 1.0, 0)
    s = torch.rand(3, 16, 80, generator=torch.Generator().manual_seed(2)) < 0.3
    out = block(s.float()).detach().numpy()
    p = block.layer_params()
    fixed, _ = convert_layer(p, input_gain=block.neuron.input_gain)
    gold = GoldenDMPLayer(fixed).run(s.numpy().astype(np.int64).transpose(2, 0, 1))
    assert np.array_equal(out.transpose(2, 0, 1), gold["s"])
    assert gold["s"].sum() > 0


def test_quantised_forward_has_straight_through_gradients():
    net = quantize_network(_net())
    x = torch.randint(0, 256, (4, 1, 60)).double() / 255
    loss = torch.nn.functional.cross_entropy(net.double()(x), torch.arange(4))
    loss.backward()
    g = net.blocks[0].synapse.weight.grad
    assert g is not None and torch.isfinite(g).all() and torch.any(g != 0)


@needs_mnist
def test_export_then_lava_run_has_zero_spike_mismatches(tmp_path):
    data = SequentialMNIST("test", "psmnist", perm_seed=1, limit=20)
    net = quantize_network(_net(1))
    path = tmp_path / "net.h5"
    export_network(net, path, task_spec("psmnist"), permutation=data.permutation)
    layers, readout, meta = read_network(path)
    assert meta["version"] == 2 and np.array_equal(
        meta["permutation"], data.permutation
    )
    torch_spikes = layer_spikes(net, data.x)
    # all 20 in one runtime, state reset between samples
    runs = run_lava_many(path, [p[:, None].astype(np.int64) for p in data.pixels])
    mismatches, total = 0, 0
    for i, lava in enumerate(runs):
        for layer, spikes in enumerate(torch_spikes):
            expected = spikes[i].numpy().T  # (T, N)
            mismatches += int(np.sum(lava[f"s{layer}"] != expected))
            total += int(expected.sum())
    assert mismatches == 0
    assert total > 1000  # the layers are active


@needs_mnist
def test_single_sample_run_equals_first_of_many(tmp_path):
    data = SequentialMNIST("test", "smnist", limit=2)
    net = quantize_network(_net(2))
    path = tmp_path / "net.h5"
    export_network(net, path, task_spec("smnist"))
    one = run_lava(path, data.pixels[1][:, None].astype(np.int64))
    many = run_lava_many(path, [p[:, None].astype(np.int64) for p in data.pixels])
    assert np.array_equal(one["s1"], many[1]["s1"])
    assert np.array_equal(one["scores"], many[1]["scores"])


def test_loader_refuses_unknown_version(tmp_path):
    net = quantize_network(_net())
    path = tmp_path / "net.h5"
    export_network(net, path, task_spec("smnist"))
    with h5py.File(path, "a") as f:
        f["meta"].attrs["version"] = 99
    with pytest.raises(ValueError, match="version 99"):
        read_network(path)
