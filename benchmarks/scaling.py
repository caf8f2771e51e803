"""1 process x 2 threads against 2 torchrun ranks x 1 thread, on this machine.

(a) S-MNIST training, one epoch on the first --train-digits digits (default
8192; order 20, the README's recipe otherwise): samples per second of the
epoch itself (the metrics' ``seconds``) and of the whole command, whose
difference is start-up (imports, data, process group, kernels) and the test
evaluation. (b) ``lava-dmp run`` of the shipped S-MNIST network on
--run-digits digits (default 40): digits per second of the Lava part
(``lava_seconds``, the slowest rank's) and of the whole command.

Each configuration runs --reps times (default 2), alternating, and the median
is reported. CPU use is the user + system time of the command and every
process it waited for (ranks and Lava's worker processes) over its wall time:
2.0 means both cores busy. No speed target on two cores: what the table shows
is where the time goes. With a GPU visible to torch, the float DMP and lava-dl
CUBA training steps of benchmarks/train_speed.py's shapes also run on it, in
the same run.

Usage: python benchmarks/scaling.py [--reps 2] [--json benchmarks/scaling.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _launch(ranks: int, threads: int, args: list[str]) -> list[str]:
    if ranks == 1:
        cmd = [sys.executable, "-m", "lava_dmp", *args]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        cmd += ["--nproc-per-node", str(ranks), "-m", "lava_dmp", *args]
    return cmd


def _timed(cmd: list[str], threads: int) -> tuple[float, float, str]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return wall, (_children_cpu() - cpu0) / wall, proc.stdout


def train_once(ranks: int, threads: int, digits: int, tmp: Path) -> dict:
    out = tmp / f"train-{ranks}x{threads}-{time.monotonic_ns()}"
    args = ["train", "--task", "smnist", "--order", "20", "--theta", "300"]
    args += ["--lr", "5e-3", "--epochs", "1", "--limit-train", str(digits)]
    args += ["--limit-test", "256", "--threads", str(threads), "--no-progress"]
    args += ["--output", str(out), "--json"]
    wall, cpu, _ = _timed(_launch(ranks, threads, args), threads)
    metrics = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    return {
        "wall_s": wall,
        "epoch_s": metrics["seconds"],
        "samples_per_s_epoch": digits / metrics["seconds"],
        "samples_per_s_command": digits / wall,
        "cpu_use": cpu,
    }


def run_once(ranks: int, threads: int, digits: int) -> dict:
    from lava_dmp.pretrained import files

    net = files("smnist")["network"]
    args = ["run", str(net), "--samples", str(digits), "--no-progress", "--json"]
    wall, cpu, stdout = _timed(_launch(ranks, threads, args), threads)
    summary = json.loads(stdout.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "lava_s": summary["lava_seconds"],
        "digits_per_s_lava": digits / summary["lava_seconds"],
        "digits_per_s_command": digits / wall,
        "cpu_use": cpu,
        "lava_accuracy": summary["lava_accuracy"],
        "shares": summary.get("shares", [[0, digits]]),
    }


def _median(runs: list[dict]) -> dict:
    keys = [k for k, v in runs[0].items() if isinstance(v, float)]
    # the median of each figure (the mean of the middle two for an even count)
    mid = {}
    for k in keys:
        v, n = sorted(r[k] for r in runs), len(runs)
        mid[k] = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return {**runs[0], **mid, "reps": [{k: r[k] for k in keys} for r in runs]}


def gpu_steps(reps: int) -> list[dict]:
    """Float DMP against lava-dl CUBA training steps on the GPU (the shapes
    and networks of train_speed.py), taking turns, median of ``reps``."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import train_speed as ts

    rows = []
    for name, c in ts.SHAPES.items():
        x, y = (t.cuda() for t in ts._inputs(name, c))
        torch.manual_seed(0)
        nets = {"dmp": ts.dmp_net(c).cuda(), "cuba": ts.CubaNet(c).cuda()}
        opts = {k: torch.optim.Adam(n.parameters(), lr=1e-3) for k, n in nets.items()}
        times = {k: [] for k in nets}
        for rep in range(reps + 1):
            for k, net in nets.items():
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                opts[k].zero_grad()
                torch.nn.functional.cross_entropy(net(x), y).backward()
                opts[k].step()
                torch.cuda.synchronize()
                if rep:  # the first round warms up
                    times[k].append(time.perf_counter() - t0)
        med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
        rows.append(
            {"shape": name, "seconds": med, "cuba_over_dmp": med["cuba"] / med["dmp"]}
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--train-digits", type=int, default=8192)
    ap.add_argument("--run-digits", type=int, default=40)
    ap.add_argument("--json", default="benchmarks/scaling.json")
    args = ap.parse_args()
    configs = [(1, 2), (2, 1)]  # (ranks, threads per rank)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "train_digits": args.train_digits,
        "run_digits": args.run_digits,
    }
    with tempfile.TemporaryDirectory() as tmp:
        train = {c: [] for c in configs}
        run = {c: [] for c in configs}
        for rep in range(args.reps):
            for ranks, threads in configs:
                r = train_once(ranks, threads, args.train_digits, Path(tmp))
                train[(ranks, threads)].append(r)
                print(f"train {ranks}x{threads} rep {rep}: {r}", flush=True)
            for ranks, threads in configs:
                r = run_once(ranks, threads, args.run_digits)
                run[(ranks, threads)].append(r)
                print(f"run   {ranks}x{threads} rep {rep}: {r}", flush=True)
    result["train"] = {f"{r}x{t}": _median(v) for (r, t), v in train.items()}
    result["run"] = {f"{r}x{t}": _median(v) for (r, t), v in run.items()}
    if torch.cuda.is_available():
        result["gpu_steps"] = gpu_steps(max(args.reps, 5))
    print(
        f"\n{'job':6s} {'config':9s} {'per s (work)':>13s} {'per s (cmd)':>12s} "
        f"{'wall s':>8s} {'start-up+eval s':>16s} {'CPU use':>8s}"
    )
    for job in ("train", "run"):
        for cfg, m in result[job].items():
            work = m["epoch_s"] if job == "train" else m["lava_s"]
            per = m["samples_per_s_epoch"] if job == "train" else m["digits_per_s_lava"]
            cmd = (
                m["samples_per_s_command"]
                if job == "train"
                else m["digits_per_s_command"]
            )
            print(
                f"{job:6s} {cfg + ' thr':9s} {per:>13.2f} {cmd:>12.2f} "
                f"{m['wall_s']:>8.1f} {m['wall_s'] - work:>16.1f} {m['cpu_use']:>8.2f}"
            )
        a, b = result[job]["1x2"], result[job]["2x1"]
        key = "samples_per_s_epoch" if job == "train" else "digits_per_s_lava"
        result[f"{job}_2x1_over_1x2"] = b[key] / a[key]
        ratio = b[key] / a[key]
        print(f"{job:6s} 2 ranks x 1 thread / 1 process x 2 threads: {ratio:.2f}")
    for row in result.get("gpu_steps", []):
        s = row["seconds"]
        print(
            f"GPU {row['shape']:7s} DMP {s['dmp']:.4f} s/step, CUBA {s['cuba']:.4f} "
            f"s/step, CUBA/DMP {row['cuba_over_dmp']:.2f}"
        )
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
