import json

import pytest
import torch

from lava_dmp.cli import main
from lava_dmp.datasets.custom import task_spec
from lava_dmp.train.export import export_network
from lava_dmp.train.model import DMPNet, NetConfig


def test_cli_cost_on_mnist_digits(tmp_path, capsys):
    torch.manual_seed(1)
    net = DMPNet(NetConfig(sizes=(1, 16, 12, 10), order=4, theta=300.0, init_std=0.3))
    path = tmp_path / "net.h5"
    export_network(net, path, task_spec("smnist"))
    out = tmp_path / "cost"
    argv = [
        "cost",
        str(path),
        "--samples",
        "3",
        "--lava-samples",
        "2",
        "--output",
        str(out),
        "--json",
        "--no-progress",
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["samples"] == 3 and summary["steps_per_sample"] == 785
    assert summary["lava_check"]["counts_equal_fast_path"] is True
    designs = summary["designs"]
    assert set(designs) == {
        "dmp-128",
        "elfcore-like",
        "loihi-like",
        "reckon-like",
        "dmp-256",
    }
    # the approximate baseline is marked in the JSON and in every table
    assert set(summary["approximate"]) == {"loihi-like"}
    assert "not checked" in summary["approximate"]["loihi-like"]
    marked = {r["metric"] for r in summary["comparison"] if r["approximate"]}
    assert marked == {"throughput_vs_loihi", "energy_vs_loihi"}
    from lava_dmp.cost.run import print_cost

    print_cost(summary)
    text = capsys.readouterr().out
    assert "loihi-like~" in text and "energy_vs_loihi~" in text
    assert "~ loihi-like: approximate" in text
    d = designs["dmp-128"]
    # 785 steps x 2 DMP layers: every step refreshes the memory of both
    assert d["counts"]["lmu_macs"] == 3 * 785 * 2 * (4 * 4 + 4)
    assert d["counts"]["dendrite_updates"] == 3 * 785 * (16 + 12) + 3 * 784 * 10
    assert d["energy_per_inference_nj"] > 0
    assert abs(sum(d["energy_by_path_pj"].values()) - d["total_energy_j"] * 1e12) < 1e-3
    assert (
        designs["elfcore-like"]["energy_per_inference_nj"]
        > d["energy_per_inference_nj"]
    )
    assert len(summary["comparison"]) == 10
    assert (out / "cost.json").exists() and (out / "cost.png").stat().st_size > 10_000
    # human tables and a clear error for a bad hardware name
    assert (
        main(
            ["cost", str(path), "--samples", "1", "--output", str(out), "--no-progress"]
            + ["--overwrite"]
        )
        == 0
    )
    assert "paper" in capsys.readouterr().out
    assert main(["cost", str(path), "--hardware", "triple", "--output", str(out)]) == 2
    assert "neither a preset" in capsys.readouterr().err


def test_footprint_of_the_shd_network_fits_the_default_core():
    from lava_dmp.convert import DMPLayerParams, convert_layer
    from lava_dmp.cost.hardware import preset
    from lava_dmp.cost.run import footprint

    layers = [
        convert_layer(DMPLayerParams.random(128, 140, 10), test_steps=0)[0],
        convert_layer(DMPLayerParams.random(128, 128, 10), test_steps=0)[0],
    ]
    fp = footprint(layers, 20, preset("default"))
    assert fp["does_not_fit"] == []
    assert 32 < fp["needs"]["weight_sram_kib"] <= 64
    big = [convert_layer(DMPLayerParams.random(400, 140, 12), test_steps=0)[0]]
    fp = footprint(big, 20, preset("default"))
    assert "coef_sram_kib" in fp["does_not_fit"]
    assert any(s.startswith("memory_order") for s in fp["does_not_fit"])
    from lava_dmp.cost.run import fit_hardware

    fitted = fit_hardware(preset("default"), big, 20)
    assert footprint(big, 20, fitted)["does_not_fit"] == []
    assert fitted.coef_sram_kib == 16.0 and fitted.memory_order == 12
    assert fitted.weight_sram_kib == 64.0  # already enough: unchanged


def test_cost_keeps_the_built_in_256_neuron_baseline(tmp_path):
    from lava_dmp.cost.hardware import preset
    from lava_dmp.cost.run import cost_network

    torch.manual_seed(1)
    net = DMPNet(NetConfig(sizes=(1, 6, 10), order=3, theta=300.0, init_std=0.3))
    path = tmp_path / "net.h5"
    export_network(net, path, task_spec("smnist"))
    ref = cost_network(path, samples=1, progress=False)["designs"]["dmp-256"]
    # a 128-neuron design named like the 256-neuron baseline used to replace it
    fake = preset("default").to_dict()
    fake["name"] = "dmp-256"
    hw_file = tmp_path / "hw.json"
    hw_file.write_text(json.dumps(fake))
    with pytest.raises(ValueError, match="name 'dmp-256' is reserved"):
        cost_network(path, samples=1, hardware=str(hw_file), progress=False)
    # the preset itself (or an unchanged copy) would be compared with itself
    preset("double").save(hw_file)
    for hardware in ("double", str(hw_file)):
        with pytest.raises(ValueError, match="is the 256-neuron baseline"):
            cost_network(path, samples=1, hardware=hardware, progress=False)
    # a user design under its own name leaves the baseline's numbers alone
    mine = preset("double").to_dict()
    mine["name"] = "my-256"
    hw_file.write_text(json.dumps(mine))
    summary = cost_network(path, samples=1, hardware=str(hw_file), progress=False)
    assert summary["designs"]["dmp-256"] == ref
    assert set(summary["designs"]) == {
        "my-256",
        "elfcore-like",
        "loihi-like",
        "reckon-like",
        "dmp-256",
    }
