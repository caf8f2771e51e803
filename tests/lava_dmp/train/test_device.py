"""Where training runs: the device argument is checked before anything is
written, and a GPU that torch cannot see is refused naming the flag. (The
GPU paths themselves are in test_cuda.py, skipped without a GPU.)"""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from lava_dmp.cli import main
from lava_dmp.datasets.custom import task_spec
from lava_dmp.train.device import check_device, lif_path, resolve_device
from lava_dmp.train.export import quantize_network
from lava_dmp.train.model import DMPNet, NetConfig
from lava_dmp.train.trainer import TrainConfig

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")


@pytest.mark.parametrize("name", ["gpu", "cuda:", "cuda:x", "CPU", "", 0, None])
def test_bad_device_names_are_refused(name):
    with pytest.raises(ValueError, match="device: expected cpu, cuda or cuda:N"):
        check_device(name)
    with pytest.raises(ValueError, match="device: expected"):
        TrainConfig(device=name)


@pytest.mark.parametrize("name", ["cpu", "cuda", "cuda:0", "cuda:12"])
def test_good_device_names_pass(name):
    assert check_device(name) == name
    assert TrainConfig(device=name).device == name


@no_gpu
def test_a_gpu_torch_cannot_see_is_refused_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(ValueError, match="torch sees no CUDA GPU"):
        resolve_device("cuda:0")
    out = tmp_path / "run"
    argv = ["train", "--task", "custom", "--data", "missing.npz", "--device", "cuda"]
    assert main([*argv, "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--device: 'cuda' asked for, but torch sees no CUDA GPU" in err
    assert not out.exists()


def test_cpu_device_and_lif_path():
    assert resolve_device("cpu") == torch.device("cpu")
    assert "CPU" in lif_path(torch.device("cpu")) or "torch" in lif_path(
        torch.device("cpu")
    )
    assert lif_path(torch.device("cuda", 0)).startswith("torch (cuda")


class _Recorder(TorchDispatchMode):
    """Every floating tensor an op returns, with the op's name."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in torch.utils._pytree.tree_leaves(out):
            if isinstance(t, torch.Tensor) and (
                t.is_floating_point() or t.is_complex()
            ):
                self.seen.append((str(func), t.dtype, t.device.type))
        return out


@pytest.mark.parametrize("quantised", [False, True])
def test_every_tensor_of_a_training_step_follows_the_network_dtype(quantised):
    """A float64 network: no op of the forward and backward (memory FFT, LIF,
    readout, quantised traces) makes a float32 tensor, which on a GPU would
    be a tensor made with a fixed dtype or device."""
    torch.manual_seed(0)
    net = DMPNet(NetConfig(sizes=(3, 8, 6, 2), order=4, theta=20.0)).double()
    if quantised:
        quantize_network(net, None, task_spec("smnist"))
    x = (torch.rand(2, 3, 40) < 0.4).double()
    rec = _Recorder()
    with rec:
        loss = net(x).logsumexp(dim=1).sum()
        loss.backward()
    assert len(rec.seen) > 50
    wrong = [s for s in rec.seen if s[1] not in (torch.float64, torch.complex128)]
    assert not wrong, wrong[:5]
    assert {d for _, _, d in rec.seen} == {"cpu"}
