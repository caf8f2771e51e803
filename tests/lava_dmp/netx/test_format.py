"""read_network validates every exported file: each corruption is one
ValueError that names the file and the field, never a raw traceback."""

import re
from dataclasses import fields
from pathlib import Path

import h5py
import numpy as np
import pytest

import lava_dmp.netx.format as netx
from lava_dmp.convert import DMPLayerParams, convert_layer, convert_readout
from lava_dmp.datasets.custom import InputSpec
from lava_dmp.netx.format import read_network, validate_network, write_network

STEPS = 784  # a PS-MNIST file: the permutation reorders the 784 steps


def _network():
    first, _ = convert_layer(
        DMPLayerParams.random(6, 1, 4, theta=40.0, seed=1),
        in_scale=1 / 255,
        num_message_bits=8,
        test_steps=0,
    )
    second, _ = convert_layer(
        DMPLayerParams.random(5, 6, 3, theta=20.0, seed=2), test_steps=0
    )
    w = np.random.default_rng(3).normal(0, 0.5, (3, 5))
    readout = convert_readout(w, 0.1)
    perm = np.random.default_rng(0).permutation(STEPS)
    return [first, second], readout, perm


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The network, and the bytes of its file (written once)."""
    layers, readout, perm = _network()
    path = tmp_path_factory.mktemp("valid") / "net.h5"
    spec = InputSpec(
        layers[0].m_in,
        STEPS,
        layers[0].in_scale,
        False,
        layers[0].num_message_bits,
        "psmnist",
    )
    write_network(path, layers, readout, spec, permutation=perm)
    return layers, readout, perm, path.read_bytes()


def _h5(edit):
    """A corruption that edits the file with h5py."""

    def corrupt(path: Path) -> None:
        with h5py.File(path, "a") as f:
            edit(f)

    return corrupt


def _replace(f, name, data):
    del f[name]
    f.create_dataset(name, data=data)


def _set(name, index, value):
    def edit(f):
        data = f[name][()]
        data[index] = value
        _replace(f, name, data)

    return _h5(edit)


def _put(name, *datasets):
    """Replace datasets: ``_put(name, value)`` or ``_put(name, value, name2,
    value2, ...)``."""
    pairs = [(name, datasets[0])] + list(zip(datasets[1::2], datasets[2::2]))

    def edit(f):
        for n, v in pairs:
            _replace(f, n, v)

    return _h5(edit)


def _delete(name):
    def edit(f):
        del f[name]

    return _h5(edit)


def _delete_attr(name, key):
    def edit(f):
        del f[name].attrs[key]

    return _h5(edit)


def _set_attr(name, key, value):
    def edit(f):
        f[name].attrs[key] = value  # a new attribute: dtype and shape of value

    return _h5(edit)


def _unstable_a_bar(f):
    a = f["layer/0/a_bar"][()]
    a_frac = int(f["layer/0/a_frac"][()])
    rho = np.max(np.abs(np.linalg.eigvals(a * 2.0**-a_frac)))
    scaled = np.round(a * 1.05 / rho).astype(np.int64)
    # still fits a_bits = 16: only the spectral radius can refuse it
    assert np.abs(scaled).max() < 2**15
    _replace(f, "layer/0/a_bar", scaled)


def _repeat_index(f):
    perm = f["meta/permutation"][()]
    perm[5] = perm[6]
    _replace(f, "meta/permutation", perm)


def _float_weights(f):
    _replace(f, "layer/0/weight", f["layer/0/weight"][()].astype(float))


def _rechain(f):
    """Layer 1 takes 7 inputs (weights and netx header agree) after 6 neurons."""
    _replace(f, "layer/1/weight", np.zeros((6, 7), dtype=np.int64))
    _replace(f, "layer/1/inFeatures", 7)


def _wide_nu(f):
    """Widths FixedPointFormat accepts, but nu * xsum reaches 2^92."""
    g = f["layer/0"]
    g.attrs["fmt_acc_bits"] = 48
    g.attrs["fmt_p_bits"] = 48
    _replace(f, "layer/0/nu", np.full(6, 2**45))


def _gap(f):
    f.move("layer/2", "layer/3")


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path):
    size = len(path.read_bytes())
    path.write_bytes(np.random.default_rng(0).bytes(size))


def _directory(path):
    path.unlink()
    path.mkdir()


HDF5 = r" is not an HDF5 file \(truncated or corrupt\)"

CASES = {
    "odd mantissa": (
        _set("layer/1/weight", (1, 4), 3),
        r": layer 1 Dense weights have odd mantissas \(e\.g\. 3 at \[1, 4\]\) that "
        r"Lava's bit-accurate Dense would change; expected multiples of 2 in "
        r"\[-256, 254\] \(weight_bits 8\)",
    ),
    "mantissa 300": (
        _set("layer/0/weight", (2, 0), 300),
        r": layer 0 Dense weights have mantissas outside \[-256, 254\] "
        r"\(e\.g\. 300 at \[2, 0\]\)",
    ),
    "readout weight beyond int32": (
        _set("layer/2/weight", (0, 1), 2**33 + 5),
        r": readout Dense weights have mantissas outside \[-256, 254\] "
        r"\(e\.g\. 8589934597 at \[0, 1\]\)",
    ),
    "unstable a_bar": (
        _h5(_unstable_a_bar),
        r": layer 0 a_bar has spectral radius 1\.0\d+ >= 1",
    ),
    "a_frac -70": (
        _put("layer/0/a_frac", -70),
        r": layer 0 a_frac is -70; expected an integer in \[0, 40\]",
    ),
    "m_frac 60": (
        _put("layer/1/m_frac", 60),
        r": layer 1 m_frac is 60; expected an integer in \[-16, 40\]",
    ),
    "permutation wrong length": (
        _put("meta/permutation", np.arange(STEPS - 1)),
        r": meta permutation has 783 entries; expected 784",
    ),
    "permutation repeated index": (
        _h5(_repeat_index),
        r": meta permutation repeats index \d+ \(2 times\)",
    ),
    "permutation for a task without one": (
        _set_attr("meta", "task", "shd"),
        r": meta permutation is present but task 'shd' does not permute",
    ),
    "missing dataset": (
        _delete("layer/1/a_bar"),
        r": layer 1 lacks dataset 'a_bar'$",
    ),
    "missing attribute type": (
        _delete_attr("layer/0", "type"),
        r": layer 0 lacks attribute 'type'$",
    ),
    "missing meta steps": (
        _delete_attr("meta", "steps"),
        r": meta lacks attribute 'steps'$",
    ),
    "float weights": (
        _h5(_float_weights),
        r": layer 0 dataset 'weight' has dtype float64; expected integers",
    ),
    "scalar stored as array": (
        _put("layer/0/vth", [4096]),
        r": layer 0 dataset 'vth' has shape \(1,\); expected a scalar",
    ),
    "bias of the wrong length": (
        _put("layer/1/bias", np.zeros(6, dtype=np.int64)),
        r": layer 1: bias: expected shape \(5,\), got \(6,\)",
    ),
    "uint64 beyond int64": (
        _put("layer/0/dv", np.uint64(2**63 + 1)),
        r": layer 0 dataset 'dv' holds 9223372036854775809, beyond int64",
    ),
    "netx header disagrees": (
        _put("layer/0/outFeatures", 7),
        r": layer 0 dataset 'outFeatures' is 7; .* give 6",
    ),
    "layers do not chain": (
        _h5(_rechain),
        r": layer 1 takes 7 inputs but layer 0 has 6 neurons",
    ),
    "readout columns": (
        _put("layer/2/weight", np.zeros((3, 6), np.int64)),
        r": readout weight has shape \(3, 6\); expected \(C >= 1, 5\)",
    ),
    "Dense accumulation beyond int32": (
        _put("layer/0/weight_exp", 30),
        r": layer 0 Dense can accumulate \d+ .* beyond the int32",
    ),
    "shift beyond int64": (
        _put("layer/1/b_frac", 40, "layer/1/m_frac", -16),
        r": layer 1 shift of B xsum \(b_frac \+ v_frac - m_frac = 68\) is outside "
        r"\[-63, 63\]",
    ),
    "product beyond int64": (
        _h5(_wide_nu),
        r": layer 0 nu xsum can reach about 2\^92 .* beyond int64",
    ),
    "format width out of range": (
        _set_attr("layer/0", "fmt_weight_bits", 9),
        r": layer 0 format: weight_bits: must be <= 8, got 9",
    ),
    "readout acc_bits": (
        _put("layer/2/acc_bits", 70),
        r": readout acc_bits is 70; expected an integer in \[2, 62\]",
    ),
    "readout bias beyond acc_bits": (
        _set("layer/2/bias", 1, 2**40),
        r": readout bias spans \[\d+, 1099511627776\]; expected 32-bit signed",
    ),
    "negative steps": (
        _set_attr("meta", "steps", -1),
        r": meta steps is -1; expected an integer >= 0",
    ),
    "input_message_bits out of range": (
        _set_attr("meta", "input_message_bits", 30),
        r": meta input_message_bits is 30; expected an integer in \[0, 24\]",
    ),
    "input_scale disagrees with layer 0": (
        _set_attr("meta", "input_scale", 1.0),
        r": meta input_scale is 1\.0 but layer 0 has in_scale 0\.0039",
    ),
    "in_scale not finite": (
        _put("layer/1/in_scale", np.nan),
        r": layer 1 in_scale is nan; expected finite > 0",
    ),
    "unknown task": (
        _set_attr("meta", "task", "cifar"),
        r": meta task is 'cifar'; expected one of",
    ),
    "version as text": (
        _set_attr("meta", "version", "1"),
        r": meta version is '1'; expected an integer",
    ),
    "other format": (
        _set_attr("meta", "format", "netx"),
        r": not a lava-dmp-netx file \(meta format is 'netx'\)",
    ),
    "layer groups with a gap": (
        _h5(_gap),
        r": /layer holds \['0', '1', '3'\]; expected groups 0 \.\. 2",
    ),
    "readout before the last layer": (
        _set_attr("layer/1", "type", "readout"),
        r": layer 1 has type 'readout'; expected one or more 'dmp' layers",
    ),
    "truncated file": (_truncate, HDF5),
    "random bytes": (_random_bytes, HDF5),
    "empty file": (lambda path: path.write_bytes(b""), HDF5),
    "directory": (_directory, r" is a directory, not a network file$"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_corrupt_file_is_refused_naming_file_and_field(written, tmp_path, case):
    corrupt, pattern = CASES[case]
    path = tmp_path / "net.h5"
    path.write_bytes(written[3])
    corrupt(path)
    with pytest.raises(ValueError, match="^" + re.escape(f"network: {path}") + pattern):
        read_network(path)


def test_unmodified_file_reads_as_written(written, tmp_path):
    layers, (w, w_exp, b), perm, data = written
    path = tmp_path / "net.h5"
    path.write_bytes(data)
    got, readout, meta = read_network(path)
    assert len(got) == len(layers)
    for mine, theirs in zip(layers, got):
        for fld in fields(mine):
            a, b_ = getattr(mine, fld.name), getattr(theirs, fld.name)
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, b_), fld.name
            else:
                assert a == b_, fld.name
    assert np.array_equal(readout[0], w) and readout[1] == w_exp
    assert np.array_equal(readout[2], b) and readout[3] == 32
    assert np.array_equal(meta["permutation"], perm)
    assert meta["steps"] == STEPS and meta["task"] == "psmnist"
    assert meta["input_message_bits"] == 8 and meta["input_scale"] == 1 / 255
    assert (meta["format"], meta["version"]) == (netx.FORMAT, netx.VERSION)


def test_missing_path_is_file_not_found(tmp_path):
    path = tmp_path / "absent.h5"
    with pytest.raises(FileNotFoundError, match=re.escape(f"network: {path}")):
        read_network(path)


def test_truncated_anywhere_gives_value_error(written, tmp_path):
    """Cut at many lengths: HDF5, h5py and numpy errors all become one kind."""
    data = written[3]
    path = tmp_path / "net.h5"
    for size in np.linspace(0, len(data) - 1, 25).astype(int):
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match="^" + re.escape(f"network: {path}")):
            read_network(path)


def test_validate_network_in_memory(written):
    layers, readout, perm, _ = written
    meta = {
        "format": netx.FORMAT,
        "version": netx.VERSION,
        "delay_convention": netx.DELAY_CONVENTION,
        "input_scale": layers[0].in_scale,
        "input_message_bits": layers[0].num_message_bits,
        "input_channels": layers[0].m_in,
        "input_signed": False,
        "steps": STEPS,
        "task": "psmnist",
        "permutation": perm,
    }
    full = (*readout, 32)
    validate_network(layers, full, meta)  # the valid network passes
    with pytest.raises(ValueError, match=r"^network: x\.h5: layer 1 takes 6 inputs"):
        validate_network([layers[1], layers[1]], full, meta, "x.h5")
    with pytest.raises(ValueError, match=r"^network: readout: expected \(weight"):
        validate_network(layers, readout, meta)


def test_known_tasks_are_the_training_tasks():
    """One list of task names: the file format, the trainer and the CLI."""
    from lava_dmp.cli import build_parser
    from lava_dmp.train.data import TASKS

    assert netx._TASKS == ("", *TASKS)
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    (task,) = [a for a in train._actions if a.dest == "task"]
    assert tuple(task.choices) == TASKS
