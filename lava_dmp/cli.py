"""``lava-dmp`` command line.

Every subcommand takes ``--output DIR`` (where files go) and ``--json`` (a
machine-readable summary on stdout instead of the human one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from lava_dmp import _launch as launch
from lava_dmp.datasets.custom import TASK_NAMES
from lava_dmp.datasets.paths import DATA_ENV


def _common(p: argparse.ArgumentParser, default_output: str) -> None:
    p.add_argument(
        "--output",
        default=default_output,
        help=f"folder for results (default: {default_output})",
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument(
        "--data-dir",
        default=None,
        help=f"data root (default: ${DATA_ENV} or ~/.cache/lava-dmp)",
    )


def _data(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        default=None,
        help="your own data: an .npz with x (n, channels, T), y (n,), optional "
        "lengths, split ('train'/'test'), scale, message_bits, signed",
    )
    p.add_argument(
        "--data-module",
        default=None,
        help="your own data: 'module:factory', factory(split) returns a dataset "
        "of (x (channels, T), y[, length]) items",
    )


def _overwrite(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the files of an earlier run in the output",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lava-dmp",
        description="Dual-Memory-Pathway spiking networks for Lava.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="the main job: a pretrained network in Lava (fixed point, compared "
        "with the quantised forward), its cost on the accelerator, and a short "
        "training run end to end",
    )
    _common(demo, "outputs/demo")
    demo.add_argument(
        "--network",
        default="smnist",
        choices=("smnist", "psmnist"),
        help="which shipped pretrained network",
    )
    demo.add_argument(
        "--lava-samples", type=int, default=20, help="test digits run in Lava"
    )
    demo.add_argument(
        "--cost-samples", type=int, default=200, help="test digits costed"
    )
    demo.add_argument(
        "--train-samples",
        type=int,
        default=4096,
        help="training digits of the short run",
    )
    demo.add_argument("--epochs", type=int, default=1, help="epochs of the short run")
    demo.add_argument("--no-progress", action="store_true")
    demo.add_argument(
        "--overwrite",
        action="store_true",
        help="(accepted for symmetry: demo always replaces its own earlier "
        "outputs, once the new ones are complete)",
    )

    sim = sub.add_parser(
        "simulate",
        help="untrained 2-layer DMP network in Lava on one MNIST digit, float "
        "and fixed, checked against the golden model",
    )
    _common(sim, "outputs/simulate")
    sim.add_argument("--index", type=int, default=0, help="MNIST test digit index")
    sim.add_argument("--seed", type=int, default=0, help="weight seed")
    _overwrite(sim)

    tr = sub.add_parser(
        "train",
        help="train a DMP network (S-MNIST, PS-MNIST, SHD, SSC, coded MNIST, own data)",
    )
    _common(tr, "outputs/train")
    tr.add_argument(
        "--task",
        default="smnist",
        choices=TASK_NAMES,
        help="mnist-rate/mnist-latency: MNIST as 784 channels of spikes over "
        "--steps steps; custom: your own data, see --data and --data-module",
    )
    _data(tr)
    tr.add_argument(
        "--sizes",
        default="1,200,200,10",
        help="comma-separated layer sizes (default 1,200,200,10)",
    )
    tr.add_argument("--order", type=int, default=20, help="memory order d")
    tr.add_argument("--theta", type=float, default=300.0, help="memory window")
    tr.add_argument("--dilation", type=int, default=1, help="memory update period")
    tr.add_argument(
        "--init-std",
        type=float,
        default=0.02,
        help="weight init scale (see NetConfig.init)",
    )
    tr.add_argument(
        "--no-fast-path",
        action="store_true",
        help="ablation: W_f = 0, memory path only",
    )
    tr.add_argument(
        "--no-memory",
        action="store_true",
        help="baseline: plain LIF network without the memory",
    )
    tr.add_argument(
        "--signed-drive-init",
        action="store_true",
        help="draw the drive weights w_x from N(0, std) as the reference (the "
        "default |N(0, std)| keeps the memory alive; see DMPDense)",
    )
    tr.add_argument("--optimizer", default="adam", choices=("adam", "adamw"))
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--weight-decay", type=float, default=0.0)
    tr.add_argument("--epochs", type=int, default=50)
    tr.add_argument(
        "--lr-step",
        type=int,
        default=None,
        help="multiply the learning rate by --lr-gamma every N epochs",
    )
    tr.add_argument("--lr-gamma", type=float, default=0.5)
    tr.add_argument(
        "--lr-schedule",
        default="step",
        choices=("step", "cosine"),
        help="step: see --lr-step; cosine: anneal from --lr to 0 over --epochs",
    )
    tr.add_argument(
        "--dropout",
        type=float,
        default=0.0,
        help="dropout on spikes between layers (SHD reference: 0.2)",
    )
    tr.add_argument("--batch-size", type=int, default=128)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--perm-seed", type=int, default=0, help="PS-MNIST permutation")
    tr.add_argument(
        "--steps",
        type=int,
        default=None,
        help="time steps of mnist-rate and mnist-latency (default 25)",
    )
    tr.add_argument("--limit-train", type=int, default=None)
    tr.add_argument("--limit-test", type=int, default=None)
    tr.add_argument("--max-minutes", type=float, default=None)
    tr.add_argument("--threads", type=int, default=2)
    _device(tr)
    tr.add_argument(
        "--quantised",
        action="store_true",
        help="hardware-aware training: the forward is the fixed-point arithmetic "
        "that Lava runs (straight-through gradients)",
    )
    tr.add_argument(
        "--init-from",
        default=None,
        help="start from this checkpoint's weights (e.g. fine-tune a float run "
        "with --quantised), or from a shipped network: pretrained:smnist",
    )
    tr.add_argument(
        "--rule",
        default="bptt",
        choices=("bptt", "sdfa", "sdfa-local"),
        help="bptt: backpropagation through time and layers; sdfa: spiking direct "
        "feedback alignment (the output error through fixed random matrices to "
        "every hidden layer, BPTT inside each layer); sdfa-local: the same, "
        "local in time (see docs/sdfa.md)",
    )
    tr.add_argument("--feedback-seed", type=int, default=0, help="SDFA matrices")
    tr.add_argument(
        "--feedback-mode", default="nested", choices=("nested", "independent")
    )
    tr.add_argument(
        "--feedback-scale",
        default="max",
        choices=("max", "layer"),
        help="1/sqrt(F_max) (max) or 1/sqrt(F_l) (layer)",
    )
    tr.add_argument(
        "--update-delay",
        type=int,
        default=0,
        help="apply each batch's gradient this many batches later (a pipelined "
        "trainer's staleness)",
    )
    tr.add_argument(
        "--freeze-hidden",
        action="store_true",
        help="train the readout alone, the hidden blocks fixed (the baseline a "
        "fine-tuning rule should beat; with --rule bptt)",
    )
    tr.add_argument(
        "--loss",
        default="ce",
        choices=("ce", "mse"),
        help="on the time-averaged readout: cross-entropy or MSE to one-hot",
    )
    tr.add_argument(
        "--surrogate",
        default="sigmoid",
        choices=("sigmoid", "atan"),
        help="surrogate gradient of the spike",
    )
    tr.add_argument(
        "--surrogate-alpha",
        type=float,
        default=None,
        help="its slope (default 4 for sigmoid, 2 for atan)",
    )
    tr.add_argument(
        "--beta",
        type=float,
        default=0.5,
        help="membrane decay (1: integrate-and-fire neurons)",
    )
    tr.add_argument(
        "--resume",
        action="store_true",
        help="continue from OUTPUT/checkpoint.pt with its settings (only "
        "--epochs, --max-minutes, --threads and --device may change)",
    )
    _overwrite(tr)
    tr.add_argument("--no-progress", action="store_true", help="no progress bars")

    co = sub.add_parser(
        "cost", help="cost of an exported network on the near-memory accelerator"
    )
    _common(co, "outputs/cost")
    co.add_argument("network", help="exported network (.h5)")
    _data(co)
    co.add_argument(
        "--step-ms",
        type=float,
        default=1.0,
        help="real time of one step in ms, for the 'x real time' column (1 ms "
        "for MNIST pixels and SHD bins; the frame hop of your own data)",
    )
    co.add_argument("--samples", type=int, default=100, help="test samples costed")
    co.add_argument(
        "--hardware",
        default="default",
        help="hardware description: default (the 128-neuron core) | fit (the "
        "presets with SRAMs and memory order enlarged to this network) | a JSON "
        "file written by HardwareSpec.save (the 256-neuron core is always the "
        "built-in comparison)",
    )
    co.add_argument(
        "--lava-samples",
        type=int,
        default=0,
        help="also run this many samples in Lava with NearMemorySimCfg and "
        "check its counters against the fast path",
    )
    co.add_argument("--no-progress", action="store_true")
    _overwrite(co)

    tc = sub.add_parser(
        "train-cost",
        help="what training costs on an RRAM in-memory accelerator: PipeSDFA "
        "against a PipeLayer-style BPTT baseline, for a trained run or a sweep",
    )
    _common(tc, "outputs/train-cost")
    tc.add_argument("checkpoint", nargs="?", help="a training checkpoint")
    tc.add_argument("--sweep", action="store_true", help="vary depth, T and B")
    tc.add_argument(
        "--hardware",
        default=None,
        help="default, or a JSON file written by TrainingHardware.save",
    )
    tc.add_argument(
        "--window",
        type=int,
        default=3,
        help="batches simulated event by event, the rest extrapolated (0: all)",
    )
    tc.add_argument("--batches", type=int, default=100, help="(--sweep) per point")
    _overwrite(tc)

    sy = sub.add_parser(
        "synthetic-shd",
        help="write synthetic spike trains in the SHD schema (shd_train.h5, "
        "shd_test.h5) into --output, for machines without SHD",
    )
    _common(sy, "data/synthetic-shd")
    sy.add_argument("--train", type=int, default=8000)
    sy.add_argument("--test", type=int, default=2000)
    sy.add_argument("--seed", type=int, default=0)
    sy.add_argument("--rate-hz", type=float, default=40.0)
    sy.add_argument("--noise-hz", type=float, default=1.0)
    _overwrite(sy)

    vb = sub.add_parser(
        "validate-brian2",
        help="Lava float against Brian2 (exact discrete and continuous readings)",
    )
    _common(vb, "outputs/brian2")
    vb.add_argument("--network", default=None, help="exported network (.h5)")
    _data(vb)
    vb.add_argument("--samples", type=int, default=2)
    vb.add_argument(
        "--substeps",
        default="4,16",
        help="sub-steps per step of the continuous reading",
    )
    vb.add_argument("--steps", type=int, default=None, help="truncate the inputs")
    _overwrite(vb)

    ev = sub.add_parser("evaluate", help="test accuracy of a checkpoint")
    _common(ev, "outputs/evaluate")
    ev.add_argument("checkpoint")
    _data(ev)
    ev.add_argument("--limit-test", type=int, default=None)
    ev.add_argument(
        "--quantised",
        action="store_true",
        help="evaluate the quantised (fixed-point) forward of the checkpoint",
    )
    _device(ev)

    ex = sub.add_parser("export", help="export a checkpoint to HDF5 (fixed point)")
    _common(ex, "outputs/export")
    ex.add_argument("checkpoint")
    ex.add_argument("network", help="output .h5 file")
    _overwrite(ex)

    rn = sub.add_parser("run", help="run an exported network in Lava (fixed_pt)")
    _common(rn, "outputs/run")
    rn.add_argument("network")
    _data(rn)
    rn.add_argument("--samples", type=int, default=10)
    rn.add_argument(
        "--checkpoint",
        default=None,
        help="compare with the quantised PyTorch forward of this one",
    )
    rn.add_argument("--no-progress", action="store_true")
    return parser


def _device(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--device",
        default="cpu",
        help="cpu, cuda or cuda:N (under torchrun, cuda is each rank's "
        "LOCAL_RANK GPU; default cpu)",
    )


def _print_demo(summary: dict) -> None:
    print(
        f"lava-dmp demo: MNIST test digit #{summary['digit_index']} "
        f"(label {summary['label']}), {summary['steps']} steps"
    )
    print(f"  layers: {', '.join(summary['layers'])}")
    print(
        f"  spikes float / fixed: {summary['spikes_float']} / {summary['spikes_fixed']}"
    )
    agree = ", ".join(f"{a:.4f}" for a in summary["spike_agreement_float_vs_fixed"])
    print(f"  spike agreement float vs fixed per layer: {agree}")
    print(
        f"  fixed-point Lava vs numpy golden model mismatches: "
        f"{summary['fixed_vs_golden_mismatches']}"
    )
    print(
        f"  Lava run seconds: {summary['lava_seconds']}, total "
        f"{summary['total_seconds']} s"
    )
    print(f"  figure: {summary['figure']}")


#: command-line flags of the NetConfig and TrainConfig fields
_NET_FLAGS = {
    "sizes": "sizes",
    "order": "order",
    "theta": "theta",
    "dilation": "dilation",
    "init_std": "init_std",
    "beta": "beta",
    "surrogate": "surrogate",
    "slope": "surrogate_alpha",
    "fast_path": "no_fast_path",
    "dropout": "dropout",
    "memory": "no_memory",
    "positive_drive": "signed_drive_init",
}
_NEGATED = {"fast_path", "memory", "positive_drive"}
_TRAIN_FIELDS = (
    "task",
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "weight_decay",
    "lr_step",
    "lr_gamma",
    "lr_schedule",
    "seed",
    "perm_seed",
    "limit_train",
    "limit_test",
    "max_minutes",
    "threads",
    "quantised",
    "init_from",
    "data",
    "data_module",
    "rule",
    "feedback_seed",
    "feedback_mode",
    "feedback_scale",
    "update_delay",
    "freeze_hidden",
    "loss",
    "steps",
    "device",
)


def _flag(field: str) -> str:
    """The command-line flag of a NetConfig or TrainConfig field."""
    return "--" + _NET_FLAGS.get(field, field).replace("_", "-")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(
            f"sizes: expected comma-separated integers such as 1,200,200,10, "
            f"got {text!r}"
        ) from None


def _train(args, explicit: set[str]) -> dict:
    from lava_dmp.train.checkpoint import load_checkpoint
    from lava_dmp.train.model import NetConfig
    from lava_dmp.train.trainer import CHECKPOINT, TrainConfig, check_resume, train

    net_kw = {
        field: (not getattr(args, dest)) if field in _NEGATED else getattr(args, dest)
        for field, dest in _NET_FLAGS.items()
    }
    net_kw["sizes"] = _sizes(args.sizes)
    if net_kw["slope"] is None:  # the surrogate's own default slope
        net_kw["slope"] = 2.0 if args.surrogate == "atan" else 4.0
    train_kw = {field: getattr(args, field) for field in _TRAIN_FIELDS}
    if train_kw["data"]:  # evaluate and export find it from any folder
        train_kw["data"] = os.path.abspath(train_kw["data"])
    ckpt = Path(args.output) / CHECKPOINT
    state = None
    if args.resume and ckpt.is_file():
        # every setting from the checkpoint; a flag given here must agree
        state = load_checkpoint(ckpt)
        net_kw = {
            **state["net"],
            **{f: v for f, v in net_kw.items() if _NET_FLAGS[f] in explicit},
        }
        train_kw = {
            **{f: train_kw[f] for f in _TRAIN_FIELDS},
            **{f: v for f, v in state["train"].items() if f in _TRAIN_FIELDS},
            **{f: v for f, v in train_kw.items() if f in explicit},
        }
    net = NetConfig(**net_kw)
    cfg = TrainConfig(**train_kw)
    if state is not None:
        check_resume(state, net, cfg, ckpt, label=_flag)  # names the flags
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    return train(
        net,
        cfg,
        args.output,
        resume=args.resume,
        data_dir=args.data_dir,
        progress=not args.no_progress,
        log=log,
        overwrite=args.overwrite,
        allocator=True,  # the command owns its process
    )


def _evaluate(args) -> dict:
    from lava_dmp import distributed
    from lava_dmp._checks import check_int
    from lava_dmp.netx.deploy import checkpoint_spec
    from lava_dmp.train.checkpoint import network_from_checkpoint
    from lava_dmp.train.data import make_dataset
    from lava_dmp.train.device import resolve_device
    from lava_dmp.train.trainer import evaluate

    if args.limit_test is not None:
        check_int("limit_test", args.limit_test, minimum=1)
    net, state = network_from_checkpoint(args.checkpoint)
    tr = state["train"]
    spec = checkpoint_spec(state)
    custom = dict(
        data=args.data or tr.get("data"),
        data_module=args.data_module or tr.get("data_module"),
    )
    test = make_dataset(
        tr["task"],
        "test",
        tr["perm_seed"],
        args.limit_test,
        args.data_dir,
        spec=spec,
        **(custom if tr["task"] == "custom" else {}),
    )
    if args.quantised:
        from lava_dmp.train.export import quantize_network

        quantize_network(net, None, spec)
    net.to(resolve_device(args.device, distributed.current().local_rank))
    return {
        "checkpoint": args.checkpoint,
        "task": tr["task"],
        "epoch": state["epoch"],
        "samples": len(test),
        "forward": "quantised" if args.quantised else "float",
        "test_acc": evaluate(net, test),
    }


def _explicit(parser: argparse.ArgumentParser, argv: list[str] | None) -> set[str]:
    """The destinations of the options given on the command line (not left
    at their defaults): parse again with every default suppressed."""
    saved = []
    for action in parser._subparsers._group_actions[0].choices.values():
        for a in action._actions:
            saved.append((a, a.default))
            a.default = argparse.SUPPRESS
    try:
        given = vars(parser.parse_args(argv))
    finally:
        for a, default in saved:
            a.default = default
    return set(given) - {"command"}


def _dispatch(args, explicit: set[str]) -> dict | None:
    """Run one command; returns its summary (None: it printed its own)."""
    if args.command == "simulate":
        from lava_dmp.apps.simulate import run_simulate

        summary = run_simulate(
            args.output, args.data_dir, args.index, args.seed, overwrite=args.overwrite
        )
        if args.json:
            print(json.dumps(summary))
        else:
            _print_demo(summary)
        return None
    if args.command == "demo":
        from lava_dmp.apps.demo import print_demo, run_demo

        log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
        summary = run_demo(
            args.output,
            args.network,
            args.lava_samples,
            args.cost_samples,
            args.train_samples,
            args.epochs,
            args.data_dir,
            progress=not args.no_progress,
            log=log,
        )
        if not args.json:
            print_demo(summary)
            return None
        return summary
    if args.command == "train":
        return _train(args, explicit)
    if args.command == "evaluate":
        return _evaluate(args)
    if args.command == "export":
        from lava_dmp.netx.deploy import export_checkpoint

        return export_checkpoint(args.checkpoint, args.network, args.overwrite)
    if args.command == "synthetic-shd":
        from lava_dmp.datasets.synthetic import write_synthetic_shd

        return write_synthetic_shd(
            args.output,
            args.train,
            args.test,
            args.seed,
            rate_hz=args.rate_hz,
            noise_hz=args.noise_hz,
            overwrite=args.overwrite,
        )
    if args.command == "validate-brian2":
        from lava_dmp.brian2.validate import print_validation, validate_cli

        summary = validate_cli(
            args.network,
            args.samples,
            _ints("substeps", args.substeps),
            args.steps,
            args.data_dir,
            args.output,
            overwrite=args.overwrite,
            data=args.data,
            data_module=args.data_module,
        )
        if not args.json:
            print_validation(summary)
            return None
        return summary
    if args.command == "cost":
        from lava_dmp.cost.run import cost_network, print_cost

        summary = cost_network(
            args.network,
            args.samples,
            args.hardware,
            args.lava_samples,
            args.data_dir,
            args.output,
            progress=not args.no_progress,
            overwrite=args.overwrite,
            data=args.data,
            data_module=args.data_module,
            step_ms=args.step_ms,
        )
        if not args.json:
            if launch.rank() == 0:  # rank 0 reports for all
                print_cost(summary)
            return None
        return summary
    if args.command == "train-cost":
        from lava_dmp._checks import check_int
        from lava_dmp.cost.training.report import (
            print_sweep,
            print_train_cost,
            sweep,
            train_cost,
        )

        window = None if args.window == 0 else check_int("window", args.window, 2)
        out = args.output
        if args.sweep == (args.checkpoint is not None):
            raise ValueError("checkpoint: give a checkpoint or --sweep (one of them)")
        if args.sweep:
            summary = sweep(
                args.hardware,
                window,
                check_int("batches", args.batches, minimum=1),
                out,
                args.overwrite,
                progress=None if args.json else print,
            )
            printer = print_sweep
        else:
            summary = train_cost(
                args.checkpoint, args.hardware, window, out, args.overwrite
            )
            printer = print_train_cost
        if not args.json:
            printer(summary)
            return None
        return summary
    if args.command == "run":
        from lava_dmp.netx.deploy import run_exported

        return run_exported(
            args.network,
            args.samples,
            args.checkpoint,
            args.data_dir,
            progress=not args.no_progress,
            data=args.data,
            data_module=args.data_module,
        )
    raise AssertionError(args.command)


#: commands that run on several ranks under torchrun
DISTRIBUTED_COMMANDS = ("train", "evaluate", "run", "cost")


def _join_ranks(args) -> None:
    """Under torchrun: join the process group (see :mod:`lava_dmp.distributed`)
    and keep every rank but 0 quiet."""
    from lava_dmp import distributed

    if args.command not in DISTRIBUTED_COMMANDS:
        raise ValueError(
            f"torchrun: lava-dmp {args.command} runs in one process; torchrun "
            f"runs {', '.join(DISTRIBUTED_COMMANDS)}"
        )
    device = getattr(args, "device", "cpu")
    from lava_dmp.train.device import check_device

    check_device(device)
    ctx = distributed.setup(device)
    if not ctx.main:
        args.no_progress = True


def _ints(name: str, text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(
            f"{name}: expected comma-separated integers, got {text!r}"
        ) from None


def _with_flag_names(
    message: str, parser: argparse.ArgumentParser, command: str
) -> str:
    """``perm_seed: must be >= 0`` -> ``--perm-seed: must be >= 0`` when the
    parameter is one of the command's options."""
    sub = parser._subparsers._group_actions[0].choices[command]
    flags = {a.dest: a.option_strings[-1] for a in sub._actions if a.option_strings}
    flags.update({f: _flag(f) for f in _NET_FLAGS if _NET_FLAGS[f] in flags})
    match = re.match(r"([a-z_]+): ", message)
    if match and match.group(1) in flags and match.group(1) not in ("output",):
        return flags[match.group(1)] + message[len(match.group(1)) :]
    return message


def main(argv: list[str] | None = None) -> int:
    """Run ``lava-dmp`` with ``argv`` (default: the process's arguments).

    Returns the exit status: 0 on success, 2 for bad input (one line on
    stderr naming the parameter or file), 128 + the signal number when
    SIGINT or SIGTERM stopped it (Lava runtimes and child processes are
    ended first), 1 for an unexpected internal error (one line; the
    traceback with ``LAVA_DMP_DEBUG=1``).
    """
    from lava_dmp.termination import Terminated, terminating_cleanly

    parser = build_parser()
    args = parser.parse_args(argv)
    explicit = _explicit(parser, argv) if args.command == "train" else set()
    launched, rank = launch.launched(), launch.rank()
    prefix = f"lava-dmp {args.command}" + (f" [rank {rank}]" if launched else "")
    summary_ok = False
    try:
        with terminating_cleanly():
            if launched:
                _join_ranks(args)
            summary = _dispatch(args, explicit)
            summary_ok = True
    except KeyboardInterrupt as err:
        signum = err.signum if isinstance(err, Terminated) else 2
        what = "SIGTERM" if signum == 15 else "SIGINT"
        note = (
            "; the last epoch's checkpoint is kept, --resume continues"
            if args.command in ("train", "demo")
            else ""
        )
        print(f"{prefix}: stopped by {what}{note}", file=sys.stderr)
        return 128 + signum
    except (ValueError, OSError) as err:
        if os.environ.get("LAVA_DMP_DEBUG") == "1":
            raise
        if isinstance(err, OSError) and not isinstance(err, FileNotFoundError):
            text = f"{err.strerror or err}" + (
                f": {err.filename}" if err.filename else ""
            )
        else:
            text = str(err)
        text = _with_flag_names(text, parser, args.command)
        print(f"{prefix}: error: {text}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - never a raw traceback
        if os.environ.get("LAVA_DMP_DEBUG") == "1":
            raise
        print(
            f"{prefix}: internal error: {type(err).__name__}: {err} (please report "
            f"it; LAVA_DMP_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1
    finally:
        if launched:
            from lava_dmp import distributed

            distributed.teardown(clean=summary_ok)
    if rank != 0:  # rank 0 reports for all
        return 0
    if summary is not None:
        if args.json:
            print(json.dumps(summary))
        else:
            print(
                f"{prefix}: "
                + ", ".join(f"{k}={v}" for k, v in summary.items() if k != "history")
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
