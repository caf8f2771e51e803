"""A Lava profiler for :class:`NearMemorySimCfg`, registered with Lava.

``Profiler.init(cfg)`` from ``lava.utils.profiler`` returns a
:class:`NearMemoryProfiler` for a ``NearMemorySimCfg``; after the run its
attributes carry the names of Loihi 2's profilers: ``syn_ops``,
``dendrite_updates``, ``spikes_in`` (per step, summed over processes),
``execution_time_per_step``, ``execution_time``, ``total_energy`` and
``power`` (energy over modelled time).
"""

from __future__ import annotations

import warnings

import numpy as np

from lava_dmp.cost.counters import COUNTERS
from lava_dmp.cost.model import CostReport, cost_of
from lava_dmp.cost.run_config import NearMemorySimCfg

__all__ = ["NearMemoryProfiler"]


class NearMemoryProfiler:
    """Profiles a run made with a :class:`NearMemorySimCfg`."""

    def __init__(self, run_cfg: NearMemorySimCfg) -> None:
        if not isinstance(run_cfg, NearMemorySimCfg):
            raise TypeError("run_cfg: expected a NearMemorySimCfg")
        self.run_cfg = run_cfg

    def _per_step(self, counter: str) -> np.ndarray:
        i = COUNTERS.index(counter)
        counts = self.run_cfg.counts()
        if not counts:
            return np.zeros(0, dtype=np.int64)
        return sum(c[:, i] for c in counts.values())

    @property
    def syn_ops(self) -> np.ndarray:
        return self._per_step("syn_ops")

    @property
    def dendrite_updates(self) -> np.ndarray:
        return self._per_step("dendrite_updates")

    @property
    def spikes_in(self) -> np.ndarray:
        return self._per_step("spikes_in")

    def report(self, samples: int = 1, fused: bool = True) -> CostReport:
        """Cycles, energy and area of the counted run on the config's core."""
        cfg = self.run_cfg
        return cost_of(cfg.units, cfg.counts(), cfg.hardware, samples, fused=fused)

    @property
    def execution_time_per_step(self) -> np.ndarray:
        return self.report().execution_time_per_step

    @property
    def execution_time(self) -> float:
        return self.report().execution_time

    @property
    def total_energy(self) -> float:
        return self.report().total_energy

    @property
    def power(self) -> float:
        return self.report().power


def register() -> None:
    """Map ``NearMemorySimCfg`` to this profiler in Lava's ``run_cfg_dict``."""
    with warnings.catch_warnings():  # Lava warns that no Loihi 2 profiler exists
        warnings.simplefilter("ignore")
        from lava.utils import profiler

    profiler.run_cfg_dict[NearMemorySimCfg] = NearMemoryProfiler


register()
