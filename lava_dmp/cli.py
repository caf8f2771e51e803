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
        help="2-layer DMP network in Lava on a real MNIST digit (float and fixed)",
    )
    _common(demo, "outputs/demo")
    demo.add_argument("--index", type=int, default=0, help="MNIST test digit index")
    demo.add_argument("--seed", type=int, default=0, help="weight seed")
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from lava_dmp.demo import run_demo

            summary = run_demo(args.output, args.data_dir, args.index, args.seed)
            if args.json:
                print(json.dumps(summary))
            else:
                _print_demo(summary)
    except (FileNotFoundError, ValueError) as err:
        print(f"lava-dmp {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
