"""Cost of DMP networks on the modelled heterogeneous near-memory accelerator.

- :mod:`~lava_dmp.cost.hardware`: the hardware description and its sourced
  energy table (JSON in and out).
- :mod:`~lava_dmp.cost.counters`: what one step of each process costs.
- :mod:`~lava_dmp.cost.run_config`: ``NearMemorySimCfg``, Lava's fixed-point
  simulation with counters; :mod:`~lava_dmp.cost.profiler` registers its
  profiler with Lava.
- :mod:`~lava_dmp.cost.model`: cycles, energy, throughput, area.
- :mod:`~lava_dmp.cost.fast`: the same counts from the golden model.
- :mod:`~lava_dmp.cost.baselines`, :mod:`~lava_dmp.cost.report`: other
  designs on the same activity, the comparison with the paper.
"""

from lava_dmp.cost.hardware import HardwareSpec, load_hardware, preset
from lava_dmp.cost.model import CostReport, cost_of
from lava_dmp.cost.profiler import NearMemoryProfiler
from lava_dmp.cost.run_config import NearMemorySimCfg

__all__ = [
    "CostReport",
    "HardwareSpec",
    "NearMemoryProfiler",
    "NearMemorySimCfg",
    "cost_of",
    "load_hardware",
    "preset",
]
