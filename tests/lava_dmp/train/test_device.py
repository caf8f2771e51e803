"""Where training runs: the device argument is checked before anything is
written, and a GPU that torch cannot see is refused naming the flag. (The
GPU paths themselves are in test_cuda.py, skipped without a GPU.)"""

import pytest
import torch

from lava_dmp.cli import main
from lava_dmp.train.device import check_device, lif_path, resolve_device
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
