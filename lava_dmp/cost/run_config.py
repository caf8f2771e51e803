"""``NearMemorySimCfg``: Lava's fixed-point simulation, instrumented with counters.

The run config picks the same bit-accurate models as
``Loihi2SimCfg(select_tag='fixed_pt')`` and wraps each leaf model in a
subclass that watches its ports: after every ``run_spk`` it records what the
process did in that step (input events, weight words read, memory refresh,
neuron updates, spikes sent) and turns it into the counters of
:mod:`lava_dmp.cost.counters`. The model's own arithmetic is untouched, so
the spikes are those of the plain fixed-point run.

Each process writes one row per step into a memory-mapped file created
before Lava forks its process models; :meth:`NearMemorySimCfg.counts` reads
them back in the parent.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import AbstractPyPort, PyInPort, PyOutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.run_configs import Loihi2SimCfg

from lava_dmp.cost.counters import COUNTERS, Unit, linear_basis
from lava_dmp.cost.hardware import HardwareSpec, preset

__all__ = ["NearMemorySimCfg", "describe_process"]


def _leaves(port, direction: str) -> list[AbstractProcess]:
    """Leaf processes at the far end of a port's ``out_connections`` or
    ``in_connections``, followed through hierarchy ports."""
    found = []
    for other in getattr(port, direction):
        further = _leaves(other, direction)
        found.extend(further if further else [other.process])
    return found


def _key(process: AbstractProcess) -> str:
    return f"{process.id:05d}_{process.name}"


def describe_process(process: AbstractProcess) -> Unit:
    """The cost model's view of a Lava leaf process."""
    from lava.proc.dense.process import Dense
    from lava.proc.lif.process import LIF
    from lava.proc.sparse.process import Sparse

    from lava_dmp.proc.dmp.process import DMP
    from lava_dmp.proc.readout.process import Readout

    if isinstance(process, (Dense, Sparse)):
        rows = process.weights.shape[0]
        targets = _leaves(process.a_out, "out_connections")
        drive = 0
        if any(isinstance(t, DMP) and t.proc_params["fused_drive"] for t in targets):
            drive = 1
        target = _key(targets[0]) if targets else ""
        sources = _leaves(process.s_in, "in_connections")
        return Unit(
            "synapse",
            rows,
            _key(process),
            drive_rows=drive,
            target=target,
            source=_key(sources[0]) if sources else "",
        )
    if isinstance(process, DMP):
        return Unit(
            "dmp",
            process.v.shape[0],
            _key(process),
            order=process.m.shape[0],
            dilation=process.proc_params["dilation"],
        )
    if isinstance(process, LIF):
        return Unit("lif", int(np.prod(process.v.shape)), _key(process))
    if isinstance(process, Readout):
        return Unit("readout", process.acc.shape[0], _key(process))
    return Unit("io", 0, _key(process))


class _Tap:
    """Stands in for a port and remembers the last message through it."""

    def __init__(self, port: AbstractPyPort) -> None:
        self._port = port
        self.last = None

    def recv(self):
        self.last = self._port.recv()
        return self.last

    def send(self, data):
        self.last = data
        return self._port.send(data)

    def __getattr__(self, name):
        return getattr(self._port, name)


def _nonzero(data) -> int:
    return 0 if data is None else int(np.count_nonzero(data))


class _CountingMixin:
    """Counts one row per step after the wrapped model's ``run_spk``."""

    _cost_unit: Unit
    _cost_path: str
    _cost_capacity: int
    _cost_c0: np.ndarray
    _cost_basis: np.ndarray

    def _cost_install(self) -> None:
        self._cost_in, self._cost_out = [], []
        for name, val in list(vars(self).items()):
            if isinstance(val, PyInPort):
                tap = _Tap(val)
                setattr(self, name, tap)
                self._cost_in.append(tap)
            elif isinstance(val, PyOutPort):
                tap = _Tap(val)
                setattr(self, name, tap)
                self._cost_out.append(tap)
        self._cost_taps = self._cost_in + self._cost_out
        self._cost_map = np.memmap(
            self._cost_path,
            dtype=np.int64,
            mode="r+",
            shape=(self._cost_capacity + 1, len(COUNTERS)),
        )
        # a plain ndarray view: memmap's own indexing is slow per step
        self._cost_buf = self._cost_map.view(np.ndarray)
        self._cost_row = int(self._cost_buf[0, 0])
        self._cost_col_nnz = None
        if self._cost_unit.kind == "synapse" and hasattr(self.weights, "tocsc"):
            self._cost_col_nnz = np.diff(self.weights.tocsc().indptr)

    def _cost_features(self) -> tuple[int, int, int, int, int]:
        unit = self._cost_unit
        events = reads = refresh = active = 0
        ins = [t.last for t in self._cost_in if t.last is not None]
        for x in ins:
            events += int(np.count_nonzero(x))
        if unit.kind == "synapse" and ins:
            if self._cost_col_nnz is not None:  # Sparse: nonzeros read
                reads = int(self._cost_col_nnz[np.flatnonzero(ins[0])].sum())
            else:  # Dense: a whole column per event
                reads = events * unit.n
        elif unit.kind == "dmp":
            refresh = int((int(self.k[0]) - 1) % unit.dilation == 0)
        elif unit.kind == "readout":
            active = int(int(self.k[0]) - 1 >= self.t_start)
        elif unit.kind == "lif":
            active = 1
        spikes = sum(_nonzero(t.last) for t in self._cost_out)
        return events, reads, refresh, active, spikes

    def run_spk(self) -> None:
        if not hasattr(self, "_cost_buf"):
            self._cost_install()
        for tap in self._cost_taps:
            tap.last = None
        super().run_spk()
        if self._cost_row >= self._cost_capacity:
            raise OverflowError(
                f"NearMemorySimCfg: more than max_steps={self._cost_capacity} "
                "steps counted; pass a larger max_steps"
            )
        row = self._cost_c0.copy()
        for value, coef in zip(self._cost_features(), self._cost_basis):
            if value:
                row += value * coef
        self._cost_row += 1
        self._cost_buf[self._cost_row] = row
        self._cost_buf[0, 0] = self._cost_row


class NearMemorySimCfg(Loihi2SimCfg):
    """Bit-accurate Lava simulation that counts what the DMP accelerator does.

    Parameters
    ----------
    hardware : HardwareSpec or None
        The modelled core (default: :func:`lava_dmp.cost.hardware.preset`
        ``'default'``); its widths turn word accesses into bits.
    max_steps : int
        Largest number of steps counted per process over the whole life of
        the runtime (counter files are sparse, 8 bytes per counter and step).
    select_tag : str
        Model tag, ``'fixed_pt'``: the counts describe integer hardware.
    **kwargs
        Passed to ``Loihi2SimCfg``.

    After a run, :meth:`counts` returns the counters per process and
    :attr:`units` describes each process; :class:`NearMemoryProfiler` and
    :func:`lava_dmp.cost.model.cost_of` turn them into cycles and energy.
    """

    def __init__(
        self,
        hardware: HardwareSpec | None = None,
        max_steps: int = 250_000,
        select_tag: str = "fixed_pt",
        **kwargs,
    ) -> None:
        super().__init__(select_tag=select_tag, **kwargs)
        self.hardware = hardware if hardware is not None else preset("default")
        if not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps: expected an integer >= 1, got {max_steps!r}")
        self.max_steps = max_steps
        self._procs: dict[str, AbstractProcess] = {}
        self._paths: dict[str, str] = {}
        self._dir = tempfile.mkdtemp(prefix="lava-dmp-cost-")
        self._owner = os.getpid()
        self._classes: dict[tuple, type] = {}

    def select(self, process, proc_models):
        pm = super().select(process, proc_models)
        if not (isinstance(pm, type) and issubclass(pm, PyLoihiProcessModel)):
            return pm
        unit = describe_process(process)
        path = os.path.join(self._dir, f"{unit.name}.cnt")
        buf = np.memmap(
            path, dtype=np.int64, mode="w+", shape=(self.max_steps + 1, len(COUNTERS))
        )
        del buf  # sparse file of zeros; the model's process opens it
        c0, basis = linear_basis(unit, self.hardware)
        self._procs[unit.name] = process
        self._paths[unit.name] = path
        return type(
            f"Counted{pm.__name__}",
            (_CountingMixin, pm),
            {
                "_cost_unit": unit,
                "_cost_path": path,
                "_cost_capacity": self.max_steps,
                "_cost_c0": c0,
                "_cost_basis": basis,
            },
        )

    @property
    def units(self) -> dict[str, Unit]:
        """Each counted process as the cost model sees it. Described anew on
        each call: connections into hierarchical processes exist only once
        the whole network has been compiled."""
        return {name: describe_process(p) for name, p in self._procs.items()}

    def counts(self) -> dict[str, np.ndarray]:
        """Counters per process, ``(steps, len(COUNTERS))`` int64 arrays."""
        out = {}
        for name, path in self._paths.items():
            buf = np.memmap(
                path,
                dtype=np.int64,
                mode="r",
                shape=(self.max_steps + 1, len(COUNTERS)),
            )
            rows = int(buf[0, 0])
            out[name] = np.array(buf[1 : rows + 1])
            del buf
        return out

    def cleanup(self) -> None:
        """Delete the counter files (call after :meth:`counts`)."""
        shutil.rmtree(self._dir, ignore_errors=True)

    def __del__(self) -> None:
        # Lava forks its models with a copy of this object: only the process
        # that made the folder removes it.
        if os.getpid() == getattr(self, "_owner", None):
            shutil.rmtree(self._dir, ignore_errors=True)
