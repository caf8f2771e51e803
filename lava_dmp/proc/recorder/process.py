"""A sink that writes what it receives into a numpy memmap file."""

from __future__ import annotations

import os

import numpy as np
from lava.magma.core.process.ports.ports import InPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_dmp._checks import check_int

__all__ = ["Recorder"]


class Recorder(AbstractProcess):
    """Record ``a_in`` of every step into ``path`` (a ``(steps, N)`` memmap).

    Lava's ``Var.get()`` copies element by element (seconds for a
    ``200 x 784`` raster); the parent reads this file directly instead. Step
    ``k`` (counted by the Var ``k``, reset it to 0 to start over) goes to row
    ``k % steps``.

    Parameters
    ----------
    shape : tuple of int
        ``(N,)``.
    steps : int
        Rows of the file.
    path : str
        File to create (overwritten).
    """

    _runtime = None  # see lava_dmp.proc.dmp.process.DMP

    def __init__(
        self,
        *,
        shape: tuple[int, ...],
        steps: int,
        path: str | os.PathLike,
        name: str | None = None,
        log_config: LogConfig | None = None,
    ) -> None:
        if not isinstance(shape, tuple) or len(shape) != 1:
            raise ValueError(f"shape: expected a 1-tuple (N,), got {shape!r}")
        n = check_int("shape[0]", shape[0], minimum=1)
        steps = check_int("steps", steps, minimum=1)
        path = str(path)
        np.lib.format.open_memmap(
            path, mode="w+", dtype=np.float32, shape=(steps, n)
        ).flush()
        super().__init__(
            shape=(n,), steps=steps, path=path, name=name, log_config=log_config
        )
        self.a_in = InPort(shape=(n,))
        self.k = Var(shape=(1,), init=0)

    def read(self) -> np.ndarray:
        """The recorded ``(steps, N)`` array (a copy)."""
        return np.array(np.load(self.proc_params["path"], mmap_mode="r"))
