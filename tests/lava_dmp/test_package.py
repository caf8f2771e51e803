"""The package's public API and its manners: lazy exports, no torch where
Lava looks for models, no global side effects."""

import subprocess
import sys

import pytest
import torch


def _imports(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(eval(out.strip().splitlines()[-1]))


def test_proc_and_netx_import_without_torch():
    """Lava imports lava_dmp during every model discovery: the package root,
    lava_dmp.proc and lava_dmp.netx (and their process classes) stay light."""
    loaded = _imports(
        "import lava_dmp, lava_dmp.proc, lava_dmp.netx\n"
        "from lava_dmp.proc import DMPLayer, Network, LMU"
    )
    assert "lava_dmp.proc.network.process" in loaded
    assert "torch" not in loaded and "lava_dmp.train" not in loaded


@pytest.mark.parametrize(
    "package, names",
    [
        ("lava_dmp", ["DMPLayer", "Network", "evaluate", "TrainConfig", "InputSpec"]),
        ("lava_dmp.proc", ["LMU", "DMP", "DMPLayer", "Readout", "Network"]),
        ("lava_dmp.netx", ["Network", "read_network", "run_lava_many"]),
        ("lava_dmp.train", ["DMPDense", "ReadoutBlock", "train", "NetConfig"]),
    ],
)
def test_entry_points_are_exported(package, names):
    import importlib

    mod = importlib.import_module(package)
    for name in names:
        assert name in mod.__all__ and getattr(mod, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute"):
        mod.not_a_name  # noqa: B018


def test_public_class_names_are_unique():
    """One public name, one class: the Lava readout and the training readout
    no longer share 'Readout'."""
    import lava_dmp

    seen = {}
    for package in ("lava_dmp", "lava_dmp.proc", "lava_dmp.netx", "lava_dmp.train"):
        mod = __import__(package, fromlist=["_"])
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type):
                assert seen.setdefault(name, obj) is obj, name
    assert (
        lava_dmp.Readout
        is not __import__(
            "lava_dmp.train.blocks", fromlist=["ReadoutBlock"]
        ).ReadoutBlock
    )


def test_training_leaves_the_thread_count_alone(tmp_path):
    from lava_dmp.datasets.custom import from_arrays
    from lava_dmp.train.model import NetConfig
    from lava_dmp.train.trainer import TrainConfig, train

    x = torch.rand(12, 2, 10).numpy()
    data = from_arrays(x, [0, 1] * 6)
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    cfg = TrainConfig(task="custom", epochs=1, batch_size=6)
    net = NetConfig(sizes=(2, 6, 2), order=3, theta=8.0)
    train(
        net,
        cfg,
        tmp_path / "a",
        data=data,
        test_data=data,
        progress=False,
        log=lambda m: None,
    )
    assert torch.get_num_threads() == before
    try:  # and sets it when asked
        cfg = TrainConfig(task="custom", epochs=1, batch_size=6, threads=wanted)
        train(
            net,
            cfg,
            tmp_path / "b",
            data=data,
            test_data=data,
            progress=False,
            log=lambda m: None,
        )
        assert torch.get_num_threads() == wanted
    finally:
        torch.set_num_threads(before)


def test_export_leaves_the_network_in_its_mode(tmp_path):
    from lava_dmp.datasets.custom import InputSpec
    from lava_dmp.fixed_point import FixedPointFormat
    from lava_dmp.train.export import export_network, quantize_network
    from lava_dmp.train.model import DMPNet, NetConfig

    net = DMPNet(NetConfig(sizes=(2, 6, 3), order=3, theta=8.0))
    spec = InputSpec(2, 10)
    export_network(net, tmp_path / "a.h5", spec)
    assert not net.quantised
    fmt = FixedPointFormat(v_frac=10)
    quantize_network(net, fmt, InputSpec(2, 10, 0.5, False, 4))
    before = [dict(b.__dict__) for b in net.blocks]
    export_network(net, tmp_path / "b.h5", spec)
    assert net.quantised and net.blocks[0].fixed_format is fmt
    for block, saved in zip(net.blocks, before):
        for key in ("in_scale", "num_message_bits", "signed_input", "fixed_format"):
            assert block.__dict__.get(key) == saved.get(key), key


def test_importing_the_training_code_prints_nothing():
    """lava-dl's import notices (an optional dataset toolbox, no CUDA runtime)
    are dropped at their import; nothing else is hidden."""
    done = subprocess.run(
        [sys.executable, "-c", "import lava_dmp.train, lava_dmp.train.trainer"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == ""
    assert "Prophesee" not in done.stderr and "No CUDA runtime" not in done.stderr
    from lava_dmp import _quiet_imports

    lines = []
    real = sys.stderr
    try:
        import io

        sys.stderr = io.StringIO()
        _quiet_imports._pass_on(
            "No CUDA runtime is found, using CUDA_HOME='/x'\nreal news"
        )
        lines = sys.stderr.getvalue().splitlines()
    finally:
        sys.stderr = real
    assert lines == ["real news"]
