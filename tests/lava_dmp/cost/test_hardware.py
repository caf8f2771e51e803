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


def _field(name, value):
    def mutate(data):
        data[name] = value

    return mutate


def _energy(key, part, value):
    def mutate(data):
        data["energy"][key][part] = value

    return mutate


CLOCK = r"clock_mhz must be a number in \[0\.001, 10000\] MHz, got "
RESERVED = r"name {} is reserved for a built-in design \(reserved: dmp-128, "

# (case, mutation of a valid spec, or the file's bytes, or None for a directory
# in its place; expected message)
BAD_FILES = [
    ("bool", _field("clock_mhz", True), CLOCK + r"True \(bool\)"),
    ("string", _field("clock_mhz", "100"), CLOCK + r"'100' \(str\)"),
    ("null", _field("clock_mhz", None), CLOCK + r"None \(NoneType\)"),
    ("list", _field("clock_mhz", [100]), CLOCK + r"\[100\] \(list\)"),
    ("nan", _field("clock_mhz", float("nan")), CLOCK + r"nan \(float\)"),
    (
        "int_as_float",
        _field("v_bits", 16.5),
        r"v_bits must be an integer >= 1 and <= 64, got 16\.5 \(float\)",
    ),
    ("int_as_string", _field("m_bits", "16"), r"m_bits must be an integer .* '16'"),
    ("int_as_bool", _field("neurons_per_core", True), r"neurons_per_core .*True"),
    ("bits_too_wide", _field("v_bits", 10**6), r"v_bits .* <= 64, got 1000000"),
    ("neurons_range", _field("neurons_per_core", 65537), r"neurons_per_core .*65536"),
    ("order_range", _field("memory_order", 1025), r"memory_order .* <= 1024"),
    (
        "fused_over_neurons",
        _field("fused_neurons", 129),
        r"fused_neurons must be an integer >= 1 and <= 128 \(neurons_per_core\)",
    ),
    (
        "sram_range",
        _field("weight_sram_kib", 2.0**21),
        r"weight_sram_kib must be a finite number > 0 and <= 1048576 KiB",
    ),
    ("sram_zero", _field("state_sram_kib", 0), r"state_sram_kib .* > 0"),
    ("clock_too_slow", _field("clock_mhz", 0.0005), CLOCK + "0.0005"),
    ("clock_too_fast", _field("clock_mhz", 2e4), CLOCK + "20000.0"),
    ("node_range", _field("node_nm", 1000), r"node_nm .* \[1, 500\] nm"),
    ("vdd_range", _field("vdd", 0.05), r"vdd .* \[0\.1, 5\] V"),
    ("area_range", _field("sram_um2_per_bit", 1e4), r"sram_um2_per_bit .* um2"),
    ("gate_range", _field("logic_um2_per_gate", 0.0), r"logic_um2_per_gate .* um2"),
    ("name_empty", _field("name", " "), r"name must be non-empty"),
    ("reserved_256", _field("name", "dmp-256"), RESERVED.format("'dmp-256'")),
    (
        "reserved_baseline",
        _field("name", "Loihi-like"),
        RESERVED.format("'Loihi-like'"),
    ),
    ("reserved_fit", _field("name", "dmp-128-fit"), RESERVED.format("'dmp-128-fit'")),
    (
        "energy_string",
        _energy("add_32b", "value", "0.1"),
        r"energy\['add_32b'\] must be > 0 and <= 10000 pJ .*'0\.1' \(str\)",
    ),
    ("energy_bool", _energy("mult_32b", "value", True), r"energy\['mult_32b'\].*bool"),
    ("energy_null", _energy("add_32b", "value", None), r"energy\['add_32b'\].*None"),
    ("energy_pj_range", _energy("add_32b", "value", 1e5), r"<= 10000 pJ"),
    (
        "energy_ratio_range",
        _energy("reg_per_mac16", "value", 1e3),
        r"energy\['reg_per_mac16'\] must be > 0 and <= 100 ratio",
    ),
    ("energy_unit_type", _energy("add_32b", "unit", 1), r"unit must be 'pJ'"),
    ("energy_unit_other", _energy("add_32b", "unit", "nJ"), r"unit must be 'pJ'"),
    ("energy_source_type", _energy("add_32b", "source", 3), r"source must be text"),
    ("not_object", b"[1, 2]", r"expected a JSON object, got \[1, 2\]"),
    ("directory", None, r"is a directory, not a JSON file"),
    ("not_json", b"{clock_mhz: 100}", r"is not valid JSON"),
    ("not_utf8", b'{"name": "\xff\xfe"}', r"is not UTF-8 text \(byte 10"),
    ("deep_nesting", b"[" * 100_000, r"is not valid JSON \(nested too deeply"),
    ("duplicate", b'{"name": "a", "name": "b"}', r"gives 'name' twice"),
]


@pytest.mark.parametrize(
    "bad,match", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_hardware_files_are_refused_naming_the_field(tmp_path, bad, match):
    path = tmp_path / "hw.json"
    if bad is None:
        path.mkdir()
    elif isinstance(bad, bytes):
        path.write_bytes(bad)
    else:
        data = preset("default").to_dict()
        bad(data)
        path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=match) as err:
        load_hardware(path)
    assert str(err.value).startswith(f"hardware: {path}")


def test_python_specs_are_checked_like_files():
    with pytest.raises(ValueError, match=CLOCK + r"True \(bool\)"):
        HardwareSpec(clock_mhz=True)
    with pytest.raises(ValueError, match=r"needs exactly value, unit, source"):
        HardwareSpec(energy={**preset("default").to_dict()["energy"], "add_32b": 1})
    with pytest.raises(ValueError, match=r"expected a preset name .* got None"):
        load_hardware(None)


def test_reserved_names_cover_presets_fits_and_baselines(tmp_path):
    from lava_dmp.cost.baselines import BASELINE_NAMES
    from lava_dmp.cost.hardware import reserved_names

    names = reserved_names()
    assert {"dmp-128", "dmp-256", "dmp-128-fit", "dmp-256-fit"} <= set(names)
    assert set(BASELINE_NAMES) == {"elfcore-like", "loihi-like", "reckon-like"}
    assert set(BASELINE_NAMES) <= set(names)
    # an unchanged copy of a preset keeps its name; a changed one may not
    path = tmp_path / "hw.json"
    preset("double").save(path)
    assert load_hardware(path) == preset("double")
    data = preset("double").to_dict()
    data["neurons_per_core"] = 128
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=RESERVED.format("'dmp-256'")):
        load_hardware(path)


def test_comparison_refuses_designs_sharing_a_name():
    import numpy as np

    from lava_dmp.convert import DMPLayerParams, convert_layer
    from lava_dmp.cost.report import compare_designs

    layers = [convert_layer(DMPLayerParams.random(6, 2, 3), test_steps=0)[0]]
    x = [(np.random.default_rng(0).random((20, 2)) < 0.5).astype(np.int64)]
    ref = compare_designs(layers, x, 3)
    # a 128-neuron design named like the 256 baseline would be merged into it
    fake = HardwareSpec(name="dmp-256")
    with pytest.raises(ValueError, match="designs compared need distinct names"):
        compare_designs(layers, x, 3, hw=fake)
    with pytest.raises(ValueError, match="designs compared need distinct names"):
        compare_designs(layers, x, 3, hw=HardwareSpec(name="loihi-like"))
    # another name leaves the 256-neuron baseline's numbers unchanged
    mine = compare_designs(layers, x, 3, hw=HardwareSpec(name="mine", clock_mhz=50))
    assert mine["dmp-256"].summary() == ref["dmp-256"].summary()
    assert mine["mine"].throughput == pytest.approx(ref["dmp-128"].throughput / 2)
