"""Argument checks shared by every public entry point.

Each check raises ``ValueError`` whose message starts with the parameter's name
and states the accepted range, so that bad input is easy to trace.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np


def check_int(
    name: str, value: object, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as ``int`` or raise if it is not an integer in range."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}: must be <= {maximum}, got {value}")
    return value


def check_real(
    name: str, value: object, low: float | None = None, high: float | None = None
) -> float:
    """Return ``value`` as ``float``; finite and within ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating)):
        raise ValueError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: must be finite, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name}: must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name}: must be <= {high}, got {value}")
    return value


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as ``float``; finite and strictly positive."""
    value = check_real(name, value)
    if value <= 0:
        raise ValueError(f"{name}: must be > 0, got {value}")
    return value


def check_array(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
    """Return a finite float64 copy of ``value`` with exactly ``shape``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite (no NaN or inf)")
    return arr


def check_int_array(
    name: str, value: object, shape: tuple[int, ...], bits: int
) -> np.ndarray:
    """Return an int64 copy of ``value`` with ``shape``, within a signed width.

    Refuses float arrays: fixed-point models take integers from the converter.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise ValueError(
            f"{name}: fixed-point parameters must be integer arrays, got dtype "
            f"{arr.dtype}; convert float parameters with lava_dmp.convert"
        )
    if arr.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {arr.shape}")
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise ValueError(
            f"{name}: values must fit {bits}-bit signed [{lo}, {hi}], got "
            f"[{arr.min()}, {arr.max()}]"
        )
    return arr.astype(np.int64)


def check_int_input(name: str, value: object, bits: int | None = None) -> np.ndarray:
    """Return ``value`` as an array for a fixed-point model's input sequence.

    Fixed-point models take spikes and graded inputs as integers (on the grid
    of the layer's ``in_scale``). Every non-integer dtype is refused, float
    arrays of whole numbers such as ``1.0`` included: a cast would silently
    truncate ``0.5`` to 0. Called once where the user's array enters, not per
    step. ``bits`` also bounds the values to a signed width (32 for Lava's
    ports).
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "biu":
        hint = ""
        if arr.dtype.kind == "f":
            hint = "; cast whole-valued floats with .astype(int)"
            off = np.flatnonzero(~np.isfinite(arr) | (arr != np.trunc(arr)))
            if off.size:
                idx = np.unravel_index(off[0], arr.shape)
                hint = (
                    f" with non-integer values (e.g. {float(arr[idx])!r} at index "
                    f"{tuple(int(i) for i in idx)}); scale them to the integer grid"
                )
        raise ValueError(
            f"{name}: a fixed-point model takes integer inputs (spikes, or graded "
            f"values on the integer grid of the layer's in_scale), got dtype "
            f"{arr.dtype}{hint}"
        )
    if bits is not None and arr.size and arr.dtype.kind != "b":
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        if arr.min() < lo or arr.max() > hi:
            raise ValueError(
                f"{name}: values must fit {bits}-bit signed [{lo}, {hi}], got "
                f"[{arr.min()}, {arr.max()}]"
            )
    return arr


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: must be one of {choices}, got {value!r}")
    return value  # type: ignore[return-value]
