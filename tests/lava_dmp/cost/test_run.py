import json

import torch

from lava_dmp.cli import main
from lava_dmp.train.export import export_network
from lava_dmp.train.model import DMPNet, NetConfig


def test_cli_cost_on_mnist_digits(tmp_path, capsys):
    torch.manual_seed(1)
    net = DMPNet(NetConfig(sizes=(1, 16, 12, 10), order=4, theta=300.0, init_std=0.3))
    path = tmp_path / "net.h5"
    export_network(net, path, 784, task="smnist")
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
