"""A Lava run that fails always stops its runtime (no hung interpreter)."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import numpy as np
    from lava.proc.io.source import RingBuffer
    from lava_dmp.convert import DMPLayerParams, convert_layer
    from lava_dmp.fixed_point import FixedPointFormat
    from lava_dmp.lava_run import run_and_probe
    from lava_dmp.proc.dmp_layer.process import DMPLayer

    p = DMPLayerParams.random(4, 5, 3, theta=12.0, std=3.0, beta=0.95, vth=40.0)
    mode = "{mode}"
    if mode == "overflow":
        fmt = FixedPointFormat(v_bits=13, v_frac=6, acc_bits=11, overflow="raise")
        layer = DMPLayer.from_fixed(convert_layer(p, fmt)[0])
        numeric = "fixed"
    else:  # a float-built layer in a fixed-point run: refused at build
        layer = DMPLayer(weights_f=p.weights_f, weights_x=p.weights_x,
                         weights_m=p.weights_m)
        numeric = "fixed"
    src = RingBuffer(data=np.ones((5, 50), dtype=np.int32))
    src.s_out.connect(layer.s_in)
    try:
        run_and_probe(layer, 50, numeric)
    except Exception as exc:
        print("ERROR", type(exc).__name__, str(exc)[:200])
    print("EXITED")
""")


@pytest.mark.parametrize("mode", ["overflow", "refused"])
def test_failed_run_stops_runtime(mode):
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(mode=mode)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "EXITED" in proc.stdout, proc.stderr[-2000:]
    assert "ERROR" in proc.stdout
    assert proc.returncode == 0
    expected = "fixed-point overflow" if mode == "overflow" else "float parameters"
    assert expected in proc.stdout + proc.stderr
