"""The training-cost model: the scheduler against Gantt charts worked by hand,
closed forms of simple cases, and the counts' scaling laws."""

import json
import math

import numpy as np
import pytest

from lava_dmp.cost.training.hardware import FIELDS, Param, TrainingHardware
from lava_dmp.cost.training.pipeline import build, peak_buffer_bits
from lava_dmp.cost.training.run import compare, cost, workload
from lava_dmp.cost.training.schedule import Schedule

HW = TrainingHardware()


def test_contention_on_a_shared_adc_bank_matches_the_gantt_chart():
    """Two layers' crossbars share one ADC bank. Worked by hand:

    time   0    2    4    5    7    9   10
    L0     [r0a][c0a][r0b]     [c0b]
    L1          [r1a][c1a]
    ADC         c0a  c1a       c0b
    r = a 2-ns read, c = a 3-ns conversion on the bank (c0 before c1 by
    priority when both wait); L1's read waits for L0's first output.
    """
    s = Schedule()
    r0a = s.add("r0a", "xbar L0", 2, priority=0)
    c0a = s.add("c0a", "adc", 3, [r0a], priority=0)
    r0b = s.add("r0b", "xbar L0", 2, [r0a], priority=1)
    r1a = s.add("r1a", "xbar L1", 2, [c0a], priority=0)
    s.add("c1a", "adc", 3, [r1a], priority=0)
    s.add("c0b", "adc", 3, [r0b], priority=1)
    t = s.run()
    got = {t.names[i]: (t.start[i], t.end[i]) for i in range(len(s))}
    assert got == {
        "r0a": (0, 2),
        "c0a": (2, 5),
        "r0b": (2, 4),
        "r1a": (5, 7),
        "c0b": (5, 8),  # waited for the bank; ready at 4, free at 5
        "c1a": (8, 11),
    }
    assert t.busy()["adc"] == 9 and t.makespan == 11
    assert [row[1] for row in t.trace("adc")] == ["c0a", "c0b", "c1a"]


def test_equal_priority_goes_to_the_one_added_first_and_ties_wait_for_all_ends():
    s = Schedule()
    a = s.add("a", "r1", 1)
    b = s.add("b", "r2", 1)
    late = s.add("late", "shared", 5, [b], priority=0)  # added before 'early'
    early = s.add("early", "shared", 5, [a], priority=0)
    t = s.run()
    assert t.start[late] == 1 and t.start[early] == 6  # same instant: order added
    with pytest.raises(ValueError, match="deps"):
        s.add("bad", "r1", 1, [99])
    with pytest.raises(ValueError, match="duration"):
        s.add("bad", "r1", -1)


def _one_layer(steps, batch=1, batches=1, order=0, active=1.0):
    return workload((4, 8, 3), order, steps, batch, batches, active, [2.0])


def test_forward_of_one_layer_and_one_sample_in_closed_form():
    """One hidden layer (no memory) and the readout, one sample, T steps: the
    forward is a pipeline of T steps through stages X (a read), N (digital),
    X_out, N_out, each step of a stage waiting for the stage's previous step
    and the stage before; its last output arrives at

        t_fwd = (T - 1) max(occupancy) + sum(latency),

    the latencies along the chain plus T - 1 times the busiest stage (the
    local rule's eligibility sums A share the layer's digital lanes: they
    occupy them after N without delaying the next layer)."""
    T = 12
    built = build("pipesdfa-local", _one_layer(T), HW)
    timing = built.schedule.run()
    x = HW.vmm_bit_ns()
    dig = math.ceil((3 * 8) / HW.digital_lanes) * HW.cycle_ns
    dig_out = math.ceil(3 / HW.digital_lanes) * HW.cycle_ns
    # the local rule's eligibility sums also use the layer's digital lanes
    acc = math.ceil((8 * (1 + 1 + 0) + 0) / HW.digital_lanes) * HW.cycle_ns
    latency = [x, dig, x, dig_out]
    occupancy = [x, dig + acc, x, dig_out]
    t_fwd = (T - 1) * max(occupancy) + sum(latency)
    last_n = max(
        i for i, n in enumerate(timing.names) if n.startswith(f"N b0 s0 t{T - 1} L1")
    )
    assert timing.end[last_n] == pytest.approx(t_fwd)


def test_the_update_bubble_is_once_per_batch_in_bptt_and_never_in_pipesdfa():
    work = _one_layer(5, batch=3, batches=3)
    for design, bubble in (("pipelayer-bptt", True), ("pipesdfa", False)):
        built = build(design, work, HW)
        t = built.schedule.run()
        names = t.names
        for b in (1, 2):
            first = min(
                t.start[i]
                for i, n in enumerate(names)
                if n.startswith(f"X b{b} s0 t0 L0")
            )
            writes = [
                t.end[i] for i, n in enumerate(names) if n.startswith(f"U b{b - 1} ")
            ]
            if bubble:
                assert first >= max(writes)  # the next batch waits for the update
            else:
                assert first < max(writes)  # it runs on weights one batch stale
        n_writes = sum(n.startswith("U ") for n in names)
        rows = (4 + 8) + 0  # every row of both layers' arrays, once per batch
        assert n_writes == 3 * rows


def test_bptt_buffers_every_step_of_a_sample_until_its_backward():
    """One sample, T steps: the LIFO holds every step's state of the hidden
    layer at once (the backward starts after the last step): T entries of
    (N + d) state words, N + M spike bits. The local rule holds one step."""
    T, n, m, d = 9, 8, 4, 3
    work = workload((m, n, 3), d, T, 1, 1, 1.0, [2.0])
    entry = (n + d) * HW.state_bits + n + m
    built = build("pipelayer-bptt", work, HW)
    assert peak_buffer_bits(built, built.schedule.run()) == T * entry
    built = build("pipesdfa-local", work, HW)
    assert peak_buffer_bits(built, built.schedule.run()) == entry


def test_energy_counts_scale_linearly_with_samples_and_activity():
    for design in ("pipelayer-bptt", "pipesdfa", "pipesdfa-local"):
        one = build(design, workload((6, 10, 10, 4), 3, 7, 2, 1, 2.0, [3, 3]), HW)
        two = build(design, workload((6, 10, 10, 4), 3, 7, 4, 1, 2.0, [3, 3]), HW)
        for key, value in two.counts.items():
            if key != "cells_written":  # writes come once per batch
                assert value == pytest.approx(2 * one.counts[key]), (design, key)
        busy = build(design, workload((6, 10, 10, 4), 3, 7, 2, 1, 4.0, [3, 3]), HW)
        # the input layer reads only its active rows: twice the events, twice
        # its cells (the other layers' reads are unchanged)
        first = 1 * 4.0 * 11 * HW.slices - 1 * 2.0 * 11 * HW.slices
        assert busy.counts["cells_read"] - one.counts["cells_read"] == pytest.approx(
            2 * 7 * first
        )


def test_doubling_the_crossbar_halves_the_tiles():
    """Tiles = ceil(rows / R) ceil(cols x slices / C): doubling R halves the
    row tiles; doubling both quarters the count when neither side fits."""
    tall = TrainingHardware({"crossbar_rows": Param(256, "cells", "test")})
    big = TrainingHardware(
        {
            "crossbar_rows": Param(256, "cells", "test"),
            "crossbar_cols": Param(256, "cells", "test"),
        }
    )
    assert HW.slices == 4  # 8-bit weights on 5-bit cells, differential
    assert HW.tiles(512, 32) == 4 and tall.tiles(512, 32) == 2
    assert HW.tiles(512, 256) == 4 * big.tiles(512, 256) == 32
    assert HW.tiles(100, 10) == big.tiles(100, 10) == 1


def test_the_projection_grows_with_classes_and_layer_width_only():
    """One projection per sample and hidden layer; its array reads grow with
    C and F_l, not with the layer's inputs nor the steps."""

    def proj(c, f, m=20, t=5):
        built = build("pipesdfa", workload((m, f, c), 0, t, 1, 1, 1.0, [1.0]), HW)
        p = [n for n in built.schedule.names if n.startswith("P ")]
        assert len(p) == 1
        return built.counts["projection_cells_read"]

    base = proj(4, 32)
    assert base == HW.error_bits * 4 * 32 * HW.slices
    assert proj(8, 32) == 2 * base and proj(4, 64) == 2 * base
    assert proj(4, 32, m=40) == base and proj(4, 32, t=9) == base
    with pytest.raises(ValueError, match="design"):
        build("pipedream", workload((4, 8, 3), 0, 2, 1, 1, 1.0, [1.0]), HW)


def test_extrapolation_equals_the_full_simulation_within_one_percent():
    work = workload((40, 32, 32, 5), 4, 20, 4, 20, 6.0, [5.0, 5.0])
    for design in ("pipelayer-bptt", "pipesdfa", "pipesdfa-local"):
        full = cost(design, work, window=None)
        short = cost(design, work, window=3)
        assert short.extrapolated and not full.extrapolated
        assert short.seconds == pytest.approx(full.seconds, rel=0.01), design
        for key in full.energy_pj:
            assert short.energy_pj[key] == pytest.approx(full.energy_pj[key], rel=1e-9)


def test_comparison_reports_the_same_silicon_and_ratios():
    work = workload((40, 32, 32, 5), 4, 10, 4, 3, 6.0, [5.0, 5.0])
    res = compare(work, window=None)
    r = res["ratios"]["pipesdfa"]
    d = res["designs"]
    assert r["time"] == pytest.approx(
        d["pipelayer-bptt"]["seconds"] / d["pipesdfa"]["seconds"]
    )
    assert res["crossbars"]["weight_crossbars"] > 0
    assert res["crossbars"]["sdfa_projection_crossbars"] == 2


@pytest.mark.parametrize(
    "change, message",
    [
        ({"crossbar_rows": -1}, "crossbar_rows must be in"),
        ({"adc_pj": "1.67"}, "adc_pj must be a finite number"),
        ({"cell_bits": 2.5}, "cell_bits must be an integer"),
        ({"read_ns": True}, "read_ns must be a finite number"),
        ({"write_v": float("nan")}, "write_v must be a finite number"),
    ],
)
def test_a_bad_description_is_refused(tmp_path, change, message):
    data = HW.to_dict()
    for key, value in change.items():
        data["params"][key]["value"] = value
    path = tmp_path / "hw.json"
    path.write_text(json.dumps(data))
    from lava_dmp.cost.training.hardware import load_training_hardware

    with pytest.raises(ValueError, match=message):
        load_training_hardware(path)
    del data["params"]["clock_mhz"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"missing fields \['clock_mhz'\]"):
        load_training_hardware(path)


def test_every_field_has_a_source_and_the_file_round_trips(tmp_path):
    assert all(src.strip() for *_, src in FIELDS.values())
    HW.save(tmp_path / "hw.json")
    from lava_dmp.cost.training.hardware import load_training_hardware

    back = load_training_hardware(tmp_path / "hw.json")
    assert back.params == HW.params
    # the write energy formula: V^2 / R x t x pulses (NeuroSim)
    assert HW.cell_write_pj == pytest.approx(4.0**2 / 100e3 * 50e-9 * 4 * 1e12)
    assert np.isclose(HW.adc_pj, 1.67)


def test_a_logged_run_costs_as_the_same_run_by_hand(tmp_path, capsys):
    """The trainer logs the inputs and spikes of every training step; the
    input count equals the data's own, and ``train-cost CKPT`` prices the
    same workload as one written by hand from the logged means."""
    from lava_dmp.cli import main
    from lava_dmp.datasets.custom import from_arrays
    from lava_dmp.train.checkpoint import load_checkpoint
    from lava_dmp.train.model import NetConfig
    from lava_dmp.train.trainer import TrainConfig, train

    rng = np.random.default_rng(0)
    x = (rng.random((24, 5, 12)) < 0.3).astype(float)
    data = from_arrays(x, rng.integers(0, 3, 24))
    cfg = TrainConfig(task="custom", epochs=2, batch_size=8, rule="sdfa")
    net = NetConfig(sizes=(5, 9, 3), order=3, theta=8.0)
    train(
        net,
        cfg,
        tmp_path / "run",
        data=data,
        test_data=data,
        progress=False,
        log=lambda m: None,
    )
    act = load_checkpoint(tmp_path / "run" / "checkpoint.pt")["activity"]
    assert act["samples"] == 48  # 24 samples, 2 epochs
    assert np.array_equal(act["inputs"], 2 * (x != 0).sum(axis=(0, 1)))
    assert len(act["spikes"]) == 1 and act["spikes"][0].shape == (12,)
    ckpt = str(tmp_path / "run" / "checkpoint.pt")
    out = tmp_path / "cost"
    assert (
        main(["train-cost", ckpt, "--window", "0", "--output", str(out), "--json"]) == 0
    )
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    by_hand = compare(
        workload(
            (5, 9, 3),
            3,
            12,
            8,
            6,
            float(act["inputs"].mean() / 48),
            [float(act["spikes"][0].mean() / 48)],
        ),
        window=None,
    )
    for d, c in by_hand["designs"].items():
        assert logged["designs"][d]["seconds"] == pytest.approx(c["seconds"])
        assert logged["designs"][d]["energy_j"] == pytest.approx(c["energy_j"])
    assert logged["run"]["rule"] == "sdfa" and logged["run"]["batches"] == 6
    assert (out / "train_cost.json").is_file()
    assert main(["train-cost"]) == 2
    assert "give a checkpoint or --sweep" in capsys.readouterr().err
