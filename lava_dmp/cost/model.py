"""Cycles, energy, throughput and area of the near-memory DMP core from counts.

Per time step and layer (a neuron unit with the synapse units feeding it),
with ``F`` fused neuron lanes, the public model of the design gives

    path 1 (spikes)        = syn_ops / F             (events x N / F)
    path 2 (P m[k-1])      = ceil(N / F) d            at a memory refresh
    path 3 (nu x[k])       = ceil(N / F)              at a memory refresh
    path 4 (memory update) = d + 1                    at a memory refresh
    neuron update          = 3 ceil(N / F)            (readout: ceil(C / F))
    cycles = max(path 1..4) + neuron update           (fused, parallel paths)
    cycles = path 1 + ... + path 4 + neuron update    (unfused baseline)

Layers share the core, time-multiplexed: a step costs the sum over layers.
Energy is the sum over units of :func:`lava_dmp.cost.counters.path_energy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lava_dmp.cost.counters import (
    COUNTERS,
    MEMORIES,
    PATHS,
    Unit,
    features_from_counts,
    path_energy,
    unit_ops,
)
from lava_dmp.cost.hardware import HardwareSpec

__all__ = ["CostReport", "area_mm2", "cost_of", "layer_cycles", "merge_reports"]

#: Full-adder cells per NAND2-equivalent gate count: a 28-transistor mirror
#: adder over 4-transistor NAND2 gates (textbook, e.g. Weste & Harris).
GATES_PER_FULL_ADDER = 7
#: A flip-flop as NAND2 equivalents (Weste & Harris: about 6).
GATES_PER_FLIPFLOP = 6


@dataclass
class CostReport:
    """What one run (``samples`` inferences) costs on one design."""

    design: str
    steps: int
    samples: int
    step_s: np.ndarray  # modelled seconds per step
    energy_pj: dict[str, dict[str, float]]  # path -> component -> total pJ
    counts: dict[str, int] = field(default_factory=dict)  # counter -> total
    area: dict[str, float] = field(default_factory=dict)
    real_step_s: float = 1e-3
    cycles: np.ndarray | None = None  # per step, for cycle-level designs

    @property
    def total_energy(self) -> float:
        """Total energy in joules (Loihi profilers' ``total_energy``)."""
        return sum(sum(p.values()) for p in self.energy_pj.values()) * 1e-12

    @property
    def execution_time_per_step(self) -> np.ndarray:
        """Seconds per step on the modelled core."""
        return self.step_s

    @property
    def execution_time(self) -> float:
        return float(self.execution_time_per_step.sum())

    @property
    def power(self) -> float:
        """Average power in watts: energy over the modelled execution time."""
        return self.total_energy / self.execution_time if self.execution_time else 0.0

    @property
    def throughput(self) -> float:
        """Time steps per second."""
        return self.steps / self.execution_time if self.execution_time else math.inf

    def summary(self) -> dict:
        e_path = {p: sum(c.values()) for p, c in self.energy_pj.items()}
        e_mem: dict[str, float] = {}
        for comps in self.energy_pj.values():
            for comp, val in comps.items():
                e_mem[comp] = e_mem.get(comp, 0.0) + val
        return {
            "design": self.design,
            "steps": self.steps,
            "samples": self.samples,
            "cycles_per_step": None
            if self.cycles is None
            else float(self.cycles.mean()),
            "throughput_steps_per_s": self.throughput,
            "acceleration_vs_real_time": self.throughput * self.real_step_s,
            "latency_per_inference_s": self.execution_time / max(self.samples, 1),
            "energy_per_step_pj": self.total_energy * 1e12 / max(self.steps, 1),
            "energy_per_inference_nj": self.total_energy * 1e9 / max(self.samples, 1),
            "total_energy_j": self.total_energy,
            "power_w": self.power,
            "energy_by_path_pj": e_path,  # whole run
            "energy_by_component_pj": e_mem,
            "energy_per_inference_by_path_nj": {
                k: v * 1e-3 / max(self.samples, 1) for k, v in e_path.items()
            },
            "energy_per_inference_by_component_nj": {
                k: v * 1e-3 / max(self.samples, 1) for k, v in e_mem.items()
            },
            "counts": self.counts,
            "area_mm2": self.area,
        }


def merge_reports(reports: list[CostReport]) -> CostReport:
    """One report from reports of consecutive batches of the same design."""
    first = reports[0]
    energy = {
        p: {c: sum(r.energy_pj[p][c] for r in reports) for c in comps}
        for p, comps in first.energy_pj.items()
    }
    counts = {k: sum(r.counts.get(k, 0) for r in reports) for k in first.counts}
    cycles = None
    if first.cycles is not None:
        cycles = np.concatenate([r.cycles for r in reports])
    return CostReport(
        design=first.design,
        steps=sum(r.steps for r in reports),
        samples=sum(r.samples for r in reports),
        step_s=np.concatenate([r.step_s for r in reports]),
        energy_pj=energy,
        counts=counts,
        area=first.area,
        real_step_s=first.real_step_s,
        cycles=cycles,
    )


def layer_cycles(
    neuron: Unit,
    neuron_ops: dict[str, np.ndarray],
    syn_ops: np.ndarray,
    hw: HardwareSpec,
    fused: bool = True,
) -> np.ndarray:
    """Cycles per step of one layer (see the module docstring)."""
    f = hw.fused_neurons
    groups = math.ceil(neuron.n / f)
    p1 = np.ceil(syn_ops / f)
    if neuron.kind == "dmp":
        refresh = (neuron_ops["lmu_macs"] > 0).astype(np.int64)
        paths = [p1, groups * neuron.order * refresh, groups * refresh]
        paths.append((neuron.order + 1) * refresh)
        upd = 3 * groups * np.ones_like(p1)
    elif neuron.kind == "lif":
        paths, upd = [p1], 3 * groups * np.ones_like(p1)
    else:  # readout accumulators: one add per output
        paths = [p1]
        upd = groups * (neuron_ops["dendrite_updates"] > 0)
    body = np.max(paths, axis=0) if fused else np.sum(paths, axis=0)
    return (body + upd).astype(np.int64)


def area_mm2(
    hw: HardwareSpec, weight_bits: int | None = None, state_bits: int | None = None
) -> dict[str, float]:
    """Area estimate: SRAM macros plus datapath logic and registers.

    SRAM capacity is the hardware's unless the bits a network needs are
    given. Logic counts full adders of the datapath (per fused lane: the
    spike adder, the P m and nu x multiply-accumulators, the neuron unit with
    its leak multiplier; the memory-update unit: ``memory_order``
    multiply-accumulators) and flip-flops (the memory registers m[k], m[k-1],
    three partial sums per lane, the drive register). Control is not counted.
    """
    wb = weight_bits
    if wb is None:
        wb = (hw.weight_sram_kib + hw.coef_sram_kib) * 8192
    sb = state_bits if state_bits is not None else hw.state_sram_kib * 8192
    acc, cb, m, v = hw.acc_bits, hw.coef_bits, hw.m_bits, hw.v_bits
    mac_pm = cb * m + acc
    lane = acc + mac_pm + (cb * acc + acc) + (v * 12 + 2 * v)
    adders = hw.fused_neurons * lane + hw.memory_order * mac_pm
    flops = 2 * hw.memory_order * m + hw.fused_neurons * 3 * acc + acc
    gates = adders * GATES_PER_FULL_ADDER + flops * GATES_PER_FLIPFLOP
    sram = (wb + sb) * hw.sram_um2_per_bit * 1e-6
    logic = gates * hw.logic_um2_per_gate * 1e-6
    return {"sram": sram, "logic": logic, "total": sram + logic}


def _layers(units: dict[str, Unit]) -> list[tuple[Unit, list[Unit]]]:
    out = []
    for u in units.values():
        if u.kind in ("dmp", "lif", "readout"):
            syn = [
                s for s in units.values() if s.kind == "synapse" and s.target == u.name
            ]
            out.append((u, syn))
    return out


def cost_of(
    units: dict[str, Unit],
    counts: dict[str, np.ndarray],
    hw: HardwareSpec,
    samples: int = 1,
    fused: bool = True,
    design: str | None = None,
    real_step_s: float = 1e-3,
) -> CostReport:
    """Cost of counted steps on the DMP design (``fused``) or its unfused
    ElfCore-style variant (``fused=False``).

    ``counts`` are counter matrices per unit (from
    :meth:`NearMemorySimCfg.counts` or :func:`lava_dmp.cost.fast.golden_counts`);
    the ops are re-derived from the observed events so that another
    hardware description can cost the same run.
    """
    if not counts:
        raise ValueError("counts: nothing was counted (did the network run?)")
    steps = {len(c) for c in counts.values()}
    if len(steps) != 1:
        raise ValueError(f"counts: units counted different numbers of steps {steps}")
    n_steps = steps.pop()
    ops = {
        name: unit_ops(units[name], **features_from_counts(units[name], c))
        for name, c in counts.items()
    }
    cycles = np.zeros(n_steps, dtype=np.int64)
    for neuron, syns in _layers(units):
        syn = sum((ops[s.name]["syn_ops"] for s in syns), np.zeros(n_steps))
        cycles += layer_cycles(neuron, ops[neuron.name], syn, hw, fused=fused)
    energy = {p: {c: 0.0 for c in ("compute", *MEMORIES)} for p in PATHS}
    for name, o in ops.items():
        for p, comps in path_energy(units[name], o, hw, fused=fused).items():
            for comp, val in comps.items():
                energy[p][comp] += float(np.sum(val))
    totals = {
        k: int(sum(int(c[:, i].sum()) for c in counts.values()))
        for i, k in enumerate(COUNTERS)
    }
    return CostReport(
        design=design or (hw.name if fused else f"{hw.name}-unfused"),
        steps=n_steps,
        samples=samples,
        step_s=cycles / (hw.clock_mhz * 1e6),
        energy_pj=energy,
        counts=totals,
        area=area_mm2(hw),
        cycles=cycles,
        real_step_s=real_step_s,
    )
