import json

from lava_dmp.cli import main


def test_cli_validate_brian2(tmp_path, capsys):
    argv = [
        "validate-brian2",
        "--samples",
        "1",
        "--steps",
        "300",
        "--substeps",
        "2,8",
        "--output",
        str(tmp_path),
        "--json",
    ]
    assert main(argv) == 0
    s = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    disc = [r for r in s["rows"] if r["reading"] == "discrete"]
    assert len(disc) == 2
    assert all(r["max_abs_v"] < 1e-9 and r["mismatches"] == 0 for r in disc)
    conv = s["convergence_layer0"]
    assert conv[1]["max_abs_m_vs_reference"] < conv[0]["max_abs_m_vs_reference"]
    assert (tmp_path / "brian2.png").stat().st_size > 10_000
    assert (tmp_path / "brian2.json").exists()
