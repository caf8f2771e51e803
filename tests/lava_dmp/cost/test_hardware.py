import json
import math

import pytest

from lava_dmp.cost.hardware import HardwareSpec, load_hardware, preset


def test_json_round_trip(tmp_path):
    hw = preset("double")
    path = tmp_path / "hw.json"
    hw.save(path)
    back = load_hardware(path)
    assert back == hw
    assert back.energy["mult_32b"].source.startswith("Horowitz")


def test_energy_rules_reproduce_horowitz_points():
    hw = HardwareSpec(node_nm=45.0, vdd=0.9)  # no scaling at the source node
    assert hw.scale == pytest.approx(1.0)
    assert hw.add_pj(32) == pytest.approx(0.1)
    assert hw.add_pj(8) == pytest.approx(0.03, rel=0.2)  # quoted 8-bit add
    assert hw.mult_pj(8, 8) == pytest.approx(0.2, rel=0.05)  # quoted 8-bit mult
    assert hw.sram_bit_pj(32) * 64 == pytest.approx(20.0)  # 32 KB array
    assert hw.sram_bit_pj(1024) * 64 == pytest.approx(100.0, rel=0.15)  # 1 MB
    assert hw.sram_bit_pj(1) == hw.sram_bit_pj(8)  # not below 8 KB
    assert HardwareSpec().scale == pytest.approx(22 / 45 * (0.8 / 0.9) ** 2)


def _write(tmp_path, data):
    path = tmp_path / "hw.json"
    path.write_text(json.dumps(data))
    return path


def test_missing_or_negative_entries_are_refused(tmp_path):
    data = preset("default").to_dict()
    del data["clock_mhz"]
    with pytest.raises(ValueError, match=r"missing entries \['clock_mhz'\]"):
        load_hardware(_write(tmp_path, data))
    data = preset("default").to_dict()
    data["weight_sram_kib"] = -4
    with pytest.raises(ValueError, match="weight_sram_kib must be a finite number > 0"):
        load_hardware(_write(tmp_path, data))
    data = preset("default").to_dict()
    data["energy"]["add_32b"]["value"] = -0.1
    with pytest.raises(ValueError, match=r"energy\['add_32b'\] must be > 0"):
        load_hardware(_write(tmp_path, data))
    data = preset("default").to_dict()
    del data["energy"]["mult_32b"]
    with pytest.raises(ValueError, match="energy table lacks"):
        load_hardware(_write(tmp_path, data))
    data = preset("default").to_dict()
    data["energy"]["add_32b"]["source"] = " "
    with pytest.raises(ValueError, match="has no source"):
        load_hardware(_write(tmp_path, data))
    data = preset("default").to_dict()
    data["fused_neurons"] = 0
    with pytest.raises(ValueError, match="fused_neurons must be an integer >= 1"):
        load_hardware(_write(tmp_path, data))
    with pytest.raises(ValueError, match="neither a preset"):
        load_hardware(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_hardware(tmp_path / "bad.json")
    assert math.isfinite(preset("default").reg_bit_pj())
