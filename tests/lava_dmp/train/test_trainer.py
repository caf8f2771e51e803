"""Checkpoints, exact resume and bad input of the training loop (real MNIST)."""

import math
from dataclasses import replace

import pytest
import torch

from lava_dmp.train.model import DMPNet, NetConfig
from lava_dmp.train.trainer import CHECKPOINT, TrainConfig, load_checkpoint, train
from tests.lava_dmp.datasets.test_mnist import needs_mnist

NET = NetConfig(sizes=(1, 12, 10), order=4, theta=60.0, init_std=0.05, dropout=0.2)


def _cfg(**kw):
    base = dict(
        task="psmnist",
        epochs=2,
        batch_size=16,
        limit_train=48,
        limit_test=32,
        seed=3,
        perm_seed=5,
        optimizer="adamw",  # the SHD reference's optimiser, schedule and dropout
        weight_decay=0.1,
        lr_step=1,
        lr_gamma=0.5,
    )
    base.update(kw)
    return TrainConfig(**base)


def _quiet(msg):
    pass


@needs_mnist
def test_resume_after_interrupted_epoch_gives_same_weights(tmp_path):
    straight = train(NET, _cfg(), tmp_path / "a", progress=False, log=_quiet)
    assert straight["stop_reason"] == "done"
    b = tmp_path / "b"
    train(NET, _cfg(epochs=1), b, progress=False, log=_quiet)
    first = (b / "checkpoint.pt").read_bytes()
    # interrupted inside epoch 2 by the time budget: nothing written
    cut = train(NET, _cfg(max_minutes=1e-9), b, resume=True, progress=False, log=_quiet)
    assert cut["stop_reason"] == "max_minutes"
    assert (b / "checkpoint.pt").read_bytes() == first
    train(NET, _cfg(), b, resume=True, progress=False, log=_quiet)
    wa = load_checkpoint(tmp_path / "a" / "checkpoint.pt")["model"]
    wb = load_checkpoint(b / "checkpoint.pt")["model"]
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    state = load_checkpoint(b / "checkpoint.pt")
    assert state["epoch"] == 2 and state["permutation"] is not None


@needs_mnist
def test_cosine_schedule_anneals_and_resumes(tmp_path):
    """Epoch e (from 0) trains at lr (1 + cos(pi e / E)) / 2; a run resumed
    after epoch 1 continues on the same curve."""
    cfg = _cfg(epochs=3, lr=4e-3, lr_schedule="cosine", limit_train=16)
    train(NET, cfg, tmp_path, progress=False, log=_quiet)
    full = [m["lr"] for m in load_checkpoint(tmp_path / "checkpoint.pt")["history"]]
    b = tmp_path / "b"
    train(NET, replace(cfg, epochs=1), b, progress=False, log=_quiet)
    train(NET, cfg, b, resume=True, progress=False, log=_quiet)
    resumed = [m["lr"] for m in load_checkpoint(b / "checkpoint.pt")["history"]]
    expected = [4e-3 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]
    assert full == pytest.approx(expected, rel=1e-12)
    assert resumed[1:] == pytest.approx(expected[1:], rel=1e-12)
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(lr_schedule="linear")


@needs_mnist
def test_corrupt_checkpoint_is_refused_and_kept(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="checkpoint: .* corrupt"):
        train(NET, _cfg(), tmp_path, resume=True, progress=False, log=_quiet)
    assert (tmp_path / "checkpoint.pt").read_bytes() == b"not a checkpoint"


def test_bad_inputs():
    net = DMPNet(NET)
    with pytest.raises(ValueError, match="input: expected"):
        net(torch.zeros(2, 3, 10))
    with pytest.raises(ValueError, match="NaN"):
        net(torch.full((2, 1, 10), float("nan")))
    with pytest.raises(ValueError, match="task"):
        TrainConfig(task="cifar")
    with pytest.raises(ValueError, match="sizes"):
        NetConfig(sizes=(1, 10))


def test_paper_parameter_counts():
    # Table 1 of the paper: S-MNIST DMP I/II/peak (d = 20/60/200) 51K/73K/202K
    counts = [DMPNet(NetConfig(order=d)).param_counts()["paper"] for d in (20, 60, 200)]
    assert [c // 1000 for c in counts] == [51, 73, 202]
    shd = DMPNet(NetConfig(sizes=(140, 128, 128, 20), order=10, theta=40.0))
    assert shd.param_counts()["paper"] // 1000 == 39


def test_ablation_parameter_counts():
    # plain LIF (no memory): the paper's FSNN count, 42K on S-MNIST
    # (1*200 + 200*200 + 200*10); PyTorch adds the biases (2*200 + 10)
    lif = DMPNet(NetConfig(memory=False)).param_counts()
    assert lif == {"paper": 42200, "pytorch": 42200 + 410}
    # W_f = 0 removes the M N of each layer (1*200 + 200*200) from the 51K
    full = DMPNet(NetConfig()).param_counts()
    no_fast = DMPNet(NetConfig(fast_path=False)).param_counts()
    assert full["paper"] - no_fast["paper"] == 40200
    assert full["pytorch"] - no_fast["pytorch"] == 40200


@needs_mnist
def test_empty_dataset_refused(tmp_path):
    with pytest.raises(ValueError, match="limit"):
        train(NET, _cfg(limit_train=0), tmp_path, progress=False, log=_quiet)


@needs_mnist
def test_quantised_fine_tuning_from_a_float_run(tmp_path):
    """Hardware-aware mode: the reported accuracy is that of the integer
    forward (recomputed from the saved weights), the
    weights move, and the float accuracy of the same weights is reported."""
    from lava_dmp.train.data import input_format, make_dataset
    from lava_dmp.train.export import quantize_network
    from lava_dmp.train.trainer import evaluate

    net = NetConfig(sizes=(1, 12, 10), order=4, theta=60.0, init_std=0.3)
    train(net, _cfg(epochs=1), tmp_path / "float", progress=False, log=_quiet)
    ckpt = str(tmp_path / "float" / "checkpoint.pt")
    res = train(
        net,
        _cfg(epochs=1, quantised=True, init_from=ckpt, lr=1e-2, weight_decay=0.0),
        tmp_path / "q",
        progress=False,
        log=_quiet,
    )
    assert res["mode"] == "quantised"
    assert "float_test_acc_same_weights" in res
    before = load_checkpoint(ckpt)["model"]
    after = load_checkpoint(tmp_path / "q" / "checkpoint.pt")["model"]
    assert any(not torch.equal(before[k], after[k]) for k in before)
    model = DMPNet(net)
    model.load_state_dict(after)
    test = make_dataset("psmnist", "test", 5, 32)
    quantize_network(model, None, *input_format("psmnist"))
    assert evaluate(model, test) == res["test_acc"]
    with pytest.raises(ValueError, match="init_from: .* another network"):
        train(
            NetConfig(sizes=(1, 8, 10), order=4, theta=60.0),
            _cfg(epochs=1, init_from=ckpt),
            tmp_path / "x",
            progress=False,
            log=_quiet,
        )


@needs_mnist
def test_freeze_hidden_trains_the_readout_alone(tmp_path):
    """--freeze-hidden: every hidden weight keeps its initial value bit for bit
    while the readout moves; refused under an SDFA rule, naming the option."""
    train(NET, _cfg(epochs=1), tmp_path / "a", progress=False, log=_quiet)
    start = load_checkpoint(tmp_path / "a" / "checkpoint.pt")["model"]
    cfg = _cfg(epochs=1, freeze_hidden=True, init_from=str(tmp_path / "a" / CHECKPOINT))
    train(NET, cfg, tmp_path / "b", progress=False, log=_quiet)
    after = load_checkpoint(tmp_path / "b" / "checkpoint.pt")["model"]
    hidden = [k for k in start if k.startswith("blocks.")]
    readout = [k for k in start if k.startswith("readout.")]
    assert hidden and readout
    assert all(torch.equal(start[k], after[k]) for k in hidden)
    assert any(not torch.equal(start[k], after[k]) for k in readout)
    with pytest.raises(ValueError, match="freeze_hidden: .*--rule bptt"):
        _cfg(freeze_hidden=True, rule="sdfa")


def test_same_network_ignores_only_the_initial_draw():
    """A checkpoint written before positive_drive existed, or with another
    init scale, still holds this network; another size, order or reset not."""
    net = NetConfig(sizes=(1, 12, 10), order=4, theta=60.0)
    old = net.to_dict()
    del old["positive_drive"]
    assert net.same_network({**old, "init_std": 0.7, "init": "reference"})
    assert not net.same_network({**old, "order": 5})
    assert not net.same_network({**old, "reset": "soft"})
    assert not net.same_network({**old, "sizes": (1, 13, 10)})
