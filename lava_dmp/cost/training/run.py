"""What a training run costs on the RRAM training accelerator, per design.

:func:`workload` describes a run by hand (sizes, memory orders, steps, batch,
batches, activity); :func:`workload_from_checkpoint` reads the run a
checkpoint trained (its sizes, ``T``, ``B``, the batches of every epoch so
far, and the activity the trainer logged). :func:`cost` simulates a design:
a whole run event by event (``window=None``), or ``window`` batches and the
rest extrapolated from the steady state (every batch is the same work, so
once the pipeline has filled each further batch adds the same time):

    time(n) = time(w) + (n - w) (time(w) - time(w - 1))

Energy and counts scale exactly with the batches (they are the same every
batch); buffer capacity and utilisation come from the simulated window.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from lava_dmp._checks import check_int
from lava_dmp.cost.training.hardware import TrainingHardware
from lava_dmp.cost.training.pipeline import (
    DESIGNS,
    Layer,
    Workload,
    build,
    energy_pj,
    peak_buffer_bits,
)

__all__ = [
    "workload",
    "workload_from_checkpoint",
    "TrainingCost",
    "cost",
    "compare",
    "PAPER_CLAIMS",
]

#: the PipeSDFA paper's claims against PipeLayer (its abstract)
PAPER_CLAIMS = {"time": (1.1, 10.5), "energy": (1.37, 2.1)}


def workload(
    sizes: tuple[int, ...],
    orders: tuple[int, ...] | int,
    steps: int,
    batch: int,
    batches: int,
    input_active: float,
    spikes: list[float] | tuple[float, ...],
) -> Workload:
    """A run by hand: ``sizes`` (inputs, hidden..., classes), memory
    ``orders`` per hidden layer (0: plain LIF), mean nonzero inputs per step
    and mean spikes per step of each hidden layer."""
    sizes = tuple(check_int("sizes", s, minimum=1) for s in sizes)
    hidden = len(sizes) - 2
    if hidden < 1:
        raise ValueError(f"sizes: need input, >= 1 hidden and output, got {sizes}")
    if isinstance(orders, int):
        orders = (orders,) * hidden
    if len(orders) != hidden or len(spikes) != hidden:
        raise ValueError(
            f"orders, spikes: one per hidden layer ({hidden}), got {len(orders)} "
            f"and {len(spikes)}"
        )
    layers, active = [], float(input_active)
    for k in range(hidden):
        layers.append(
            Layer(
                sizes[k],
                sizes[k + 1],
                int(orders[k]),
                "hidden",
                active,
                float(spikes[k]),
            )
        )
        active = float(spikes[k])
    layers.append(Layer(sizes[-2], sizes[-1], 0, "readout", active))
    return Workload(
        layers,
        check_int("steps", steps, minimum=1),
        check_int("batch", batch, minimum=1),
        check_int("batches", batches, minimum=1),
    )


def workload_from_checkpoint(
    path: str | os.PathLike, batches: int | None = None
) -> tuple[Workload, dict]:
    """The run a checkpoint trained: its network, ``T``, ``B``, the batches of
    its epochs (or ``batches``) and the activity logged by the trainer (mean
    inputs and spikes per sample and step, averaged over the steps).

    Returns ``(workload, info)``; ``info`` says what was read.
    """
    from lava_dmp.train.checkpoint import load_checkpoint, net_config

    state = load_checkpoint(path)
    net = net_config(state, path)
    act = state.get("activity")
    if not act or not act.get("samples"):
        raise ValueError(
            f"checkpoint: {path} has no logged activity (trained before lava-dmp "
            f"logged it); give the sizes and activity by hand (workload())"
        )
    n = act["samples"]
    inputs = np.asarray(act["inputs"]) / n
    spikes = [np.asarray(s) / n for s in act["spikes"]]
    steps = len(inputs)
    tr = state["train"]
    epochs = state["epoch"]
    per_epoch = math.ceil(n / max(epochs, 1) / tr["batch_size"])
    total = batches if batches is not None else per_epoch * epochs
    orders = tuple(net.order if net.memory else 0 for _ in net.sizes[1:-1])
    work = workload(
        net.sizes,
        orders,
        steps,
        tr["batch_size"],
        total,
        float(inputs.mean()),
        [float(s.mean()) for s in spikes],
    )
    info = {
        "checkpoint": str(path),
        "rule": tr.get("rule", "bptt"),
        "task": tr["task"],
        "epochs": epochs,
        "samples_logged": n,
        "mean_input_events_per_step": float(inputs.mean()),
        "mean_spikes_per_step": [float(s.mean()) for s in spikes],
    }
    return work, info


@dataclass
class TrainingCost:
    """One design's cost of a run."""

    design: str
    seconds: float
    energy_pj: dict[str, float]
    buffer_kib: float
    utilisation: dict[str, float]
    simulated_batches: int
    extrapolated: bool

    @property
    def energy_j(self) -> float:
        return sum(self.energy_pj.values()) * 1e-12

    def summary(self) -> dict:
        return {
            "design": self.design,
            "seconds": self.seconds,
            "energy_j": self.energy_j,
            "energy_by_component_j": {k: v * 1e-12 for k, v in self.energy_pj.items()},
            "buffer_kib": self.buffer_kib,
            "utilisation": self.utilisation,
            "simulated_batches": self.simulated_batches,
            "extrapolated": self.extrapolated,
        }


def cost(
    design: str,
    work: Workload,
    hw: TrainingHardware | None = None,
    window: int | None = 3,
) -> TrainingCost:
    """Simulate ``design`` on ``work`` (a window of batches, extrapolated,
    or the whole run with ``window=None``)."""
    hw = hw or TrainingHardware()
    if design not in DESIGNS:
        raise ValueError(f"design: must be one of {tuple(DESIGNS)}, got {design!r}")
    n = work.batches
    if window is None or window >= n:
        built = build(design, work, hw)
        timing = built.schedule.run()
        seconds = timing.makespan * 1e-9
        sim, extra = n, False
        counts = built.counts
    else:
        w = max(2, check_int("window", window, minimum=2))
        small = build(design, work, hw, batches=w - 1).schedule.run().makespan
        built = build(design, work, hw, batches=w)
        timing = built.schedule.run()
        per_batch = timing.makespan - small
        seconds = (timing.makespan + (n - w) * per_batch) * 1e-9
        sim, extra = w, True
        counts = {k: v / w * n for k, v in built.counts.items()}
    return TrainingCost(
        design=design,
        seconds=seconds,
        energy_pj=energy_pj(counts, hw),
        buffer_kib=peak_buffer_bits(built, timing) / 8192,
        utilisation={k: round(v, 4) for k, v in timing.utilisation().items()},
        simulated_batches=sim,
        extrapolated=extra,
    )


def compare(
    work: Workload, hw: TrainingHardware | None = None, window: int | None = 3
) -> dict:
    """Every design on ``work``, and the ratios against the BPTT baseline."""
    hw = hw or TrainingHardware()
    costs = {d: cost(d, work, hw, window) for d in DESIGNS}
    base = costs["pipelayer-bptt"]
    ratios = {
        d: {
            "time": base.seconds / c.seconds,
            "energy": base.energy_j / c.energy_j,
        }
        for d, c in costs.items()
        if d != "pipelayer-bptt"
    }
    return {
        "designs": {d: c.summary() for d, c in costs.items()},
        "ratios": ratios,
        "paper_claims": PAPER_CLAIMS,
        "hardware": hw.to_dict(),
        "crossbars": _crossbars(work, hw),
    }


def _crossbars(work: Workload, hw: TrainingHardware) -> dict:
    """The silicon compared: the same weight crossbars and ADCs for every
    design; what each adds on top (the baseline's W^T periphery, PipeSDFA's
    random-matrix arrays)."""
    weights = sum(hw.tiles(ly.m, ly.cols) for ly in work.layers)
    memory = sum(hw.tiles(ly.order, ly.n) for ly in work.layers if ly.order)
    tiles = (weights + memory) * hw.replication
    adcs = tiles * math.ceil(hw.crossbar_cols / hw.cols_per_adc)
    return {
        "weight_crossbars": tiles,
        "adcs": adcs,
        "bptt_transposed_adcs": tiles * math.ceil(hw.crossbar_rows / hw.cols_per_adc),
        "sdfa_projection_crossbars": sum(
            hw.tiles(work.classes, ly.n) for ly in work.hidden
        ),
    }
