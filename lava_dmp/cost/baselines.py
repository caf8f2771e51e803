"""Baseline designs costed on the same measured activity as the DMP network.

Every baseline takes the per-layer activity of the DMP run (input events,
spikes, memory refreshes per step; :class:`LayerActivity`) and keeps each
layer's spike rate per neuron: we have no trained delay or recurrent SNN, so
their activity is *assumed* equal to the DMP network's. Parameters are fixed
here, with sources, before any comparison; nothing is fitted to the paper's
ratios.

(a) ElfCore-style: the same core without operator fusion and without mixed
    stationarity (:func:`lava_dmp.cost.model.cost_of` with ``fused=False``).
(b) Loihi-like: a delay-based feedforward SNN of the same layer sizes (the
    paper's DSNN) on Loihi cores, one layer per core, cores in parallel,
    per-operation energies and times of Loihi (:class:`LoihiLike`).
(c) ReckOn-like: a recurrent SNN (each hidden layer with an N x N recurrent
    matrix) on one time-multiplexed event-driven core, one synaptic operation
    per cycle, in our technology table (:func:`reckon_like`).
(d) DMP-256: the DMP design and network with every hidden layer doubled
    (:func:`dmp_scaled`), on the ``double`` hardware preset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lava_dmp.cost.counters import (
    Unit,
    counter_rows,
    features_from_counts,
    unit_ops,
)
from lava_dmp.cost.hardware import EnergyEntry, HardwareSpec
from lava_dmp.cost.model import GATES_PER_FULL_ADDER, CostReport, cost_of

__all__ = [
    "BASELINE_NAMES",
    "ELFCORE",
    "LOIHI",
    "APPROXIMATE",
    "shown_name",
    "RECKON",
    "LayerActivity",
    "LoihiLike",
    "activity",
    "dmp_scaled",
    "loihi_like",
    "reckon_like",
]

#: Design names of the baselines (a), (b), (c) in reports; reserved for them
#: (:func:`lava_dmp.cost.hardware.reserved_names`).
ELFCORE, LOIHI, RECKON = "elfcore-like", "loihi-like", "reckon-like"
BASELINE_NAMES = (ELFCORE, LOIHI, RECKON)
#: designs whose figures are approximate, with why; every output that shows
#: one marks it (a "~" after its name in tables and figures, a note in JSON)
APPROXIMATE = {
    LOIHI: "approximate: the per-op figures of Davies et al., IEEE Micro 2018 "
    "(23.6 pJ per synaptic op, 52 pJ per neuron update, 1.7 pJ per spike, "
    "3.5 ns and 8.4 ns) are recalled values not checked here against the "
    "paper's table",
}


def shown_name(design: str) -> str:
    """``design`` as tables and figures show it: approximate ones with "~"."""
    return design + "~" if design in APPROXIMATE else design


DAVIES = (
    "Davies et al., 'Loihi: a neuromorphic manycore processor with on-chip "
    "learning', IEEE Micro 38(1), 2018, Table 1 (Loihi, 14 nm)"
)


@dataclass
class LayerActivity:
    """One layer of a fast-path run: sizes and per-step events."""

    kind: str  # "dmp" or "readout"
    m_in: int
    n: int
    order: int
    dilation: int
    events: np.ndarray  # input events per step
    spikes: np.ndarray  # output spikes per step (0 for the readout)
    refresh: np.ndarray


def activity(
    units: dict[str, Unit], counts: dict[str, np.ndarray]
) -> list[LayerActivity]:
    """Per-layer activity from the fast path's units (``L0.dense``, ``L0.dmp``,
    ..., ``readout.dense``, ``readout``)."""
    layers, i = [], 0
    m_in = None
    while f"L{i}.dmp" in units:
        syn = features_from_counts(units[f"L{i}.dense"], counts[f"L{i}.dense"])
        neu = features_from_counts(units[f"L{i}.dmp"], counts[f"L{i}.dmp"])
        u = units[f"L{i}.dmp"]
        layers.append(
            LayerActivity(
                "dmp",
                m_in or 0,
                u.n,
                u.order,
                u.dilation,
                syn["events"],
                neu["spikes_out"],
                neu["refresh"],
            )
        )
        m_in = u.n
        i += 1
    if "readout" in units:
        syn = features_from_counts(units["readout.dense"], counts["readout.dense"])
        z = np.zeros_like(syn["events"])
        layers.append(
            LayerActivity(
                "readout", m_in or 0, units["readout"].n, 0, 1, syn["events"], z, z
            )
        )
    return layers


def dmp_scaled(
    units: dict[str, Unit],
    counts: dict[str, np.ndarray],
    hw: HardwareSpec,
    factor: int = 2,
    samples: int = 1,
) -> CostReport:
    """The DMP network with hidden layers ``factor`` times wider, on ``hw``.

    Per-neuron spike rates are kept: a layer fed by a widened layer receives
    ``factor`` times the events; first-layer inputs are unchanged.
    """
    new_units, new_counts = {}, {}
    widened_input = False
    for name, u in units.items():
        c = counts[name]
        feats = features_from_counts(u, c)
        if u.kind == "synapse":
            rows = (
                u.n
                if u.target == "readout"
                else (u.n - u.drive_rows) * factor + u.drive_rows
            )
            nu = Unit(u.kind, rows, u.name, u.drive_rows, target=u.target)
            if widened_input:
                feats["events"] = feats["events"] * factor
            feats["reads"] = feats["events"] * rows
        elif u.kind in ("dmp", "lif"):  # a hidden layer (lif: memory off)
            nu = Unit(u.kind, u.n * factor, u.name, order=u.order, dilation=u.dilation)
            feats["spikes_out"] = feats["spikes_out"] * factor
            widened_input = True
        else:
            nu = u
        new_units[name] = nu
        new_counts[name] = counter_rows(nu, unit_ops(nu, **feats), hw)
    return cost_of(new_units, new_counts, hw, samples=samples, design=hw.name)


@dataclass
class LoihiLike:
    """Per-operation costs of a Loihi core (sourced; see each entry)."""

    synop: EnergyEntry = EnergyEntry(
        23.6, "pJ", DAVIES + ": synaptic spike op (as recalled)"
    )
    neuron_update: EnergyEntry = EnergyEntry(
        52.0, "pJ", DAVIES + ": neuron update (as recalled, not re-checked here)"
    )
    spike: EnergyEntry = EnergyEntry(
        1.7, "pJ", DAVIES + ": within-tile spike energy (as recalled)"
    )
    t_synop: EnergyEntry = EnergyEntry(
        3.5, "ns", DAVIES + ": synaptic op time (as recalled)"
    )
    t_neuron: EnergyEntry = EnergyEntry(
        8.4, "ns", DAVIES + ": neuron update time (as recalled)"
    )


def loihi_like(
    layers: list[LayerActivity], params: LoihiLike | None = None, samples: int = 1
) -> CostReport:
    """Energy and time of the same-size delay SNN on Loihi-like cores.

    Delays cost nothing extra here (Loihi accumulates delayed input in its
    dendritic ring buffers within the synaptic op), and barrier
    synchronisation between steps is not counted: both favour Loihi.
    """
    p = params or LoihiLike()
    steps = len(layers[0].events)
    e_syn = e_neu = 0.0
    core_ns = []
    n_syn = 0
    for layer in layers:
        synops = layer.events * layer.n
        n_syn += int(synops.sum())
        e_syn += float(synops.sum()) * p.synop.value
        e_neu += steps * layer.n * p.neuron_update.value
        e_neu += float(layer.spikes.sum()) * p.spike.value
        core_ns.append(synops * p.t_synop.value + layer.n * p.t_neuron.value)
    return CostReport(
        design=LOIHI,
        steps=steps,
        samples=samples,
        step_s=np.max(core_ns, axis=0) * 1e-9,
        energy_pj={"spike": {"compute": e_syn}, "neuron": {"compute": e_neu}},
        counts={"syn_ops": n_syn},
    )


def reckon_like(
    layers: list[LayerActivity], hw: HardwareSpec, samples: int = 1
) -> CostReport:
    """A ReckOn-like recurrent SNN core in our technology table.

    Each hidden layer gets an N x N recurrent matrix; its recurrent input in a
    step is its own spikes of the step before. The core is time-multiplexed:
    one synaptic operation per cycle (weight SRAM read, state SRAM
    read-modify-write of the membrane, one add) and one cycle per neuron
    for the leak (state read and write, one multiply). Readout as in DMP.
    """
    steps = len(layers[0].events)
    w_need = sum(
        (lay.m_in + (lay.n if lay.kind == "dmp" else 0)) * lay.n * hw.weight_bits
        for lay in layers
    )
    # SRAM sized as the DMP presets are: what the network needs, rounded up
    # to a power of two of KiB
    w_bits = 8192 * 2 ** math.ceil(math.log2(max(w_need / 8192, 1)))
    s_bits = 8192 * 2 ** math.ceil(
        math.log2(max(sum(lay.n for lay in layers) * hw.v_bits / 8192, 1))
    )
    e_w = hw.sram_bit_pj(w_bits / 8192) * hw.weight_bits
    e_s = hw.sram_bit_pj(s_bits / 8192) * hw.v_bits
    e_s_w = hw.sram_bit_pj(s_bits / 8192, write=True) * hw.v_bits
    e_syn_op = e_w + e_s + e_s_w + hw.add_pj(hw.v_bits)
    e_leak = e_s + e_s_w + hw.mult_pj(hw.v_bits, 12) + hw.add_pj(hw.v_bits)
    cycles = np.zeros(steps, dtype=np.int64)
    e_syn = e_neu = 0.0
    n_syn = 0
    for lay in layers:
        rec = np.concatenate([[0], lay.spikes[:-1]]) if lay.kind == "dmp" else 0
        synops = (lay.events + rec) * lay.n
        n_syn += int(synops.sum())
        cycles += synops + lay.n
        e_syn += float(synops.sum()) * e_syn_op
        e_neu += steps * lay.n * e_leak
    sram = (w_bits + s_bits) * hw.sram_um2_per_bit * 1e-6
    # one adder and one leak multiplier, as NAND2 equivalents (see model.py)
    gates = (hw.v_bits + hw.v_bits * 12) * GATES_PER_FULL_ADDER
    logic = gates * hw.logic_um2_per_gate * 1e-6
    return CostReport(
        design=RECKON,
        steps=steps,
        samples=samples,
        step_s=cycles / (hw.clock_mhz * 1e6),
        energy_pj={"spike": {"compute": e_syn}, "neuron": {"compute": e_neu}},
        counts={"syn_ops": n_syn},
        area={"sram": sram, "logic": logic, "total": sram + logic},
        cycles=cycles,
    )
