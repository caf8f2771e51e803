"""What one time step of a process costs on the near-memory core: the formulas.

Written once and used by the instrumented Lava models
(:mod:`lava_dmp.cost.run_config`), by the numpy fast path
(:mod:`lava_dmp.cost.fast`) and by the cost model (:mod:`lava_dmp.cost.model`).

A *unit* is one Lava leaf process. From the events observed in a step (input
events, spikes sent, whether the memory was refreshed) follow the operation
counts, and from those the memory traffic in bits, split by datapath:

- ``spike``: sparse, input-stationary spike integration. An input event reads
  its weight column (``rows`` words of ``weight_bits``) and adds each weight
  into a partial sum (``syn_ops`` for W_f, ``drive_ops`` for the drive row
  w_x of a DMP layer).
- ``memory``: the output-stationary ``P m[k-1]`` (``p_macs = N d``) and
  ``nu x[k]`` (``nu_macs = N``) at each memory refresh. Each ``m`` element is
  read once per group of ``fused_neurons`` lanes (broadcast). P, nu, Abar
  and Bbar sit in their own small coefficient SRAM bank (``coef_read_bits``)
  next to the dense datapath; W_f and w_x in the weight SRAM.
- ``memory_update``: ``Abar m[k-1] + Bbar x[k]`` (``lmu_macs = d^2 + d``),
  then ``d`` memory words written back.
- ``neuron``: the fused update: one state read and one write per neuron and
  step (leak, integration of the partial sums, threshold, reset).

Partial sums of the fused design live in registers next to the neurons: each
add reads and writes one ``acc_bits`` register. The unfused variant
(``fused=False``, the ElfCore-style baseline) keeps them in the neuron-state
SRAM instead, makes the memory path input-stationary (each ``m`` element read
once, every partial sum read and written in SRAM) and reads the membrane and
both partial sums in a separate neuron pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lava_dmp.cost.hardware import HardwareSpec

__all__ = [
    "COUNTERS",
    "MEMORIES",
    "OPS",
    "PATHS",
    "Unit",
    "FEATURES",
    "counter_rows",
    "features_from_counts",
    "linear_basis",
    "path_energy",
    "path_traffic",
    "unit_ops",
]

OPS = (
    "spikes_in",
    "syn_ops",
    "drive_ops",
    "p_macs",
    "nu_macs",
    "lmu_macs",
    "dendrite_updates",
    "spikes_out",
)
MEMORIES = (
    "weight_read_bits",
    "coef_read_bits",
    "state_read_bits",
    "state_write_bits",
    "reg_read_bits",
    "reg_write_bits",
)
COUNTERS = OPS + MEMORIES
PATHS = ("spike", "memory", "memory_update", "neuron")
KINDS = ("synapse", "dmp", "lif", "readout", "io")


@dataclass(frozen=True)
class Unit:
    """One process as the cost model sees it.

    Attributes
    ----------
    kind : str
        ``synapse`` (Dense, Sparse), ``dmp``, ``lif``, ``readout`` or ``io``
        (sources and sinks: counted, not costed).
    n : int
        Output size: weight rows of a synapse, neurons otherwise.
    name : str
        Label in reports (the Lava process name).
    drive_rows : int
        Rows of a synapse that compute a DMP drive instead of a current.
    order, dilation : int
        Memory order ``d`` and update period of a DMP unit.
    target, source : str
        For a synapse: the names of the neuron unit it feeds (its layer) and
        of the unit that sends its input.
    """

    kind: str
    n: int
    name: str = ""
    drive_rows: int = 0
    order: int = 0
    dilation: int = 1
    target: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unit.kind: expected one of {KINDS}, got {self.kind!r}")


FEATURES = ("events", "reads", "refresh", "active", "spikes_out")


def _ops(n_steps: int, **given) -> dict[str, np.ndarray]:
    out = {k: np.zeros(n_steps, dtype=np.int64) for k in OPS}
    for key, val in given.items():
        out[key] = out[key] + np.asarray(val, dtype=np.int64)
    return out


def unit_ops(
    unit: Unit,
    events: np.ndarray,
    reads: np.ndarray,
    refresh: np.ndarray,
    active: np.ndarray,
    spikes_out: np.ndarray,
) -> dict[str, np.ndarray]:
    """Operation counts per step from what a process did in each step.

    Parameters
    ----------
    events : array
        Nonzero input messages received.
    reads : array
        Weight words read by a synapse (``events * rows`` for Dense, the
        nonzeros of the active columns for Sparse).
    refresh : array
        1 where a DMP unit refreshed its memory.
    active : array
        1 where a LIF or readout unit updated its neurons.
    spikes_out : array
        Nonzero messages sent.
    """
    steps = len(events)
    n, d = unit.n, unit.order
    if unit.kind == "synapse":
        drive = np.asarray(events) * unit.drive_rows
        return _ops(
            steps,
            spikes_in=events,
            syn_ops=np.asarray(reads) - drive,
            drive_ops=drive,
        )
    if unit.kind == "dmp":
        r = np.asarray(refresh, dtype=np.int64)
        return _ops(
            steps,
            p_macs=r * n * d,
            nu_macs=r * n,
            lmu_macs=r * (d * d + d),
            dendrite_updates=np.full(steps, n),
            spikes_out=spikes_out,
        )
    if unit.kind in ("lif", "readout"):
        a = np.asarray(active, dtype=np.int64)
        return _ops(steps, dendrite_updates=a * n, spikes_out=spikes_out)
    return _ops(steps, spikes_in=events, spikes_out=spikes_out)


def features_from_counts(unit: Unit, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Invert :func:`unit_ops` from a counter matrix (for re-costing)."""
    c = {k: counts[:, i] for i, k in enumerate(COUNTERS)}
    return {
        "events": c["spikes_in"],
        "reads": c["syn_ops"] + c["drive_ops"],
        "refresh": (c["lmu_macs"] > 0).astype(np.int64),
        "active": (c["dendrite_updates"] > 0).astype(np.int64),
        "spikes_out": c["spikes_out"],
    }


def linear_basis(unit: Unit, hw: HardwareSpec) -> tuple[np.ndarray, np.ndarray]:
    """``(c0, B)`` with ``counters = c0 + features @ B`` (the counts are
    linear in the features); lets an instrumented model count in a few
    vector operations per step."""
    zeros = {f: np.zeros(1, dtype=np.int64) for f in FEATURES}
    c0 = counter_rows(unit, unit_ops(unit, **zeros), hw)[0]
    rows = []
    for f in FEATURES:
        one = dict(zeros, **{f: np.ones(1, dtype=np.int64)})
        rows.append(counter_rows(unit, unit_ops(unit, **one), hw)[0] - c0)
    return c0, np.stack(rows)


def _zero(n_steps: int) -> dict[str, np.ndarray]:
    return {m: np.zeros(n_steps, dtype=np.int64) for m in MEMORIES}


def path_traffic(
    unit: Unit, ops: dict[str, np.ndarray], hw: HardwareSpec, fused: bool = True
) -> dict[str, dict[str, np.ndarray]]:
    """Memory traffic in bits, per datapath and memory, for each step."""
    steps = len(ops["spikes_in"])
    out = {p: _zero(steps) for p in PATHS}
    acc, f = hw.acc_bits, hw.fused_neurons
    if unit.kind == "synapse":
        adds = ops["syn_ops"] + ops["drive_ops"]
        t = out["spike"]
        t["weight_read_bits"] += adds * hw.weight_bits
        where = "reg" if fused else "state"
        t[f"{where}_read_bits"] += adds * acc
        t[f"{where}_write_bits"] += adds * acc
    elif unit.kind == "dmp":
        n, d = unit.n, unit.order
        refresh = (ops["lmu_macs"] > 0).astype(np.int64)
        macs = ops["p_macs"] + ops["nu_macs"]
        t = out["memory"]
        t["coef_read_bits"] += macs * hw.coef_bits
        if fused:  # output-stationary: m and x broadcast to f lanes
            groups = math.ceil(n / f)
            t["reg_read_bits"] += refresh * groups * (d * hw.m_bits + acc)
            t["reg_read_bits"] += macs * acc
            t["reg_write_bits"] += macs * acc
        else:  # input-stationary: each m, x read once; partial sums in SRAM
            t["reg_read_bits"] += refresh * (d * hw.m_bits + acc)
            t["state_read_bits"] += macs * acc
            t["state_write_bits"] += macs * acc
        t = out["memory_update"]
        t["coef_read_bits"] += ops["lmu_macs"] * hw.coef_bits
        t["reg_read_bits"] += ops["lmu_macs"] * acc + refresh * (d * hw.m_bits + acc)
        t["reg_write_bits"] += ops["lmu_macs"] * acc + refresh * d * hw.m_bits
        t = out["neuron"]
        upd = ops["dendrite_updates"]
        held = acc if unit.dilation > 1 else 0  # I_m kept between refreshes
        t["state_read_bits"] += upd * (hw.v_bits + held)
        t["state_write_bits"] += upd * hw.v_bits + refresh * n * held
        if fused:
            t["reg_read_bits"] += upd * acc
        else:  # a separate pass reads both partial sums and clears them
            t["state_read_bits"] += upd * 2 * acc
            t["state_write_bits"] += upd * 2 * acc
    elif unit.kind == "lif":
        t = out["neuron"]
        upd = ops["dendrite_updates"]
        t["state_read_bits"] += upd * 2 * hw.v_bits  # current u and voltage v
        t["state_write_bits"] += upd * 2 * hw.v_bits
        t["reg_read_bits" if fused else "state_read_bits"] += upd * acc
    elif unit.kind == "readout":
        t = out["neuron"]
        upd = ops["dendrite_updates"]
        t["state_read_bits"] += upd * acc
        t["state_write_bits"] += upd * acc
        t["reg_read_bits" if fused else "state_read_bits"] += upd * acc
    return out


def counter_rows(
    unit: Unit, ops: dict[str, np.ndarray], hw: HardwareSpec
) -> np.ndarray:
    """Counter matrix ``(steps, len(COUNTERS))``: ops then bits per memory."""
    traffic = path_traffic(unit, ops, hw)
    cols = [ops[k] for k in OPS]
    cols += [sum(traffic[p][m] for p in PATHS) for m in MEMORIES]
    return np.stack(cols, axis=1).astype(np.int64)


def compute_energy(
    unit: Unit, ops: dict[str, np.ndarray], hw: HardwareSpec
) -> dict[str, np.ndarray]:
    """Arithmetic energy (pJ) per datapath and step, memory excluded."""
    acc = hw.acc_bits
    add = hw.add_pj(acc)
    steps = len(ops["spikes_in"])
    out = {p: np.zeros(steps) for p in PATHS}
    out["spike"] += (ops["syn_ops"] + ops["drive_ops"]) * add
    out["memory"] += ops["p_macs"] * (hw.mult_pj(hw.coef_bits, hw.m_bits) + add)
    out["memory"] += ops["nu_macs"] * (hw.mult_pj(hw.coef_bits, acc) + add)
    out["memory_update"] += ops["lmu_macs"] * (
        hw.mult_pj(hw.coef_bits, hw.m_bits) + add
    )
    upd = ops["dendrite_updates"]
    leak = hw.mult_pj(hw.v_bits, 12)  # v * (4096 - dv) >> 12
    if unit.kind == "dmp":  # leak, integrate, compare
        out["neuron"] += upd * (leak + 2 * hw.add_pj(hw.v_bits))
    elif unit.kind == "lif":  # two decays, two integrations, compare
        out["neuron"] += upd * (2 * leak + 3 * hw.add_pj(hw.v_bits))
    elif unit.kind == "readout":
        out["neuron"] += upd * add
    return out


def path_energy(
    unit: Unit, ops: dict[str, np.ndarray], hw: HardwareSpec, fused: bool = True
) -> dict[str, dict[str, np.ndarray]]:
    """Energy (pJ) per datapath and per component (compute and each memory).

    Memory energies: SRAM bits times :meth:`HardwareSpec.sram_bit_pj` of the
    weight or state SRAM, register bits times :meth:`HardwareSpec.reg_bit_pj`.
    """
    traffic = path_traffic(unit, ops, hw, fused=fused)
    compute = compute_energy(unit, ops, hw)
    per_bit = {
        "weight_read_bits": hw.sram_bit_pj(hw.weight_sram_kib),
        "coef_read_bits": hw.sram_bit_pj(hw.coef_sram_kib),
        "state_read_bits": hw.sram_bit_pj(hw.state_sram_kib),
        "state_write_bits": hw.sram_bit_pj(hw.state_sram_kib, write=True),
        "reg_read_bits": hw.reg_bit_pj(),
        "reg_write_bits": hw.reg_bit_pj(),
    }
    out = {}
    for p in PATHS:
        parts = {"compute": compute[p]}
        for mem in MEMORIES:
            parts[mem] = traffic[p][mem] * per_bit[mem]
        out[p] = parts
    return out
