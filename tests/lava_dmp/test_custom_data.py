"""Your own data through every path: train, evaluate, export, run, cost and
validate-brian2 from the command line (in-process), variable lengths and
signed graded input, checked against the quantised forward and Lava."""

import json

import numpy as np
import pytest
import torch

from lava_dmp.cli import main
from lava_dmp.netx import read_network, run_lava_many
from lava_dmp.train.checkpoint import network_from_checkpoint
from lava_dmp.train.data import make_dataset
from lava_dmp.train.export import export_network, quantize_network
from lava_dmp.train.model import DMPNet, NetConfig
from tests.lava_dmp.datasets.test_custom import bumps

pytestmark = pytest.mark.timeout(900)

NET_ARGS = ["--sizes", "4,16,3", "--order", "4", "--theta", "30"]


def _last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def custom(tmp_path_factory):
    """An .npz of the contract (60 train, 20 test sequences of 20 to 40
    steps, signed graded values), a network trained on it for 2 epochs by
    ``lava-dmp train --task custom`` and its export."""
    root = tmp_path_factory.mktemp("custom")
    x, y, lengths = bumps(80, 0)
    split = np.array(["train"] * 60 + ["test"] * 20)
    np.savez(root / "data.npz", x=x, y=y, lengths=lengths, split=split)
    argv = ["train", "--task", "custom", "--data", str(root / "data.npz"), *NET_ARGS]
    argv += ["--epochs", "2", "--lr", "1e-2", "--batch-size", "16", "--threads", "1"]
    assert main([*argv, "--output", str(root / "run"), "--no-progress"]) == 0
    ckpt = root / "run" / "checkpoint.pt"
    assert main(["export", str(ckpt), str(root / "net.h5")]) == 0
    return {
        "root": root,
        "data": root / "data.npz",
        "ckpt": ckpt,
        "net": root / "net.h5",
    }


def test_export_carries_the_input_spec(custom):
    _, _, meta = read_network(custom["net"])
    spec = meta["input"]
    assert (spec.task, spec.channels, spec.steps) == ("custom", 4, 40)
    assert spec.signed and spec.message_bits == 8
    assert meta["version"] == 2 and meta["memory"] == [True]


def test_evaluate_run_cost_and_brian2_on_custom_data(custom, capsys):
    ckpt, net, data = str(custom["ckpt"]), str(custom["net"]), str(custom["data"])
    assert main(["evaluate", ckpt, "--json"]) == 0
    float_eval = _last_json(capsys)
    assert float_eval["task"] == "custom" and float_eval["samples"] == 20
    assert main(["evaluate", ckpt, "--quantised", "--json"]) == 0
    quant_eval = _last_json(capsys)
    argv = ["run", net, "--data", data, "--samples", "12", "--checkpoint", ckpt]
    assert main([*argv, "--json", "--no-progress"]) == 0
    run = _last_json(capsys)
    assert run["spike_mismatches"] == 0 and run["prediction_agreement"] == 1.0
    assert run["lava_spikes"] > 0
    # the first 12 test sequences: Lava's accuracy is the quantised forward's
    test = make_dataset("custom", "test", data=data, spec=read_network(net)[2]["input"])
    assert len(set(test.lengths[:12].tolist())) > 1, "lengths vary"
    assert run["quantised_accuracy"] == run["lava_accuracy"]
    assert 0 <= quant_eval["test_acc"] <= 1
    out = custom["root"] / "cost"
    argv = ["cost", net, "--data", data, "--samples", "20", "--lava-samples", "3"]
    assert main([*argv, "--step-ms", "10", "--output", str(out), "--json"]) == 0
    cost = _last_json(capsys)
    assert cost["lava_check"]["counts_equal_fast_path"] is True
    assert cost["step_ms"] == 10
    d = cost["designs"]["dmp-128"]
    # x real time = steps per second x the step's real time
    assert d["acceleration_vs_real_time"] == pytest.approx(
        d["throughput_steps_per_s"] * 0.010
    )
    argv = ["validate-brian2", "--network", net, "--data", data, "--samples", "1"]
    out = custom["root"] / "brian2"
    assert main([*argv, "--steps", "12", "--output", str(out), "--json"]) == 0
    rows = _last_json(capsys)["rows"]
    discrete = [r for r in rows if r["reading"] == "discrete"]
    assert discrete and all(r["mismatches"] == 0 for r in discrete)


def test_data_of_another_shape_is_refused_naming_both(custom, tmp_path, capsys):
    x, y, lengths = bumps(6, 1, channels=5)
    np.savez(tmp_path / "five.npz", x=x, y=y, lengths=lengths)
    code = main(["run", str(custom["net"]), "--data", str(tmp_path / "five.npz")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "5 channels (shape (6, 5, 40))" in err and "takes 4" in err
    # a custom network never silently runs on S-MNIST
    assert main(["run", str(custom["net"]), "--samples", "2"]) == 2
    assert "--data" in capsys.readouterr().err


def test_padding_never_changes_a_prediction(custom):
    """Extra zero steps after a sequence leave its scores unchanged in the
    float and the quantised forward (the readout averages the valid steps)."""
    net, _ = network_from_checkpoint(custom["ckpt"])
    test = make_dataset("custom", "test", data=custom["data"], spec=None)
    x, lengths = test.x[:8], test.lengths[:8]
    padded = torch.nn.functional.pad(x, (0, 25))
    with torch.no_grad():
        a, b = net(x, lengths), net(padded, lengths)
        assert torch.allclose(a, b, atol=1e-5)
        assert torch.equal(a.argmax(1), b.argmax(1))
        quantize_network(net, None, test.spec)
        assert torch.equal(net(x, lengths), net(padded, lengths))
        # and the mask matters: without lengths the padding is averaged in
        assert not torch.equal(net(padded), net(padded, lengths))


def test_quantised_fine_tuning_of_a_dropout_network_stays_bit_exact(
    custom, tmp_path, capsys
):
    data = str(custom["data"])
    base = ["train", "--task", "custom", "--data", data, *NET_ARGS, "--threads", "1"]
    base += ["--batch-size", "16", "--no-progress", "--epochs", "1"]
    assert main([*base, "--dropout", "0.2", "--output", str(tmp_path / "d")]) == 0
    ckpt = str(tmp_path / "d" / "checkpoint.pt")
    argv = [*base, "--quantised", "--init-from", ckpt, "--lr", "1e-3"]
    assert main([*argv, "--output", str(tmp_path / "q"), "--json"]) == 0
    tuned = _last_json(capsys)
    assert tuned["mode"] == "quantised"
    q = str(tmp_path / "q" / "checkpoint.pt")
    assert main(["export", q, str(tmp_path / "q.h5")]) == 0
    argv = ["run", str(tmp_path / "q.h5"), "--data", data, "--samples", "4"]
    assert main([*argv, "--checkpoint", q, "--json", "--no-progress"]) == 0
    assert _last_json(capsys)["spike_mismatches"] == 0


def test_a_network_without_memory_costs_no_memory_work(custom, tmp_path, capsys):
    torch.manual_seed(0)
    spec = read_network(custom["net"])[2]["input"]
    energy = {}
    for memory in (True, False):
        net = DMPNet(NetConfig(sizes=(4, 16, 3), order=4, theta=30.0, memory=memory))
        path = tmp_path / f"m{memory}.h5"
        export_network(net, path, spec)
        assert read_network(path)[2]["memory"] == [memory]
        argv = ["cost", str(path), "--data", str(custom["data"]), "--samples", "5"]
        out = tmp_path / f"c{memory}"
        assert main([*argv, "--lava-samples", "2", "--output", str(out), "--json"]) == 0
        summary = _last_json(capsys)
        assert summary["lava_check"]["counts_equal_fast_path"] is True
        energy[memory] = summary["designs"]["dmp-128"][
            "energy_per_inference_by_path_nj"
        ]
    assert energy[True]["memory"] > 0 and energy[True]["memory_update"] > 0
    assert energy[False]["memory"] == 0 and energy[False]["memory_update"] == 0
    assert energy[False]["spike"] > 0


def test_lava_runs_each_sequence_for_its_own_length(custom):
    """A sequence and the same sequence followed by zeros give the same
    spikes on the common steps; scores differ only by what the extra steps
    add, so the runner must take each sample's own length."""
    test = make_dataset(
        "custom",
        "test",
        data=custom["data"],
        spec=read_network(custom["net"])[2]["input"],
    )
    seq = test.sequence(0)
    runs = run_lava_many(custom["net"], [seq, np.vstack([seq, np.zeros_like(seq)])])
    n = len(seq)
    assert runs[0]["s0"].shape == (n, 16) and runs[1]["s0"].shape == (2 * n, 16)
    assert np.array_equal(runs[0]["s0"], runs[1]["s0"][:n])


def test_python_train_takes_dataset_objects_and_resumes(tmp_path):
    """``train()`` on objects of the contract (no file): metrics, checkpoint
    with the input spec, exact resume; ``evaluate`` takes the contract too."""
    from lava_dmp.train.trainer import TrainConfig, evaluate, load_checkpoint, train
    from tests.lava_dmp.datasets.test_custom import _Contract

    net_cfg = NetConfig(sizes=(4, 16, 3), order=4, theta=30.0)
    cfg = TrainConfig(task="custom", epochs=2, batch_size=8, lr=1e-2, threads=1)
    kw = dict(progress=False, log=lambda m: None, data=_Contract(24))
    kw["test_data"] = _Contract(8)
    straight = train(net_cfg, cfg, tmp_path / "a", **kw)
    from dataclasses import replace

    train(net_cfg, replace(cfg, epochs=1), tmp_path / "b", **kw)
    resumed = train(net_cfg, cfg, tmp_path / "b", resume=True, **kw)
    assert resumed["history"][-1] == {
        **straight["history"][-1],
        "seconds": resumed["history"][-1]["seconds"],
    }
    state = load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert state["input"]["channels"] == 4 and state["input"]["signed"]
    net, _ = network_from_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert evaluate(net, _Contract(8)) == resumed["test_acc"]


def test_signed_input_bounds_the_memory_for_both_signs():
    """The converter's worst-case drive takes |w_x| for signed input:
    sum |w_x| 2^(b-1) in_scale + max(b_x, 0) against sum max(w_x, 0)
    (2^b - 1) in_scale for unsigned."""
    from lava_dmp.convert import DMPLayerParams, convert_layer

    p = DMPLayerParams.random(8, 3, 4, seed=1)
    p.weights_x[:] = [0.5, -0.25, 0.125]
    p.bias_x = 0.1
    _, signed = convert_layer(p, in_scale=0.01, num_message_bits=6, signed_input=True)
    _, unsigned = convert_layer(p, in_scale=0.01, num_message_bits=6)
    assert signed.x_max == pytest.approx((0.5 + 0.25 + 0.125) * 32 * 0.01 + 0.1, 1e-2)
    assert unsigned.x_max == pytest.approx((0.5 + 0.125) * 63 * 0.01 + 0.1, 1e-2)


def test_quantised_forward_refuses_input_outside_the_messages():
    net = DMPNet(NetConfig(sizes=(1, 8, 3), order=3, theta=30.0))
    from lava_dmp.datasets.custom import InputSpec

    quantize_network(net, None, InputSpec(1, 0, 0.5, False, 7))
    x = torch.zeros(1, 1, 6)
    x[0, 0, 2] = 128 * 0.5
    with pytest.raises(ValueError, match=r"7-bit messages in \[0, 127\]"):
        net(x)
    x[0, 0, 2] = 127 * 0.5
    assert net(x).shape == (1, 3)


def test_a_version_1_file_without_a_task_is_not_run_on_smnist(custom, tmp_path, capsys):
    """Version 1 exports without a task used to run on S-MNIST silently; they
    now take custom data only."""
    import shutil

    import h5py

    old = tmp_path / "v1.h5"
    shutil.copy(custom["net"], old)
    with h5py.File(old, "r+") as f:
        meta = f["meta"].attrs
        meta["version"], meta["task"] = 1, ""
        del meta["input_channels"], meta["input_signed"]
        del f["layer/0"].attrs["memory"]
    _, _, meta = read_network(old)
    assert meta["input"].task == "custom" and meta["memory"] == [True]
    assert main(["run", str(old), "--samples", "2"]) == 2
    assert "--data" in capsys.readouterr().err
    # version 1 knew no signed input: the signed test data are refused by range
    argv = ["run", str(old), "--data", str(custom["data"]), "--samples", "2"]
    assert main([*argv, "--json", "--no-progress"]) == 2
    assert "outside [0, 255] of 4 channels" in capsys.readouterr().err
