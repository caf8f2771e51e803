r"""The two training pipelines, as operations for the scheduler, and their
energy.

A network is a list of :class:`Layer` (hidden DMP or LIF layers, then the
readout) with its activity: the mean number of nonzero inputs and of spikes
per sample and step, logged during training. :func:`build` turns ``batches``
batches of ``B`` samples of ``T`` steps into operations on these resources:

``xbar Lk``   layer k's synapse crossbars ``[W_f; w_x]`` (all its tiles work
              in parallel; each tile's columns share its ADCs)
``mem Lk``    layer k's memory crossbars ``P = W_m A_bar`` (DMP layers)
``dig Lk``    layer k's digital lanes: neuron and memory updates, the
              backward's element-wise work, gradient accumulation
``proj Lk``   the random feedback array of hidden layer k (PipeSDFA)
``out``       the error unit after the readout

Operations (``s`` sample, ``t`` step):

* forward ``X(k,s,t)`` on ``xbar`` (1-bit spikes: one read, the ADCs convert
  their columns in turn), ``M(k,s,t)`` on ``mem`` (``P m[t-1]``, the memory
  fed bit-serially), ``N(k,s,t)`` on ``dig`` (``nu x``, the memory update
  ``A m + B x``, the membrane). ``X(k,s,t)`` waits for ``N(k-1,s,t)``;
  ``M`` and ``N`` for ``N(k,s,t-1)``. The hardware form ``P m[t-1] + nu x[t]``
  lets ``X`` and ``M`` run side by side.
* the output error ``E(s)`` after the readout's last step.
* **PipeLayer-style BPTT** (the baseline): backward in reverse time and layer
  order, ``D(k,s,t)`` on ``dig`` (surrogate, membrane recurrence, memory
  adjoint, gradient accumulation) after ``D(k,s,t+1)`` and the error from
  above, ``T(k+1,s,t)``: the layer above's transposed read ``W^T delta`` on
  ``xbar L(k+1)``, the error fed bit-serially (``error_bits`` reads; the
  same arrays as the forward, their rows sensed by ADCs of their own: the
  ``W^T`` periphery). Every layer's state stays in a LIFO buffer from its
  forward step to its backward step. After the last sample of a batch the
  weights are written (``U``, row by row); the next batch starts after
  them: the update bubble.
* **PipeSDFA**: no ``W^T``. After ``E(s)`` one projection ``P(k,s)`` per
  hidden layer on its own array, all in parallel. ``sdfa``: each layer's
  backward in reverse time on its own, ``D(k,s,t)`` after ``P(k,s)`` and
  ``D(k,s,t+1)`` (a LIFO within the layer); ``sdfa-local``: the gradient's
  eligibility sums are accumulated during the forward (``A(k,s,t)`` after
  ``N(k,s,t)``, a FIFO of one step) and scaled by the projection at the end
  (``D(k,s)``). The update of batch ``b`` is written while batch ``b + 1``
  runs (its row writes take the arrays between reads, at lower priority),
  so batch ``b + 1`` runs on weights one batch stale: ``--update-delay 1``
  of the trainer. Batch ``b + 2`` waits for it.

Samples follow each other through the pipeline as the resources allow
(oldest sample first on a shared resource).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lava_dmp.cost.training.hardware import TrainingHardware
from lava_dmp.cost.training.schedule import Schedule

__all__ = [
    "Layer",
    "Workload",
    "Built",
    "build",
    "DESIGNS",
    "energy_pj",
    "COMPONENTS",
    "peak_buffer_bits",
]

#: the designs compared: (pipeline, rule inside the layers)
DESIGNS = {
    "pipelayer-bptt": "bptt",
    "pipesdfa": "sdfa",
    "pipesdfa-local": "sdfa-local",
}
#: energy components reported
COMPONENTS = ("array_read", "adc", "dac", "write", "buffer", "digital")


@dataclass
class Layer:
    """One weight layer and its activity (means per sample and step).

    Attributes
    ----------
    m, n : int
        Inputs and outputs (neurons, or classes for the readout).
    order : int
        Memory order ``d`` (0: a plain LIF layer or the readout).
    kind : str
        ``'hidden'`` or ``'readout'``.
    in_active : float
        Nonzero inputs per step (spikes of the layer below, or input events).
    out_spikes : float
        Spikes per step (hidden layers).
    """

    m: int
    n: int
    order: int = 0
    kind: str = "hidden"
    in_active: float = 0.0
    out_spikes: float = 0.0

    @property
    def cols(self) -> int:
        """Weight columns: the neurons, plus the drive row of a DMP layer."""
        return self.n + (1 if self.order else 0)


@dataclass
class Workload:
    """A training run: layers, steps, batch, batches and the classes."""

    layers: list[Layer]
    steps: int
    batch: int
    batches: int
    counts: dict[str, float] = field(default_factory=dict)

    @property
    def hidden(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind == "hidden"]

    @property
    def classes(self) -> int:
        return self.layers[-1].n


@dataclass
class Built:
    """The operations of a design, the counts that price them, and the
    buffer entries ``(written by op, released by op, bits)``."""

    schedule: Schedule
    counts: dict[str, float]
    buffers: list[tuple[int, int, int]]


def peak_buffer_bits(built: Built, timing) -> int:
    """The largest number of buffered bits alive at once in a schedule."""
    events = []
    for produce, release, bits in built.buffers:
        events.append((float(timing.end[produce]), bits))
        events.append((float(timing.end[release]), -bits))
    live = peak = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):  # frees first
        live += delta
        peak = max(peak, live)
    return peak


def _cycles(hw: TrainingHardware, ops: float) -> float:
    """Digital work of ``ops`` operations on ``digital_lanes`` lanes (ns)."""
    return math.ceil(ops / hw.digital_lanes) * hw.cycle_ns


def _add(counts: dict, key: str, value: float) -> None:
    counts[key] = counts.get(key, 0.0) + value


def _read_counts(hw, counts, rows_active, rows, cols, bits, transposed=False):
    """One VMM of ``bits`` input bits on a ``rows x cols`` weight matrix held
    in crossbars: cells read, ADC conversions and DAC row-bits."""
    slices = hw.slices
    row_tiles = math.ceil(rows / hw.crossbar_rows)
    col_tiles = math.ceil(cols * slices / hw.crossbar_cols)
    _add(counts, "cells_read", bits * rows_active * cols * slices)
    if transposed:  # outputs along the rows: one conversion per row and slice
        _add(counts, "adc_transposed", bits * rows * slices * col_tiles)
        _add(counts, "dac_row_bits", bits * cols * slices)
    else:
        _add(counts, "adc", bits * cols * slices * row_tiles)
        _add(counts, "dac_row_bits", bits * rows_active)
    _add(counts, "shift_add", bits * cols * (slices + row_tiles))


def build(
    design: str,
    work: Workload,
    hw: TrainingHardware,
    batches: int | None = None,
) -> Built:
    """Operations of ``batches`` batches (default: all of ``work``) of one
    design, the counts that price them (:func:`energy_pj`) and the buffer
    entries (:func:`peak_buffer_bits`)."""
    if design not in DESIGNS:
        raise ValueError(f"design: must be one of {tuple(DESIGNS)}, got {design!r}")
    rule = DESIGNS[design]
    nb = work.batches if batches is None else batches
    sched, counts, buffers = Schedule(), {}, []
    L, T, B = len(work.layers), work.steps, work.batch
    layers = work.layers
    vmm = hw.vmm_bit_ns()
    nu_ops = lambda ly: 2 * ly.n if ly.order else 0  # noqa: E731
    last_update: list[list[int]] = [[] for _ in range(nb + 2)]  # per batch
    prev_step = {}
    for b in range(nb):
        wait = []
        if b >= 1 and rule == "bptt":
            wait = last_update[b - 1]  # the update bubble
        elif b >= 2:
            wait = last_update[b - 2]  # at most one batch stale
        for s in range(B):
            prio = b * B + s  # oldest sample first
            last_n, last_a, state = {}, {}, {}
            grads = []
            for t in range(T):
                below = None
                for k, ly in enumerate(layers):
                    tag = f"b{b} s{s} t{t} L{k}"
                    deps = [below] if below is not None else list(wait)
                    x = sched.add(f"X {tag}", f"xbar L{k}", vmm, deps, prio, "forward")
                    _read_counts(hw, counts, ly.in_active, ly.m, ly.cols, 1)
                    step_deps = [x]
                    if prev_step.get(k) is not None and prev_step[k][0] == (b, s):
                        step_deps.append(prev_step[k][1])
                    if ly.order:
                        md = (
                            [prev_step[k][1]]
                            if prev_step.get(k) and prev_step[k][0] == (b, s)
                            else list(wait)
                        )
                        mm = sched.add(
                            f"M {tag}",
                            f"mem L{k}",
                            hw.state_bits * vmm,
                            md,
                            prio,
                            "forward",
                        )
                        _read_counts(
                            hw, counts, ly.order, ly.order, ly.n, hw.state_bits
                        )
                        step_deps.append(mm)
                    if ly.kind == "hidden":
                        ops = 3 * ly.n + nu_ops(ly) + 2 * (ly.order**2 + ly.order)
                    else:
                        ops = ly.n  # the readout accumulates
                    _add(counts, "digital_ops", ops)
                    nn = sched.add(
                        f"N {tag}",
                        f"dig L{k}",
                        _cycles(hw, ops),
                        step_deps,
                        prio,
                        "forward",
                    )
                    prev_step[k] = ((b, s), nn)
                    last_n[(k, t)] = nn
                    below = nn
                    if ly.kind == "hidden":
                        # state kept for the backward: v, m, spikes in and out
                        bits = (ly.n + ly.order) * hw.state_bits + ly.n + ly.m
                        state[(k, t)] = bits
                        if rule in ("bptt", "sdfa"):
                            _add(counts, "buffer_bits", 2 * bits)  # store, reload
                    if rule == "sdfa-local" and ly.kind == "hidden":
                        # eligibility sums of this step: sigma' s_in (active
                        # inputs), sigma', sigma' m, and the drive's trace
                        ops = ly.n * (ly.in_active + 1 + ly.order)
                        ops += ly.order * ly.m + ly.n * ly.order
                        _add(counts, "digital_ops", ops)
                        last_a[k] = sched.add(
                            f"A {tag}",
                            f"dig L{k}",
                            _cycles(hw, ops),
                            [nn],
                            prio,
                            "gradient",
                        )
                        # a FIFO of one step: the state until its sums are in
                        buffers.append((nn, last_a[k], state[(k, t)]))
            # the output error, once the readout has seen the last step
            e = sched.add(
                f"E b{b} s{s}",
                "out",
                _cycles(hw, 2 * work.classes),
                [last_n[(L - 1, T - 1)]],
                prio,
                "error",
            )
            _add(counts, "digital_ops", 2 * work.classes)
            ro = layers[-1]
            # the readout's gradient: e x (spike counts), one outer product
            _add(counts, "digital_ops", ro.n * ro.m)
            grads.append(
                sched.add(
                    f"G b{b} s{s} out",
                    f"dig L{L - 1}",
                    _cycles(hw, ro.n * ro.m),
                    [e],
                    prio,
                    "gradient",
                )
            )
            if rule == "bptt":
                grads += _bptt_backward(
                    sched, counts, hw, work, b, s, e, last_n, prio, buffers, state
                )
            else:
                grads += _sdfa_backward(
                    sched,
                    counts,
                    hw,
                    work,
                    b,
                    s,
                    e,
                    last_n,
                    prio,
                    rule,
                    last_a,
                    buffers,
                    state,
                )
            if s == B - 1:
                last_update[b] = _updates(
                    sched, counts, hw, work, b, grads_all=grads, rule=rule, prio=prio
                )
    return Built(sched, counts, buffers)


def _bptt_backward(sched, counts, hw, work, b, s, e, last_n, prio, buffers, state):
    """Reverse time and layer order; ``W^T`` reads of the layer above."""
    layers, T = work.layers, work.steps
    hidden = len(layers) - 1
    vmm = hw.vmm_bit_ns()
    grads = []
    # the readout's W^T e (e is the same at every step: read once)
    ro = layers[-1]
    top = sched.add(
        f"T b{b} s{s} out",
        f"xbar L{hidden}",
        hw.error_bits * vmm,
        [e],
        prio,
        "backward",
    )
    _read_counts(hw, counts, ro.n, ro.m, ro.n, hw.error_bits, transposed=True)
    from_above = {t: top for t in range(T)}
    for k in range(hidden - 1, -1, -1):
        ly = layers[k]
        nxt = None
        here = {}
        for t in range(T - 1, -1, -1):
            deps = [from_above[t], last_n[(k, t)]]
            if nxt is not None:
                deps.append(nxt)
            ops = 4 * ly.n + 2 * ly.n * ly.order + 2 * ly.order**2
            ops += ly.n * (ly.in_active + 1) + ly.n * ly.order  # gradient sums
            _add(counts, "digital_ops", ops)
            nxt = sched.add(
                f"D b{b} s{s} t{t} L{k}",
                f"dig L{k}",
                _cycles(hw, ops),
                deps,
                prio,
                "backward",
            )
            buffers.append((last_n[(k, t)], nxt, state[(k, t)]))  # LIFO
            here[t] = nxt
            if k > 0:  # the error of the layer below: W^T delta on this layer
                tr = sched.add(
                    f"T b{b} s{s} t{t} L{k}",
                    f"xbar L{k}",
                    hw.error_bits * vmm,
                    [nxt],
                    prio,
                    "backward",
                )
                _read_counts(
                    hw, counts, ly.cols, ly.m, ly.cols, hw.error_bits, transposed=True
                )
                here[t] = tr
        grads.append(nxt)
        from_above = here
    return grads


def _sdfa_backward(
    sched, counts, hw, work, b, s, e, last_n, prio, rule, local, buffers, state
):
    """One projection per hidden layer, then each layer on its own."""
    layers, T = work.layers, work.steps
    vmm = hw.vmm_bit_ns()
    grads = []
    for k, ly in enumerate(layers[:-1]):
        p = sched.add(
            f"P b{b} s{s} L{k}",
            f"proj L{k}",
            hw.error_bits * vmm,
            [e],
            prio,
            "projection",
        )
        before = counts.get("cells_read", 0.0)
        _read_counts(hw, counts, work.classes, work.classes, ly.n, hw.error_bits)
        _add(counts, "projection_cells_read", counts["cells_read"] - before)
        if rule == "sdfa-local":
            # the eligibility sums times g: one pass over the accumulators
            ops = ly.n * (ly.m + 2 + ly.order)
            _add(counts, "digital_ops", ops)
            grads.append(
                sched.add(
                    f"D b{b} s{s} L{k}",
                    f"dig L{k}",
                    _cycles(hw, ops),
                    [p, local[k]],
                    prio,
                    "gradient",
                )
            )
            continue
        nxt = None
        for t in range(T - 1, -1, -1):
            deps = [p, last_n[(k, t)]] + ([nxt] if nxt is not None else [])
            ops = 4 * ly.n + 2 * ly.n * ly.order + 2 * ly.order**2
            ops += ly.n * (ly.in_active + 1) + ly.n * ly.order
            _add(counts, "digital_ops", ops)
            nxt = sched.add(
                f"D b{b} s{s} t{t} L{k}",
                f"dig L{k}",
                _cycles(hw, ops),
                deps,
                prio,
                "backward",
            )
            buffers.append((last_n[(k, t)], nxt, state[(k, t)]))  # LIFO per layer
        grads.append(nxt)
    return grads


def _updates(sched, counts, hw, work, b, grads_all, rule, prio):
    """Write every layer's new weights row by row (tiles in parallel)."""
    ends = []
    low = 1e18 if rule != "bptt" else prio  # PipeSDFA: writes fill the gaps
    for k, ly in enumerate(work.layers):
        mats = [(f"xbar L{k}", ly.m, ly.cols)]
        if ly.order:
            mats.append((f"mem L{k}", ly.order, ly.n))
        for res, rows, cols in mats:
            _add(counts, "cells_written", rows * cols * hw.slices)
            last = None
            for r in range(min(rows, hw.crossbar_rows)):  # row-tiles in parallel
                deps = list(grads_all) if last is None else [last]
                last = sched.add(
                    f"U b{b} {res} row{r}", res, hw.row_write_ns(), deps, low, "write"
                )
            ends.append(last)
    return ends


def energy_pj(counts: dict[str, float], hw: TrainingHardware) -> dict[str, float]:
    """Energy by component (pJ) of the counts of :func:`build`."""
    return {
        "array_read": counts.get("cells_read", 0.0) * hw.cell_read_pj,
        "adc": (counts.get("adc", 0.0) + counts.get("adc_transposed", 0.0)) * hw.adc_pj,
        "dac": counts.get("dac_row_bits", 0.0) * hw.dac_pj,
        "write": counts.get("cells_written", 0.0) * hw.cell_write_pj,
        "buffer": counts.get("buffer_bits", 0.0) / 256 * hw.buffer_pj_per_256b,
        "digital": counts.get("digital_ops", 0.0) * (hw.add16_pj + hw.mult16_pj) / 2
        + counts.get("shift_add", 0.0) * hw.shift_add_pj,
    }
