"""Compiled LIF kernels for the float training path, built at first use.

The LIF recurrence is memory-bound elementwise work on ``(T, B, N)`` tensors:
in torch every step is several kernel launches with a thread hand-off each,
and the backward alone makes about ten passes over the sequence. The C
kernels in ``csrc/`` run the whole sequence in one call (each thread owns a
range of batch rows for all steps), fuse the current ``g (a_f + W_m m + b)``
and the synaptic delay into the forward, and the surrogate, the reset mask,
the recurrence and the bias gradient into one pass of the backward. The
memory's input gradient runs as the adjoint recurrence ``lam[k] = g[k] + A^T
lam[k+1]`` (``T d^2`` multiply-adds) instead of ``d`` long FFTs.

They are compiled with the machine's C compiler (``$CC``, else ``cc``) into
``$LAVA_DMP_CACHE/kernels`` (default ``~/.cache/lava-dmp/kernels``), keyed by
the sources, the flags, the compiler and the CPU, and loaded with ctypes: no
Python headers, no ninja. If there is no compiler or the build fails, or with
``LAVA_DMP_NATIVE=0``, :func:`available` is False and :mod:`lava_dmp.train.lif`
uses its torch implementation (same results within rounding); the reason is
in :func:`status`.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from lava_dmp.convert import FixedDMPParams

__all__ = [
    "available",
    "status",
    "set_enabled",
    "supports",
    "lif_forward",
    "lif_backward",
    "lmu_adjoint",
    "fixed_supported",
    "golden_run",
    "quantised_forward",
    "library_path",
]

_SRC = Path(__file__).parent / "csrc"
_SOURCES = ("lif_forward.c", "lif_backward.c", "lmu_adjoint.c", "dmp_fixed.c")
_COMMON = ["-O3", "-march=native", "-fPIC", "-pthread", "-std=c99"]
# threads from torch's own OpenMP runtime (csrc/rows.h); pthreads without it
_OPENMP = ["-fopenmp"]
# the forward keeps IEEE semantics but may fuse multiply-adds (as BLAS and
# torch's own kernels do); the backward may use the vectorised exp of
# fast-math (its surrogate never sees inf or NaN: exp(-|x|) <= 1)
_FLAGS = {
    "lif_forward.c": ["-ffp-contract=fast"],
    "lif_backward.c": ["-ffast-math"],
    "lmu_adjoint.c": ["-ffp-contract=fast"],
    # int64 sums and products wrap modulo 2^64 as numpy's do (no UB)
    "dmp_fixed.c": ["-fwrapv"],
}
_TYPES = {
    torch.float32: ("f32", ctypes.c_float),
    torch.float64: ("f64", ctypes.c_double),
}

_lib: ctypes.CDLL | None = None
_status = "not loaded yet"
_enabled = True


def _cpu_key() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    lines = [ln for ln in info.splitlines() if ln.startswith(("model name", "flags"))]
    return "\n".join(sorted(set(lines)))


def _cache_dir() -> Path:
    root = os.environ.get("LAVA_DMP_CACHE") or Path.home() / ".cache" / "lava-dmp"
    return Path(root) / "kernels"


def _compiler() -> str | None:
    cc = os.environ.get("CC")
    if cc:  # an explicit choice is not second-guessed
        return shutil.which(cc)
    return shutil.which("cc") or shutil.which("gcc")


def library_path(cc: str, openmp: bool = True) -> Path:
    """Where the library built by ``cc`` for this source and CPU lives."""
    h = hashlib.sha256()
    for name in sorted(p.name for p in _SRC.iterdir()):
        h.update(name.encode() + (_SRC / name).read_bytes())
    version = subprocess.run(
        [cc, "--version"], capture_output=True, text=True, check=False
    ).stdout
    flags = (_COMMON, _OPENMP if openmp else [], _FLAGS)
    h.update(repr((flags, version, platform.machine(), _cpu_key())).encode())
    return _cache_dir() / f"lif-{h.hexdigest()[:16]}.so"


def _build(cc: str, target: Path, openmp: bool = True) -> None:
    """Compile into a temporary folder, then move the library into place
    atomically (concurrent processes may build at the same time)."""
    extra = _OPENMP if openmp else []
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        objs = []
        for src in _SOURCES:
            obj = Path(tmp) / (src + ".o")
            cmd = [cc, *_COMMON, *extra, *_FLAGS[src], "-c", str(_SRC / src)]
            cmd += ["-o", str(obj)]
            subprocess.run(cmd, check=True, capture_output=True, text=True)
            objs.append(str(obj))
        lib = Path(tmp) / target.name
        cmd = [cc, "-shared", "-pthread", *extra, *objs, "-o", str(lib), "-lm"]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        os.replace(lib, target)


def _load() -> ctypes.CDLL | None:
    global _lib, _status
    if _lib is not None or _status != "not loaded yet":
        return _lib
    if os.environ.get("LAVA_DMP_NATIVE", "1") == "0":
        _status = "disabled by LAVA_DMP_NATIVE=0"
        return None
    cc = _compiler()
    if cc is None:
        _status = f"no C compiler found (CC={os.environ.get('CC', 'cc')})"
        return None
    lib, refused = None, []
    for openmp in (True, False):  # OpenMP first; pthreads if it fails or clashes
        try:
            lib, target = _open(cc, openmp)
            break
        except (OSError, subprocess.CalledProcessError) as err:
            detail = (getattr(err, "stderr", "") or str(err)).strip()[:400]
            refused.append(f"{'OpenMP' if openmp else 'pthreads'}: {detail}")
    if lib is None:
        _status = f"build failed, using the torch LIF: {'; '.join(refused)}"
        warnings.warn(f"lava_dmp.train.native: {_status}", RuntimeWarning, stacklevel=3)
        return None
    ptr = ctypes.c_void_p
    for sfx, real in _TYPES.values():
        fwd = getattr(lib, f"lif_forward_{sfx}")
        fwd.restype = ctypes.c_int
        fwd.argtypes = [ptr, ptr, ptr] + [ctypes.c_long] * 4
        fwd.argtypes += [ptr, ptr, ptr, ctypes.c_long, ptr, real, real, real]
        fwd.argtypes += [ctypes.c_int]
        fwd.argtypes += [ctypes.c_long] * 3 + [ptr, ptr, ctypes.c_int]
        bwd = getattr(lib, f"lif_backward_{sfx}")
        bwd.restype = ctypes.c_int
        bwd.argtypes = [ptr, ctypes.c_long, ctypes.c_long, ptr, ptr, real, real]
        bwd.argtypes += [ctypes.c_int, real, real] + [ctypes.c_long] * 3
        bwd.argtypes += [ptr, ptr, ctypes.c_int]
        adj = getattr(lib, f"lmu_adjoint_{sfx}")
        adj.restype = ctypes.c_int
        adj.argtypes = [ptr, ptr, ptr] + [ctypes.c_long] * 3 + [ptr, ctypes.c_int]
    i64, cint, clong = ctypes.c_int64, ctypes.c_int, ctypes.c_long
    fixed = lib.dmp_fixed_forward
    fixed.restype = cint
    fixed.argtypes = [ptr, cint] + [clong] * 3 + [ctypes.c_double, i64, i64]
    fixed.argtypes += [clong] * 7 + [ptr, cint, ptr, i64, i64, i64] + [ptr] * 4
    fixed.argtypes += [cint] * 9 + [ctypes.c_double] + [ptr] * 4 + [cint]
    threads = "torch's OpenMP threads" if openmp else f"pthreads; {refused[0]}"
    _lib, _status = lib, f"loaded {target} ({threads})"
    return _lib


def _openmp_runtimes() -> set[str]:
    """OpenMP runtime files mapped into this process (Linux; else empty)."""
    try:
        maps = Path("/proc/self/maps").read_text().split()
    except OSError:
        return set()
    names = ("libgomp", "libiomp", "libomp")
    return {p for p in maps if p.startswith("/") and Path(p).name.startswith(names)}


def _open(cc: str, openmp: bool) -> tuple[ctypes.CDLL, Path]:
    """Build (once) and load one variant. The OpenMP one must share torch's
    runtime: if loading it maps a second runtime, that is refused (two
    runtimes' threads spin against each other)."""
    target = library_path(cc, openmp)
    if not target.exists():
        print(f"lava-dmp: compiling the LIF kernels into {target}", file=sys.stderr)
        _build(cc, target, openmp)
    before = _openmp_runtimes()
    lib = ctypes.CDLL(str(target))
    if openmp and before and not _openmp_runtimes() <= before:
        raise OSError("the kernels' OpenMP runtime is not torch's")
    return lib, target


def available() -> bool:
    """True if the compiled kernels can be used (builds them on first call)."""
    return _load() is not None


def status() -> str:
    """Why the kernels are or are not in use."""
    _load()
    return _status


def set_enabled(enabled: bool) -> bool:
    """Use the kernels (True, the default) or the torch path (False) from now
    on, e.g. to compare the two; returns the previous setting."""
    global _enabled
    previous, _enabled = _enabled, bool(enabled)
    return previous


def supports(t: torch.Tensor) -> bool:
    """The kernels are enabled, built, and take this tensor (CPU float32 or
    float64)."""
    return _enabled and t.device.type == "cpu" and t.dtype in _TYPES and available()


def _ptr(t: torch.Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def lif_forward(
    a_f: torch.Tensor | tuple[torch.Tensor, torch.Tensor],
    i_m: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None,
    bias: torch.Tensor | None,
    gain: float,
    beta: float,
    vth: float,
    hard: bool,
    shift: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Membrane (before reset) and spikes, ``(T, B, N)`` contiguous, of the LIF
    driven by ``gain (a + i_m + bias)`` with ``a[t] = a_f[t - shift]`` (zero
    before ``shift``; the last ``shift`` rows of ``a_f`` are not read).

    ``a_f`` is ``(T, B, N)`` with unit stride along N (any time and batch
    strides, e.g. a slice of a synapse output), or a pair ``(x, W_f)`` of a
    narrow input ``(T, B, M)`` and ``(N, M)`` weights; ``i_m`` is ``(T, B,
    N)``, or a pair ``(m, W_m)`` of the memory state ``(T, B, d)`` and ``(N,
    d)`` weights. The kernel forms the products of pairs row by row. ``bias``
    is ``(N,)``; ``i_m`` and ``bias`` are optional.
    """
    lib = _load()
    inputs = weights_f = None
    if isinstance(a_f, tuple):
        inputs, weights_f = a_f[0].contiguous(), a_f[1].T.contiguous()
        (steps, batch, _), n = inputs.shape, weights_f.shape[1]
        like, a_f, strides = inputs, None, (0, 0)
    else:
        a_f = _unit_inner(a_f)
        steps, batch, n = a_f.shape
        like, strides = a_f, (a_f.stride(0), a_f.stride(1))
    state = weights_t = None
    if isinstance(i_m, tuple):
        state, weights_t = i_m[0].contiguous(), i_m[1].T.contiguous()
        i_m = None
    elif i_m is not None:
        i_m = i_m.contiguous()
    if bias is not None:
        bias = bias.contiguous()
    sfx, _ = _TYPES[like.dtype]
    volts = torch.empty((steps, batch, n), dtype=like.dtype)
    spikes = torch.empty_like(volts)
    failed = getattr(lib, f"lif_forward_{sfx}")(
        _ptr(a_f),
        _ptr(inputs),
        _ptr(weights_f),
        0 if inputs is None else inputs.shape[-1],
        shift,
        *strides,
        _ptr(i_m),
        _ptr(state),
        _ptr(weights_t),
        0 if state is None else state.shape[-1],
        _ptr(bias),
        gain,
        beta,
        vth,
        int(hard),
        steps,
        batch,
        n,
        _ptr(volts),
        _ptr(spikes),
        torch.get_num_threads(),
    )
    if failed:
        raise MemoryError("lif_forward: could not allocate the membrane state")
    return volts, spikes


def lif_backward(
    grad_spikes: torch.Tensor,
    volts: torch.Tensor,
    beta: float,
    vth: float,
    hard: bool,
    slope: float,
    gain: float,
    with_bias: bool,
    pad: int = 0,
    spikes: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``gain g_v`` (the gradient of each summand of the current) and, with
    ``with_bias``, its sum over time and batch ``(N,)``.

    The gradient is returned as the first ``T`` rows of a ``(T + pad, B, N)``
    tensor whose last ``pad`` rows are zero, so that a delayed current's
    gradient is a view of the same memory (no shifted copy). A step resets
    where ``volts >= vth``, or where ``spikes`` (shaped like ``volts``) is
    nonzero if given: a membrane read after its reset does not tell.
    """
    lib = _load()
    grad_spikes = _unit_inner(grad_spikes)
    volts = volts.contiguous()
    if spikes is not None:
        spikes = spikes.to(volts.dtype).contiguous()
    steps, batch, n = volts.shape
    sfx, _ = _TYPES[volts.dtype]
    store = torch.empty((steps + pad, batch, n), dtype=volts.dtype)
    store[steps:].zero_()
    gbias = torch.empty((batch, n), dtype=torch.float64) if with_bias else None
    failed = getattr(lib, f"lif_backward_{sfx}")(
        _ptr(grad_spikes),
        grad_spikes.stride(0),
        grad_spikes.stride(1),
        _ptr(volts),
        _ptr(spikes),
        beta,
        vth,
        int(hard),
        slope,
        gain,
        steps,
        batch,
        n,
        _ptr(store),
        _ptr(gbias),
        torch.get_num_threads(),
    )
    if failed:
        raise MemoryError("lif_backward: could not allocate the carry state")
    if gbias is not None:
        gbias = gbias.sum(dim=0).to(volts.dtype)
    return store, gbias


def lmu_adjoint(
    grad_state: torch.Tensor, a_bar: torch.Tensor, b_bar: torch.Tensor
) -> torch.Tensor:
    """Gradient ``(T, B)`` of the drive of ``m[k] = A m[k-1] + b x[k]`` given
    the state gradient ``(T, B, d)``: ``lam[k] = g[k] + A^T lam[k+1]``,
    ``g_x[k] = b . lam[k]``."""
    lib = _load()
    grad_state = grad_state.contiguous()
    steps, batch, order = grad_state.shape
    sfx, _ = _TYPES[grad_state.dtype]
    a_bar = a_bar.to(grad_state.dtype).contiguous()
    b_bar = b_bar.to(grad_state.dtype).contiguous()
    out = torch.empty((steps, batch), dtype=grad_state.dtype)
    failed = getattr(lib, f"lmu_adjoint_{sfx}")(
        _ptr(grad_state),
        _ptr(a_bar),
        _ptr(b_bar),
        steps,
        batch,
        order,
        _ptr(out),
        torch.get_num_threads(),
    )
    if failed:
        raise MemoryError("lmu_adjoint: could not allocate the adjoint state")
    return out


def _unit_inner(t: torch.Tensor) -> torch.Tensor:
    """The kernels read rows of unit stride; other layouts are copied once."""
    return t if t.stride(-1) == 1 else t.contiguous()


# ---------------------------------------------------------------- fixed point
# csrc/dmp_fixed.c return bits
_CLIPPED, _OFF_GRID = 2, 4
_IN_KINDS = {np.dtype(np.int64): 0, np.dtype(np.float32): 1, np.dtype(np.float64): 2}
_OUT_KINDS = {torch.float32: 1, torch.float64: 2}


def fixed_supported(params: FixedDMPParams) -> bool:
    """The fixed-point kernel is enabled, built, and takes this layer: every
    shift of the contract within 63 bits (C shifts by 64 or more are
    undefined; the converter's formats stay far below)."""
    shifts = (*params.shifts.values(), params.weight_exp)
    return _enabled and all(-63 <= n <= 63 for n in shifts) and available()


def _run_fixed(
    params: FixedDMPParams,
    s_in: np.ndarray,
    delay: bool,
    in_scale: float,
    in_range: tuple[int, int],
    out_kind: int,
    out_scale: float,
    out_s: np.ndarray | torch.Tensor,
    out_v: np.ndarray | torch.Tensor,
    out_m: np.ndarray | None,
    out_x: np.ndarray | None,
) -> int:
    """Call ``dmp_fixed_forward`` on ``s_in (T, B, M)`` (any strides, whole
    elements); returns its flag bits."""
    lib = _load()
    sh = params.shifts
    steps, batch, m_in = s_in.shape
    item = s_in.itemsize
    strides = [st // item for st in s_in.strides]

    def arr(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.int64)

    # transposed so that the kernel adds whole rows (columns of W, A and P)
    wt, at, pt = arr(params.weights.T), arr(params.a_bar.T), arr(params.p.T)
    bias, b_bar, nu = arr(params.bias), arr(params.b_bar), arr(params.nu)
    fmt = params.fmt

    def ptr(a):
        if a is None:
            return None
        return a.data_ptr() if isinstance(a, torch.Tensor) else a.ctypes.data

    return lib.dmp_fixed_forward(
        s_in.ctypes.data,
        _IN_KINDS[s_in.dtype],
        *strides,
        in_scale,
        *in_range,
        steps,
        batch,
        m_in,
        params.n,
        params.order,
        int(delay),
        params.dilation,
        wt.ctypes.data,
        params.weight_exp,
        bias.ctypes.data,
        int(params.bias_x),
        int(params.vth),
        int(params.dv),
        at.ctypes.data,
        b_bar.ctypes.data,
        pt.ctypes.data,
        nu.ctypes.data,
        sh["a"],
        sh["b"],
        sh["p"],
        sh["nu"],
        fmt.acc_bits,
        fmt.v_bits,
        fmt.m_bits,
        int(params.reset == "hard"),
        out_kind,
        out_scale,
        ptr(out_s),
        ptr(out_v),
        ptr(out_m),
        ptr(out_x),
        torch.get_num_threads(),
    )


def golden_run(
    params: FixedDMPParams, s_in: np.ndarray, delay: bool = True
) -> dict[str, np.ndarray]:
    """:meth:`lava_dmp.golden.GoldenDMPLayer.run` in the compiled kernel: the
    same int64 traces ``s``, ``v`` (T, B, N), ``m`` (T, B, d) and ``x`` (T, B),
    bit for bit, and the same errors (a wrong input, or an overflow with
    ``fmt.overflow="raise"``, are raised by the golden model itself).

    Needs :func:`fixed_supported`; see :func:`lava_dmp.golden.GoldenDMPLayer`
    for the arguments.
    """
    from lava_dmp.golden import GoldenDMPLayer

    golden = GoldenDMPLayer(params)
    s_in = golden._check_input("s_in", s_in, 3).astype(np.int64, copy=False)
    steps, batch, _ = s_in.shape
    out = {
        "s": np.empty((steps, batch, params.n), dtype=np.int64),
        "v": np.empty((steps, batch, params.n), dtype=np.int64),
        "m": np.empty((steps, batch, params.order), dtype=np.int64),
        "x": np.empty((steps, batch), dtype=np.int64),
    }
    flags = _run_fixed(params, s_in, delay, 1.0, (0, 0), 0, 1.0, *out.values())
    _raise_failed(flags)
    if flags & _CLIPPED and params.fmt.overflow == "raise":
        return golden.run(s_in, delay)  # raises the golden model's error
    return out


def quantised_forward(
    params: FixedDMPParams,
    x: torch.Tensor,
    in_scale: float,
    in_range: tuple[int, int],
    delay: bool,
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Membrane (after reset, real units) and spikes ``(T, B, N)`` in
    ``x.dtype`` of the fixed-point layer driven by ``x (T, B, M)`` (CPU
    float32 or float64, any strides), as the quantised training forward
    computes them with :class:`lava_dmp.golden.GoldenDMPLayer`.

    ``x`` holds reals on the grid of ``in_scale``: each is read as the integer
    ``rint(x / in_scale)``. Returns None, so that the caller takes the golden
    model and reports the problem, if a value is off that grid (by more than
    1e-3 LSB) or outside ``in_range``, or if a saturation clipped a value with
    ``fmt.overflow="raise"``.
    """
    if x.dtype not in _OUT_KINDS or x.device.type != "cpu" or x.dim() != 3:
        return None
    x = x.detach()  # read in place, whatever its strides
    steps, batch, _ = x.shape
    volts = torch.empty((steps, batch, params.n), dtype=x.dtype)
    spikes = torch.empty_like(volts)
    flags = _run_fixed(
        params,
        x.numpy(),
        delay,
        float(in_scale),
        in_range,
        _OUT_KINDS[x.dtype],
        2.0**-params.fmt.v_frac,
        spikes,
        volts,
        None,
        None,
    )
    _raise_failed(flags)
    if flags & _OFF_GRID or (flags & _CLIPPED and params.fmt.overflow == "raise"):
        return None
    return volts, spikes


def _raise_failed(flags: int) -> None:
    if flags & 1:
        raise MemoryError("dmp_fixed_forward: could not allocate the layer state")
