"""``lava-dmp`` command line.

Every subcommand takes ``--output DIR`` (where files go) and ``--json`` (a
machine-readable summary on stdout instead of the human one).
"""

from __future__ import annotations

import argparse
import json
import sys

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lava-dmp",
        description="Dual-Memory-Pathway spiking networks for Lava.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="the main job: short S-MNIST training, export, Lava fixed-point run",
    )
    _common(demo, "outputs/demo")
    demo.add_argument("--limit-train", type=int, default=4096)
    demo.add_argument("--limit-test", type=int, default=1000)
    demo.add_argument("--epochs", type=int, default=2)
    demo.add_argument("--lava-samples", type=int, default=20)
    demo.add_argument("--sizes", default="1,200,200,10")
    demo.add_argument("--order", type=int, default=20)
    demo.add_argument("--lr", type=float, default=5e-3)
    demo.add_argument("--no-progress", action="store_true")

    sim = sub.add_parser(
        "simulate",
        help="untrained 2-layer DMP network in Lava on one MNIST digit, float "
        "and fixed, checked against the golden model",
    )
    _common(sim, "outputs/simulate")
    sim.add_argument("--index", type=int, default=0, help="MNIST test digit index")
    sim.add_argument("--seed", type=int, default=0, help="weight seed")

    tr = sub.add_parser(
        "train", help="train a DMP network (S-MNIST, PS-MNIST, SHD, SSC)"
    )
    _common(tr, "outputs/train")
    tr.add_argument(
        "--task", default="smnist", choices=("smnist", "psmnist", "shd", "ssc")
    )
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
    tr.add_argument("--limit-train", type=int, default=None)
    tr.add_argument("--limit-test", type=int, default=None)
    tr.add_argument("--max-minutes", type=float, default=None)
    tr.add_argument("--threads", type=int, default=2)
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
        "with --quantised)",
    )
    tr.add_argument(
        "--resume", action="store_true", help="continue from OUTPUT/checkpoint.pt"
    )
    tr.add_argument("--no-progress", action="store_true", help="no progress bars")

    co = sub.add_parser(
        "cost", help="cost of an exported network on the near-memory accelerator"
    )
    _common(co, "outputs/cost")
    co.add_argument("network", help="exported network (.h5)")
    co.add_argument("--samples", type=int, default=100, help="test samples costed")
    co.add_argument(
        "--hardware",
        default="default",
        help="hardware description: default | double | fit (the presets with "
        "SRAMs and memory order enlarged to this network) | a JSON file",
    )
    co.add_argument(
        "--lava-samples",
        type=int,
        default=0,
        help="also run this many samples in Lava with NearMemorySimCfg and "
        "check its counters against the fast path",
    )
    co.add_argument("--no-progress", action="store_true")

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

    vb = sub.add_parser(
        "validate-brian2",
        help="Lava float against Brian2 (exact discrete and continuous readings)",
    )
    _common(vb, "outputs/brian2")
    vb.add_argument("--network", default=None, help="exported network (.h5)")
    vb.add_argument("--samples", type=int, default=2)
    vb.add_argument(
        "--substeps",
        default="4,16",
        help="sub-steps per step of the continuous reading",
    )
    vb.add_argument("--steps", type=int, default=None, help="truncate the inputs")

    ev = sub.add_parser("evaluate", help="test accuracy of a checkpoint")
    _common(ev, "outputs/evaluate")
    ev.add_argument("checkpoint")
    ev.add_argument("--limit-test", type=int, default=None)
    ev.add_argument(
        "--quantised",
        action="store_true",
        help="evaluate the quantised (fixed-point) forward of the checkpoint",
    )

    ex = sub.add_parser("export", help="export a checkpoint to HDF5 (fixed point)")
    _common(ex, "outputs/export")
    ex.add_argument("checkpoint")
    ex.add_argument("network", help="output .h5 file")

    rn = sub.add_parser("run", help="run an exported network in Lava (fixed_pt)")
    _common(rn, "outputs/run")
    rn.add_argument("network")
    rn.add_argument("--samples", type=int, default=10)
    rn.add_argument(
        "--checkpoint",
        default=None,
        help="compare with the quantised PyTorch forward of this one",
    )
    return parser


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


def _train(args) -> dict:
    from lava_dmp.train.model import NetConfig
    from lava_dmp.train.trainer import TrainConfig, train

    sizes = tuple(int(v) for v in args.sizes.split(","))
    net = NetConfig(
        sizes=sizes,
        order=args.order,
        theta=args.theta,
        dilation=args.dilation,
        init_std=args.init_std,
        fast_path=not args.no_fast_path,
        dropout=args.dropout,
        memory=not args.no_memory,
        positive_drive=not args.signed_drive_init,
    )
    cfg = TrainConfig(
        task=args.task,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        weight_decay=args.weight_decay,
        lr_step=args.lr_step,
        lr_gamma=args.lr_gamma,
        lr_schedule=args.lr_schedule,
        seed=args.seed,
        perm_seed=args.perm_seed,
        limit_train=args.limit_train,
        limit_test=args.limit_test,
        max_minutes=args.max_minutes,
        threads=args.threads,
        quantised=args.quantised,
        init_from=args.init_from,
    )
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    return train(
        net,
        cfg,
        args.output,
        resume=args.resume,
        data_dir=args.data_dir,
        progress=not args.no_progress,
        log=log,
    )


def _evaluate(args) -> dict:
    from lava_dmp.train.data import make_dataset
    from lava_dmp.train.model import DMPNet, NetConfig
    from lava_dmp.train.trainer import evaluate, load_checkpoint

    state = load_checkpoint(args.checkpoint)
    net = DMPNet(NetConfig(**state["net"]))
    net.load_state_dict(state["model"])
    tr = state["train"]
    test = make_dataset(
        tr["task"], "test", tr["perm_seed"], args.limit_test, args.data_dir
    )
    if args.quantised:
        from lava_dmp.train.data import input_format
        from lava_dmp.train.export import quantize_network

        quantize_network(net, None, *input_format(tr["task"]))
    return {
        "checkpoint": args.checkpoint,
        "task": tr["task"],
        "epoch": state["epoch"],
        "samples": len(test),
        "forward": "quantised" if args.quantised else "float",
        "test_acc": evaluate(net, test),
    }


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "simulate":
            from lava_dmp.demo import run_demo

            summary = run_demo(args.output, args.data_dir, args.index, args.seed)
            if args.json:
                print(json.dumps(summary))
            else:
                _print_demo(summary)
        elif args.command == "demo":
            from lava_dmp.pipeline import run_pipeline

            log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
            summary = run_pipeline(
                args.output,
                args.data_dir,
                args.limit_train,
                args.limit_test,
                args.epochs,
                args.lava_samples,
                args.lr,
                args.order,
                tuple(int(v) for v in args.sizes.split(",")),
                progress=not args.no_progress,
                log=log,
            )
        elif args.command == "train":
            summary = _train(args)
        elif args.command == "evaluate":
            summary = _evaluate(args)
        elif args.command == "export":
            from lava_dmp.deploy import export_checkpoint

            summary = export_checkpoint(args.checkpoint, args.network)
        elif args.command == "synthetic-shd":
            from lava_dmp.datasets.synthetic import write_synthetic_shd

            summary = write_synthetic_shd(
                args.output,
                args.train,
                args.test,
                args.seed,
                rate_hz=args.rate_hz,
                noise_hz=args.noise_hz,
            )
        elif args.command == "validate-brian2":
            from lava_dmp.brian2.validate import print_validation, validate_cli

            summary = validate_cli(
                args.network,
                args.samples,
                tuple(int(v) for v in args.substeps.split(",")),
                args.steps,
                args.data_dir,
                args.output,
            )
            if not args.json:
                print_validation(summary)
        elif args.command == "cost":
            from lava_dmp.cost.run import cost_network, print_cost

            summary = cost_network(
                args.network,
                args.samples,
                args.hardware,
                args.lava_samples,
                args.data_dir,
                args.output,
                progress=not args.no_progress,
            )
            if not args.json:
                print_cost(summary)
        elif args.command == "run":
            from lava_dmp.deploy import run_exported

            summary = run_exported(
                args.network, args.samples, args.checkpoint, args.data_dir
            )
        quiet = ("simulate", "cost", "validate-brian2")
        if args.command not in quiet or (args.command != "simulate" and args.json):
            if args.json:
                print(json.dumps(summary))
            else:
                print(
                    f"lava-dmp {args.command}: "
                    + ", ".join(
                        f"{k}={v}" for k, v in summary.items() if k != "history"
                    )
                )
    except (FileNotFoundError, ValueError) as err:
        print(f"lava-dmp {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
