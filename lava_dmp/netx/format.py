"""The exported-network file: write, read, version check, validation.

Layout (``lava-dmp-netx``, format version 2)::

    /meta       attrs: format, version, delay_convention, task, steps (the
                longest sequence, T), and the input spec: input_channels,
                input_scale, input_signed, input_message_bits; dataset
                permutation (optional)
    /layer/<i>  attrs: type ('dmp' | 'readout'), memory (dmp: False for a
                plain LIF layer, whose memory path is all zeros); datasets below
      dmp:      shape, inFeatures, outFeatures, weight (N+1, M) int,
                weight_exp, bias, bias_x, vth, dv, a_bar, b_bar, p, nu,
                a_frac, b_frac, p_frac, nu_frac, m_frac, theta, order,
                dilation, num_message_bits, in_scale; attrs reset and
                fmt_<FixedPointFormat field> ('none' for None)
      readout:  weight (C, N) int, weight_exp, bias, acc_bits

Delay convention: every DMP layer adds one step (its Dense), so layer ``l``
(1-based) at step ``k`` sees the input of step ``k - l``; training
(``DMPDense(delay_shift=True)``) uses the same convention. The readout's Dense
adds one more step: it accumulates steps ``1 .. T`` (``t_start = 1``) of a run
of ``T + 1`` steps, i.e. the last layer's spikes of steps ``0 .. T - 1``, the
window the training readout averages.

Version 1 files (no input_channels, input_signed, memory) are read with
``input_signed = False`` and every layer's memory on; a version 1 file with
an empty task takes custom data (``--data``), never S-MNIST silently. Unknown
formats and newer versions are refused, naming both versions.

:func:`read_network` checks every file before it returns it
(:func:`validate_network`): a file that lacks or mistypes a field, or for
which the golden model and Lava's fixed-point models could disagree, is a
``ValueError`` naming the file and the field.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import h5py
import numpy as np

from lava_dmp.convert import FixedDMPParams
from lava_dmp.datasets.custom import TASK_NAMES, InputSpec
from lava_dmp.fixed_point import (
    FixedPointFormat,
    dense_weights_bit_acc,
    signed_range,
)
from lava_dmp.outputs import atomic_write

__all__ = [
    "FORMAT",
    "VERSION",
    "write_network",
    "read_network",
    "validate_network",
    "write_dmp_layer",
    "read_dmp_layer",
]

FORMAT = "lava-dmp-netx"
VERSION = 2
#: versions this module reads
READABLE = (1, 2)
DELAY_CONVENTION = "dense-one-step-per-layer; readout t_start=1 over T+1 steps"

_INT_FIELDS = (
    "weight_exp",
    "bias_x",
    "vth",
    "dv",
    "a_frac",
    "b_frac",
    "p_frac",
    "nu_frac",
    "m_frac",
    "dilation",
    "num_message_bits",
)


def write_network(
    path: str | os.PathLike,
    layers: list[FixedDMPParams],
    readout: tuple[np.ndarray, int, np.ndarray],
    spec: InputSpec | None = None,
    permutation: np.ndarray | None = None,
    acc_bits: int = 32,
    memory: list[bool] | None = None,
) -> None:
    """Write an exported network atomically (a temporary file, then rename).

    ``spec`` is the input encoding (default: layer 0's scale and message
    bits, unsigned, any length, task ``custom``); ``memory`` says per layer
    whether its memory path exists (default: all).
    """
    first = layers[0]
    if spec is None:
        spec = InputSpec(
            channels=first.m_in,
            scale=first.in_scale,
            message_bits=first.num_message_bits,
        )
    if (spec.channels, spec.scale, spec.message_bits) != (
        first.m_in,
        first.in_scale,
        first.num_message_bits,
    ):
        raise ValueError(
            f"spec: {spec.describe()} does not match layer 0 ({first.m_in} inputs, "
            f"in_scale {first.in_scale}, {first.num_message_bits} message bits)"
        )
    memory = [True] * len(layers) if memory is None else [bool(m) for m in memory]
    path = Path(path)

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            meta = f.create_group("meta")
            meta.attrs.update(
                format=FORMAT,
                version=VERSION,
                delay_convention=DELAY_CONVENTION,
                input_scale=float(spec.scale),
                input_message_bits=int(spec.message_bits),
                input_channels=int(spec.channels),
                input_signed=bool(spec.signed),
                steps=int(spec.steps),
                task=spec.task,
            )
            if permutation is not None:
                meta.create_dataset("permutation", data=np.asarray(permutation))
            for i, p in enumerate(layers):
                write_dmp_layer(f.create_group(f"layer/{i}"), p, memory[i])
            w, w_exp, b = readout
            g = f.create_group(f"layer/{len(layers)}")
            g.attrs["type"] = "readout"
            g.create_dataset("weight", data=np.asarray(w), compression="gzip")
            g.create_dataset("weight_exp", data=int(w_exp))
            g.create_dataset("bias", data=np.asarray(b))
            g.create_dataset("acc_bits", data=int(acc_bits))

    atomic_write(path, write, what="network")


def write_dmp_layer(group: h5py.Group, p: FixedDMPParams, memory: bool = True) -> None:
    """Write one DMP layer entry of this format into an open HDF5 group
    (what :func:`write_network` writes per layer, and
    :meth:`lava_dmp.train.blocks.DMPDense.export_hdf5`)."""
    group.attrs["type"] = "dmp"
    group.attrs["memory"] = bool(memory)
    group.create_dataset("shape", data=np.array([p.n]))
    group.create_dataset("inFeatures", data=p.m_in)
    group.create_dataset("outFeatures", data=p.n)
    # integers of a few bits held in int64: compressed, they shrink tenfold
    group.create_dataset("weight", data=p.weights, compression="gzip")
    for name in ("bias", "a_bar", "b_bar", "p", "nu"):
        group.create_dataset(name, data=getattr(p, name), compression="gzip")
    for name in _INT_FIELDS:
        group.create_dataset(name, data=int(getattr(p, name)))
    group.create_dataset("theta", data=float(p.theta))
    group.create_dataset("order", data=p.order)
    group.create_dataset("in_scale", data=float(p.in_scale))
    group.attrs["reset"] = p.reset
    for fld in fields(FixedPointFormat):
        value = getattr(p.fmt, fld.name)
        group.attrs[f"fmt_{fld.name}"] = "none" if value is None else value


def read_dmp_layer(group: h5py.Group) -> FixedDMPParams:
    """Read one DMP layer entry (checked field by field; ``ValueError``)."""
    return _read_dmp(group, "layer")


# --------------------------------------------------------------------------
# Reading: every dataset and attribute is checked for presence, dtype and
# shape while parsing; the values are then checked against the fixed-point
# contract by validate_network.

_INT64_MAX = (1 << 63) - 1

#: Valid ``meta`` tasks: unset (S-MNIST) and ``lava_dmp.train.data.TASKS``
#: (not imported: that module loads torch).
_TASKS = ("", *TASK_NAMES)

#: Tasks whose test sequences ``lava_dmp.netx.deploy.load_test_inputs`` permutes,
#: with their length: the permutation reorders the 784 steps of a digit.
_PERMUTED_STEPS = {"": 784, "smnist": 784, "psmnist": 784}

#: Ranges of the layer's fractional bits: those of FixedPointFormat for
#: ``a_frac``, ``b_frac``, ``m_frac``; those ``max_frac_bits`` (limit 30) can
#: return for ``p_frac`` and ``nu_frac``.
_FRAC_RANGES = {
    "a_frac": (0, 40),
    "b_frac": (0, 40),
    "m_frac": (-16, 40),
    "p_frac": (-64, 30),
    "nu_frac": (-64, 30),
}

#: Lava's Dense weight exponent range accepted by FixedDMPParams.
_WEIGHT_EXP_RANGE = (-32, 32)

#: Accumulator widths the Readout process accepts.
_READOUT_ACC_BITS = (2, 62)

_META_ATTRS = (
    "format",
    "version",
    "delay_convention",
    "input_scale",
    "input_message_bits",
    "steps",
    "task",
)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def _attr(attrs: h5py.AttributeManager, key: str, where: str) -> object:
    if key not in attrs:
        raise ValueError(f"{where} lacks attribute {key!r}")
    value = attrs[key]
    return value.decode() if isinstance(value, bytes) else value


def _attr_str(attrs: h5py.AttributeManager, key: str, where: str) -> str:
    value = _attr(attrs, key, where)
    if not isinstance(value, str):
        raise ValueError(f"{where} attribute {key!r} is {value!r}; expected a string")
    return str(value)


def _dataset(g: h5py.Group, name: str, where: str) -> np.ndarray:
    if name not in g:
        raise ValueError(f"{where} lacks dataset {name!r}")
    ds = g[name]
    if not isinstance(ds, h5py.Dataset):
        raise ValueError(f"{where}: {name!r} is a {type(ds).__name__}, not a dataset")
    return np.asarray(ds[()])


def _ints(g: h5py.Group, name: str, where: str, ndim: int) -> np.ndarray:
    """An integer dataset of ``ndim`` dimensions as int64 (never wrapped)."""
    arr = _dataset(g, name, where)
    if arr.dtype.kind not in "iu":
        raise ValueError(
            f"{where} dataset {name!r} has dtype {arr.dtype}; expected integers"
        )
    if arr.ndim != ndim:
        shape = "a scalar" if ndim == 0 else f"a {ndim}-D array"
        raise ValueError(
            f"{where} dataset {name!r} has shape {arr.shape}; expected {shape}"
        )
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > _INT64_MAX:
        raise ValueError(
            f"{where} dataset {name!r} holds {int(arr.max())}, beyond int64"
        )
    return arr.astype(np.int64)


def _int(g: h5py.Group, name: str, where: str) -> int:
    return int(_ints(g, name, where, 0))


def _real(g: h5py.Group, name: str, where: str) -> float:
    arr = _dataset(g, name, where)
    if arr.dtype.kind not in "iuf" or arr.ndim != 0:
        raise ValueError(
            f"{where} dataset {name!r} is {arr.dtype} of shape {arr.shape}; "
            f"expected a real scalar"
        )
    return float(arr)


def _read_fmt(attrs: h5py.AttributeManager, where: str) -> FixedPointFormat:
    kwargs = {}
    for fld in fields(FixedPointFormat):
        key = f"fmt_{fld.name}"
        value = _attr(attrs, key, where)
        if fld.name == "overflow":
            ok = isinstance(value, str)
        elif isinstance(value, str):
            ok = value == "none"  # None: FixedPointFormat refuses it where invalid
        else:
            ok = _is_int(value)
        if not ok:
            raise ValueError(
                f"{where} attribute {key!r} is {value!r}; expected "
                f"{'a string' if fld.name == 'overflow' else 'an integer'}"
            )
        if fld.name != "overflow":
            value = None if isinstance(value, str) else int(value)
        kwargs[fld.name] = value
    try:
        return FixedPointFormat(**kwargs)
    except ValueError as err:
        raise ValueError(f"{where} format: {err}") from None


def _read_dmp(g: h5py.Group, where: str) -> FixedDMPParams:
    fmt = _read_fmt(g.attrs, where)
    weights = _ints(g, "weight", where, 2)
    # before FixedDMPParams: its width check would hide what Lava does
    _check_dense(f"{where} Dense weights", weights, fmt.weight_bits)
    kw = {name: _int(g, name, where) for name in _INT_FIELDS}
    for name, ndim in (("bias", 1), ("a_bar", 2), ("b_bar", 1), ("p", 2), ("nu", 1)):
        kw[name] = _ints(g, name, where, ndim)
    header = {
        "shape": _ints(g, "shape", where, 1).tolist(),
        "inFeatures": _int(g, "inFeatures", where),
        "outFeatures": _int(g, "outFeatures", where),
        "order": _int(g, "order", where),
    }
    theta = _real(g, "theta", where)
    in_scale = _real(g, "in_scale", where)
    reset = _attr_str(g.attrs, "reset", where)
    try:
        p = FixedDMPParams(
            weights=weights,
            theta=theta,
            reset=reset,
            in_scale=in_scale,
            fmt=fmt,
            **kw,
        )
    except ValueError as err:  # its messages start with the field's name
        raise ValueError(f"{where}: {err}") from None
    # the netx header describes the same layer (lava-dl's netx reads it)
    expected = {"shape": [p.n], "inFeatures": p.m_in, "outFeatures": p.n}
    expected["order"] = p.order
    for name, value in header.items():
        if value != expected[name]:
            raise ValueError(
                f"{where} dataset {name!r} is {value}; the layer's weight "
                f"{p.weights.shape} and a_bar {p.a_bar.shape} give {expected[name]}"
            )
    return p


def _read_readout(g: h5py.Group, where: str) -> tuple:
    return (
        _ints(g, "weight", where, 2),
        _int(g, "weight_exp", where),
        _ints(g, "bias", where, 1),
        _int(g, "acc_bits", where),
    )


def _read_file(f: h5py.File) -> tuple[list[FixedDMPParams], tuple, dict]:
    """Parse an open file; raises ``ValueError`` naming what is missing/wrong."""
    meta_group = f.get("meta")
    if not isinstance(meta_group, h5py.Group) or "format" not in meta_group.attrs:
        raise ValueError(f"not a {FORMAT} file (no /meta group with a format)")
    meta = {
        k: (v.decode() if isinstance(v, bytes) else v)
        for k, v in meta_group.attrs.items()
    }
    # format and version first: another layout must not be parsed as this one
    _check_format(meta)
    if "permutation" in meta_group:
        meta["permutation"] = _ints(meta_group, "permutation", "meta", 1)
    group = f.get("layer")
    if not isinstance(group, h5py.Group):
        raise ValueError("lacks the /layer group")
    count = len(group)
    if set(group.keys()) != {str(i) for i in range(count)}:
        raise ValueError(
            f"/layer holds {sorted(group.keys())}; expected groups 0 .. {count - 1} "
            f"(DMP layers, then the readout)"
        )
    layers, readout, memory = [], None, []
    version = int(meta["version"])
    for i in range(count):
        where = f"layer {i}"
        g = group[str(i)]
        if not isinstance(g, h5py.Group):
            raise ValueError(f"{where} is a {type(g).__name__}, not a group")
        kind = _attr_str(g.attrs, "type", where)
        if kind == "dmp" and i < count - 1:
            layers.append(_read_dmp(g, where))
            if version >= 2:
                flag = _attr(g.attrs, "memory", where)
                if not isinstance(flag, (bool, np.bool_)):
                    raise ValueError(f"{where} attribute 'memory' is {flag!r}")
                memory.append(bool(flag))
            else:
                memory.append(True)
        elif kind == "readout" and i == count - 1 and layers:
            readout = _read_readout(g, where)
        elif kind in ("dmp", "readout"):
            raise ValueError(
                f"{where} has type {kind!r}; expected one or more 'dmp' layers "
                f"followed by one 'readout' (the last layer)"
            )
        else:
            raise ValueError(
                f"{where} has unknown type {kind!r}; expected 'dmp' or 'readout'"
            )
    if readout is None:
        raise ValueError("needs DMP layers and a readout")
    meta["memory"] = memory
    return layers, readout, meta


def _input_spec(meta: dict, first: FixedDMPParams) -> InputSpec:
    """The file's :class:`InputSpec` (a version 1 file without a task never
    said what its input is: custom data encoded as layer 0 takes it)."""
    task = meta["task"]
    if int(meta["version"]) < 2:
        if task:
            from lava_dmp.datasets.custom import task_spec

            return task_spec(task)
        # said nothing of its input: custom data, encoded as layer 0 takes it
        return InputSpec(
            first.m_in,
            int(meta["steps"]),
            first.in_scale,
            False,
            first.num_message_bits,
            "custom",
        )
    for key in ("input_channels", "input_signed"):
        if key not in meta:
            raise ValueError(f"meta lacks attribute {key!r}")
    channels, signed = meta["input_channels"], meta["input_signed"]
    if not _is_int(channels) or channels != first.m_in:
        raise ValueError(
            f"meta input_channels is {channels!r}; layer 0 takes {first.m_in}"
        )
    if not isinstance(signed, (bool, np.bool_)):
        raise ValueError(f"meta input_signed is {signed!r}; expected True or False")
    try:
        return InputSpec(
            channels=int(channels),
            steps=int(meta["steps"]),
            scale=float(meta["input_scale"]),
            signed=bool(signed),
            message_bits=int(meta["input_message_bits"]),
            task=task or "custom",
        )
    except ValueError as err:
        raise ValueError(f"meta input spec: {err}") from None


def read_network(path: str | os.PathLike) -> tuple[list[FixedDMPParams], tuple, dict]:
    """Read and validate an exported network.

    Parameters
    ----------
    path : str or os.PathLike
        A ``lava-dmp-netx`` HDF5 file of format version 1 or 2.

    Returns
    -------
    layers : list of FixedDMPParams
    readout : tuple
        ``(weight (C, N), weight_exp, bias (C,), acc_bits)``.
    meta : dict
        The ``/meta`` attributes, ``permutation`` if the file has one,
        ``input`` (its :class:`~lava_dmp.datasets.custom.InputSpec`) and
        ``memory`` (per layer).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        For anything else: a directory, a file that is not HDF5, lacks or
        mistypes a dataset or attribute, or breaks the fixed-point contract
        (:func:`validate_network`). The message starts with
        ``network: <path>``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"network: {path} does not exist")
    if path.is_dir():
        raise ValueError(f"network: {path} is a directory, not a network file")
    if not path.is_file():
        raise ValueError(f"network: {path} is not a regular file")
    try:
        with open(path, "rb"):  # h5py reports a permission error as corruption
            pass
    except OSError as err:
        raise ValueError(f"network: {path} cannot be read ({err.strerror})") from None
    try:
        f = h5py.File(path, "r")
    except Exception as err:  # h5py raises OSError, but any failure means the same
        raise ValueError(
            f"network: {path} is not an HDF5 file (truncated or corrupt): {err}"
        ) from None
    try:
        with f:
            layers, readout, meta = _read_file(f)
    except ValueError as err:
        raise ValueError(f"network: {path}: {err}") from None
    except Exception as err:  # h5py or numpy on content no check foresaw
        raise ValueError(
            f"network: {path}: corrupt HDF5 content ({type(err).__name__}: "
            f"{err}); expected a {FORMAT} version {VERSION} file"
        ) from err
    try:
        validate_network(layers, readout, meta, path)
    except ValueError:
        raise
    except Exception as err:  # a value no check foresaw is still the file's fault
        raise ValueError(
            f"network: {path}: fails validation ({type(err).__name__}: {err})"
        ) from err
    return layers, readout, meta


# --------------------------------------------------------------------------
# Validation against the fixed-point contract (lava_dmp.fixed_point).


def _check_range(where: str, name: str, value: object, lo: int, hi: int) -> int:
    if not _is_int(value) or not lo <= int(value) <= hi:
        raise ValueError(
            f"{where} {name} is {value!r}; expected an integer in [{lo}, {hi}]"
        )
    return int(value)


def _check_dense(what: str, weights: np.ndarray, weight_bits: int) -> None:
    """Mantissas must be those Lava's bit-accurate Dense keeps unchanged.

    Lava clips to ``[-256, 255]`` and floors away the low
    ``8 - weight_bits + 1`` bits; the golden model uses the mantissas as they
    are, so any mantissa Lava would change makes the two disagree.
    """
    w = np.asarray(weights)
    diff = np.argwhere(dense_weights_bit_acc(w, weight_bits) != w)
    if diff.size == 0:
        return
    step = 1 << (8 - weight_bits + 1)
    hi = 256 - step
    at = tuple(int(i) for i in diff[0])
    value = int(w[at])
    if not -256 <= value <= hi:
        kind = f"mantissas outside [-256, {hi}]"
    elif step == 2:
        kind = "odd mantissas"
    else:
        kind = f"mantissas that are not multiples of {step}"
    raise ValueError(
        f"{what} have {kind} (e.g. {value} at {list(at)}) that Lava's "
        f"bit-accurate Dense would change; expected multiples of {step} in "
        f"[-256, {hi}] (weight_bits {weight_bits})"
    )


def _check_accumulation(
    what: str, weights: np.ndarray, weight_exp: int, s_max: int
) -> None:
    """Lava's Dense sends int32 (it wraps), the golden model sums in int64.

    ``weights`` are already within ``[-256, 255]``, so the row sums are exact.
    """
    rows = np.abs(np.asarray(weights, dtype=np.int64)).sum(axis=1)
    worst = int(rows.max()) * s_max << max(weight_exp, 0) if rows.size else 0
    if worst > np.iinfo(np.int32).max:
        raise ValueError(
            f"{what} can accumulate {worst} (row sum of |weights| x largest input "
            f"{s_max} x 2^{max(weight_exp, 0)}), beyond the int32 Lava's Dense "
            f"sends (expected <= 2^31 - 1)"
        )


def _peak(arr: np.ndarray) -> int:
    return max(abs(int(arr.min())), abs(int(arr.max()))) if arr.size else 0


def _shifted(bound: int, shift: int) -> int:
    """Largest ``|rshift(x, shift)|`` over ``|x| <= bound``."""
    if shift <= 0:
        return bound << -shift
    return (bound + (1 << (shift - 1))) >> shift


def _check_int64(where: str, terms: list[tuple[str, str, int, int]]) -> None:
    """``terms``: (product, shift formula, |product| bound, shift) of one sum of
    two shifted products; neither a product, a shift nor the sum may leave
    int64 (numpy wraps silently), and ``rshift`` takes shifts in [-63, 63]."""
    total = 0
    for product, formula, bound, shift in terms:
        bound, shift = int(bound), int(shift)  # Python ints: exact, never wrap
        if not -63 <= shift <= 63:
            raise ValueError(
                f"{where} shift of {product} ({formula} = {shift}) is outside [-63, 63]"
            )
        peak = bound << -shift if shift <= 0 else bound + (1 << (shift - 1))
        if peak > _INT64_MAX:
            raise ValueError(
                f"{where} {product} can reach about 2^{peak.bit_length() - 1} with "
                f"shift {formula} = {shift}, beyond int64; use narrower widths"
            )
        total += _shifted(bound, shift)
    if total > _INT64_MAX:
        raise ValueError(
            f"{where} sum {' + '.join(t[0] for t in terms)} can reach about "
            f"2^{total.bit_length() - 1}, beyond int64"
        )


def _check_layer(i: int, p: FixedDMPParams, n_prev: int | None) -> None:
    where = f"layer {i}"
    if not isinstance(p, FixedDMPParams):
        raise ValueError(f"{where} is a {type(p).__name__}, expected FixedDMPParams")
    fmt = p.fmt
    if p.m_in < 1:
        raise ValueError(f"{where} has no inputs (weight shape {p.weights.shape})")
    if n_prev is not None and p.m_in != n_prev:
        raise ValueError(
            f"{where} takes {p.m_in} inputs but layer {i - 1} has {n_prev} neurons"
        )
    _check_dense(f"{where} Dense weights", p.weights, fmt.weight_bits)
    nmb = _check_range(where, "num_message_bits", p.num_message_bits, 0, 24)
    w_exp = _check_range(where, "weight_exp", p.weight_exp, *_WEIGHT_EXP_RANGE)
    s_max = (1 << nmb) - 1 if nmb else 1
    _check_accumulation(f"{where} Dense", p.weights, w_exp, s_max)
    frac = {
        name: _check_range(where, name, getattr(p, name), *bounds)
        for name, bounds in _FRAC_RANGES.items()
    }
    # convert_layer takes these from the format where it sets them; a layer
    # that differs was not converted with the format it carries
    for name in ("a_frac", "b_frac", "m_frac"):
        value = getattr(fmt, name)
        if value is not None and value != frac[name]:
            raise ValueError(
                f"{where} {name} is {frac[name]} but its format says {value}"
            )
    if not (np.isfinite(p.in_scale) and p.in_scale > 0):
        raise ValueError(f"{where} in_scale is {p.in_scale}; expected finite > 0")
    # as QuantizedLMU.spectral_radius: the quantised A_bar must be stable
    rho = float(np.max(np.abs(np.linalg.eigvals(p.a_bar * 2.0 ** -frac["a_frac"]))))
    if not rho < 1.0:
        raise ValueError(
            f"{where} a_bar has spectral radius {rho:.6f} >= 1 "
            f"(a_bar * 2^-a_frac, a_frac {frac['a_frac']}): the memory would be "
            f"unstable; expected < 1"
        )
    sh, d = p.shifts, int(p.order)
    m_max, acc_max = 1 << (int(fmt.m_bits) - 1), 1 << (int(fmt.acc_bits) - 1)
    # memory current: rshift(P m, sP) + rshift(nu xsum, sNu)
    _check_int64(
        where,
        [
            ("P m", "p_frac + m_frac - v_frac", d * _peak(p.p) * m_max, sh["p"]),
            ("nu xsum", "nu_frac", _peak(p.nu) * acc_max, sh["nu"]),
        ],
    )
    # memory update: rshift(A m, sA) + rshift(B xsum, sB)
    _check_int64(
        where,
        [
            ("A m", "a_frac", d * _peak(p.a_bar) * m_max, sh["a"]),
            ("B xsum", "b_frac + v_frac - m_frac", _peak(p.b_bar) * acc_max, sh["b"]),
        ],
    )


def _int_array(where: str, value: object, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu" or arr.ndim != ndim:
        raise ValueError(
            f"{where} is {arr.dtype} of shape {arr.shape}; expected a {ndim}-D "
            f"integer array"
        )
    return arr


def _check_readout(readout: tuple, n_last: int, i_last: int) -> None:
    if not isinstance(readout, tuple) or len(readout) != 4:
        raise ValueError("readout: expected (weight, weight_exp, bias, acc_bits)")
    w, w_exp, b, acc_bits = readout
    w = _int_array("readout weight", w, 2)
    b = _int_array("readout bias", b, 1)
    if w.shape[0] < 1 or w.shape[1] != n_last:
        raise ValueError(
            f"readout weight has shape {w.shape}; expected (C >= 1, {n_last}): "
            f"one column per neuron of layer {i_last}"
        )
    if b.shape != (w.shape[0],):
        raise ValueError(f"readout bias has shape {b.shape}; expected ({w.shape[0]},)")
    w_exp = _check_range("readout", "weight_exp", w_exp, *_WEIGHT_EXP_RANGE)
    acc_bits = _check_range("readout", "acc_bits", acc_bits, *_READOUT_ACC_BITS)
    # build_network gives the readout Dense Lava's default num_weight_bits, 8
    _check_dense("readout Dense weights", w, 8)
    _check_accumulation("readout Dense", w, w_exp, 1)
    lo, hi = signed_range(acc_bits)
    if b.size and (int(b.min()) < lo or int(b.max()) > hi):
        raise ValueError(
            f"readout bias spans [{int(b.min())}, {int(b.max())}]; expected "
            f"{acc_bits}-bit signed [{lo}, {hi}] (acc_bits)"
        )


def _check_format(meta: dict) -> None:
    if not isinstance(meta.get("format"), str) or meta["format"] != FORMAT:
        raise ValueError(f"not a {FORMAT} file (meta format is {meta.get('format')!r})")
    version = meta.get("version")
    if not _is_int(version):
        raise ValueError(f"meta version is {version!r}; expected an integer")
    if version not in READABLE:
        raise ValueError(
            f"has format version {version}; this lava-dmp reads versions "
            f"{', '.join(map(str, READABLE))} (writes {VERSION})"
        )


def _check_meta(meta: dict, first: FixedDMPParams) -> None:
    for key in _META_ATTRS:
        if key not in meta:
            raise ValueError(f"meta lacks attribute {key!r}")
    convention = meta["delay_convention"]
    if not isinstance(convention, str) or convention != DELAY_CONVENTION:
        raise ValueError(
            f"meta delay_convention is {convention!r}; this "
            f"lava-dmp runs {DELAY_CONVENTION!r}"
        )
    steps = meta["steps"]
    if not _is_int(steps) or steps < 0:
        raise ValueError(f"meta steps is {steps!r}; expected an integer >= 0")
    bits = _check_range("meta", "input_message_bits", meta["input_message_bits"], 0, 24)
    if bits != first.num_message_bits:
        raise ValueError(
            f"meta input_message_bits is {bits} but layer 0 has "
            f"num_message_bits {first.num_message_bits}"
        )
    scale = meta["input_scale"]
    if (
        isinstance(scale, (bool, np.bool_))
        or not isinstance(scale, (int, float, np.integer, np.floating))
        or not (np.isfinite(scale) and scale > 0)
    ):
        raise ValueError(f"meta input_scale is {scale!r}; expected finite > 0")
    if float(scale) != first.in_scale:
        raise ValueError(
            f"meta input_scale is {scale} but layer 0 has in_scale {first.in_scale}"
        )
    task = meta["task"]
    if not isinstance(task, str) or task not in _TASKS:
        raise ValueError(f"meta task is {task!r}; expected one of {_TASKS}")
    if meta.get("permutation") is not None:
        _check_permutation(meta["permutation"], task, int(steps))
    meta["input"] = _input_spec(meta, first)


def _check_permutation(perm: object, task: str, steps: int) -> None:
    perm = _int_array("meta permutation", perm, 1)
    if task not in _PERMUTED_STEPS:
        raise ValueError(
            f"meta permutation is present but task {task!r} does not permute its "
            f"inputs (only {sorted(k for k in _PERMUTED_STEPS if k)} do)"
        )
    # load_test_inputs indexes the steps of each digit with it
    n = _PERMUTED_STEPS[task]
    if perm.shape[0] != n or (steps and perm.shape[0] != steps):
        raise ValueError(
            f"meta permutation has {perm.shape[0]} entries; expected {n}, the "
            f"steps of a {task or 'smnist'} sequence"
            + (f" (meta steps {steps})" if steps else "")
        )
    outside = np.flatnonzero((perm < 0) | (perm >= n))
    if outside.size:
        j = int(outside[0])
        raise ValueError(
            f"meta permutation has {int(perm[j])} at [{j}], outside [0, {n}); "
            f"expected a permutation of range({n})"
        )
    counts = np.bincount(perm.astype(np.int64), minlength=n)
    if np.any(counts != 1):
        twice = int(np.flatnonzero(counts > 1)[0])
        raise ValueError(
            f"meta permutation repeats index {twice} ({int(counts[twice])} times); "
            f"expected a permutation of range({n})"
        )


def validate_network(
    layers: list[FixedDMPParams],
    readout: tuple,
    meta: dict,
    path: str | os.PathLike | None = None,
) -> None:
    """Check a network against the fixed-point contract before it runs.

    Refused is anything for which the golden model and Lava's ``fixed_pt``
    models could disagree, for which an integer could overflow int64, or that
    is not a valid value of its field:

    * layers chain (layer ``i + 1`` takes layer ``i``'s neurons, the readout
      one column per neuron of the last layer);
    * Dense mantissas (layers and readout) are those Lava's bit-accurate Dense
      keeps (``dense_weights_bit_acc(w, weight_bits) == w``; the readout's
      Dense uses ``weight_bits`` 8) and their worst-case accumulation fits
      the int32 the Dense sends;
    * ``weight_exp`` in [-32, 32]; ``a_frac``, ``b_frac``, ``m_frac`` within
      :class:`FixedPointFormat`'s ranges and equal to the format's where it
      sets them; ``p_frac``, ``nu_frac`` in [-64, 30];
    * the quantised ``A_bar`` (``a_bar * 2^-a_frac``) has spectral radius < 1;
    * every shift of the contract is in [-63, 63] and no product or sum of the
      memory current and memory update can leave int64;
    * readout ``acc_bits`` in [2, 62] and its bias within that width;
    * ``meta``: this format, version and delay convention; ``steps`` >= 0;
      ``input_message_bits`` and ``input_scale`` those of layer 0; a known
      task; a permutation only for tasks whose steps
      :func:`lava_dmp.netx.deploy.load_test_inputs` permutes, of their length and
      a permutation of ``range(n)``.

    Parameters
    ----------
    layers : list of FixedDMPParams
    readout : tuple
        ``(weight (C, N), weight_exp, bias (C,), acc_bits)``.
    meta : dict
        As :func:`read_network` returns it.
    path : str or os.PathLike or None
        Named in the messages.

    Raises
    ------
    ValueError
        Starting with ``network: <path>:``, naming the field and what was
        expected.
    """
    head = "network" if path is None else f"network: {path}"
    try:
        _check_format(meta)
        if not layers:
            raise ValueError("needs DMP layers and a readout")
        n_prev = None
        for i, p in enumerate(layers):
            _check_layer(i, p, n_prev)
            n_prev = p.n
        _check_readout(readout, n_prev, len(layers) - 1)
        _check_meta(meta, layers[0])
    except ValueError as err:
        raise ValueError(f"{head}: {err}") from None
