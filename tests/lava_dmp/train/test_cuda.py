"""Training, evaluation and the quantised forward on a GPU against the CPU.
Skipped where torch sees no CUDA GPU."""

import numpy as np
import pytest
import torch

from lava_dmp.cli import main
from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import make_dataset
from lava_dmp.train.export import layer_spikes, quantize_network
from lava_dmp.train.trainer import evaluate
from tests.lava_dmp.datasets.test_custom import bumps

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU visible to torch"
)

TRAIN = ["--task", "custom", "--sizes", "4,16,12,3", "--order", "4", "--theta", "30"]
TRAIN += ["--lr", "1e-2", "--batch-size", "16", "--epochs", "2", "--no-progress"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cuda")
    x, y, lengths = bumps(80, 0)
    split = np.array(["train"] * 60 + ["test"] * 20)
    np.savez(root / "data.npz", x=x, y=y, lengths=lengths, split=split)
    return root / "data.npz"


@pytest.mark.parametrize("rule", ["bptt", "sdfa"])
def test_training_on_the_gpu_follows_the_cpu(data, tmp_path, rule):
    runs = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / device
        argv = ["train", *TRAIN, "--data", str(data), "--rule", rule]
        assert main([*argv, "--device", device, "--output", str(out)]) == 0
        runs[device] = torch.load(out / "checkpoint.pt", weights_only=False)
    assert runs["cuda"]["history"][0]["device"].startswith("cuda")
    for key, value in runs["cpu"]["model"].items():
        got = runs["cuda"]["model"][key]
        assert got.device.type == "cpu"  # checkpoints hold CPU tensors
        # float32 on two devices (FFT, reductions): close, not equal
        torch.testing.assert_close(got, value, rtol=1e-3, atol=1e-4)


def test_quantised_forward_and_evaluate_on_the_gpu_equal_the_cpu(data, tmp_path):
    out = tmp_path / "q"
    assert main(["train", *TRAIN, "--data", str(data), "--output", str(out)]) == 0
    net, state = network_from_checkpoint(out / "checkpoint.pt")
    test = make_dataset("custom", "test", 0, None, None, data=str(data))
    acc_cpu = evaluate(net, test)
    quantize_network(net, None, test.spec)
    with torch.no_grad():
        cpu = layer_spikes(net, test.x)
        net.to("cuda")
        gpu = layer_spikes(net, test.x.to("cuda"))
    for a, b in zip(cpu, gpu, strict=True):  # integer arithmetic: equal
        assert torch.equal(a, b.cpu())
    assert evaluate(net, test) == pytest.approx(evaluate(net.to("cpu"), test), abs=0.0)
    assert 0.0 <= acc_cpu <= 1.0
