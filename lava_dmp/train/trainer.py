"""Training loop: progress bars, a JSON line of metrics per epoch, atomic
checkpoints every epoch, exact resume and a wall-clock budget.

Resume is exact because everything random is derived from the seed and the
epoch number (initial weights from ``seed``, the shuffling of epoch ``e`` from
``seed * 100003 + e``): a run interrupted inside epoch ``e`` resumes from the
checkpoint of epoch ``e - 1`` and replays epoch ``e`` identically.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from lava_dmp.train import native
from lava_dmp.train.cpu import set_threads, tune_allocator
from lava_dmp.train.data import TASKS, make_dataset
from lava_dmp.train.model import DMPNet, NetConfig
from lava_dmp.validation import check_choice, check_int, check_positive

__all__ = ["TrainConfig", "train", "evaluate", "load_checkpoint", "save_checkpoint"]

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainConfig:
    """What and how to train (the reference's S-MNIST settings by default).

    ``quantised=True`` trains in the hardware-aware mode: every block's forward
    is the fixed-point contract's integer recurrence (what Lava runs), with
    straight-through gradients. The normal path is to fine-tune a float run in
    this mode: ``init_from`` names its checkpoint (same network).
    """

    task: str = "smnist"
    epochs: int = 50
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    lr_step: int | None = None
    lr_gamma: float = 0.5
    lr_schedule: str = "step"
    seed: int = 0
    perm_seed: int = 0
    limit_train: int | None = None
    limit_test: int | None = None
    max_minutes: float | None = None
    threads: int = 2
    quantised: bool = False
    init_from: str | None = None

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        check_choice("optimizer", self.optimizer, ("adam", "adamw"))
        check_choice("lr_schedule", self.lr_schedule, ("step", "cosine"))
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_positive("lr", self.lr)


def _scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig):
    if cfg.lr_schedule == "cosine":
        # lr (1 + cos(pi e / epochs)) / 2 in epoch e, in closed form, so a run
        # resumed with more --epochs continues on the longer curve
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda e: (1 + math.cos(math.pi * e / cfg.epochs)) / 2
        )
    # StepLR as the SHD reference (x lr_gamma every lr_step epochs); None: fixed
    return torch.optim.lr_scheduler.StepLR(opt, cfg.lr_step or 10**9, cfg.lr_gamma)


def save_checkpoint(path: Path, state: dict) -> None:
    """Write atomically: a crash leaves the previous checkpoint intact."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint, with a clear error if it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint: {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling failure
        raise ValueError(
            f"checkpoint: {path} is corrupt or not a lava-dmp "
            f"checkpoint ({type(err).__name__}: {err})"
        ) from err
    missing = {"net", "train", "model", "optimizer", "epoch"} - set(state)
    if missing:
        raise ValueError(f"checkpoint: {path} lacks {sorted(missing)}")
    return state


def _optimizer(net: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return cls(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


@torch.no_grad()
def evaluate(net: DMPNet, dataset, batch_size: int = 256) -> float:
    """Accuracy of ``net`` on ``dataset``."""
    net.eval()
    correct = 0
    for i in range(0, len(dataset), batch_size):
        x, y = dataset.x[i : i + batch_size], dataset.y[i : i + batch_size]
        correct += int((net(x).argmax(dim=1) == y).sum())
    return correct / len(dataset)


def train(
    net_cfg: NetConfig,
    cfg: TrainConfig,
    output: str | os.PathLike,
    resume: bool = False,
    data_dir: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Train, writing ``checkpoint.pt`` and ``metrics.jsonl`` into ``output``.

    Returns a summary (history, accuracies, parameter counts, stop reason).
    """
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / CHECKPOINT
    set_threads(cfg.threads)
    tune_allocator()
    train_set = make_dataset(
        cfg.task, "train", cfg.perm_seed, cfg.limit_train, data_dir
    )
    test_set = make_dataset(cfg.task, "test", cfg.perm_seed, cfg.limit_test, data_dir)
    torch.manual_seed(cfg.seed)
    net = DMPNet(net_cfg)
    if cfg.init_from is not None:
        init = load_checkpoint(cfg.init_from)
        if not net_cfg.same_network(init["net"]):
            raise ValueError(
                f"init_from: {cfg.init_from} holds another network "
                f"({init['net']['sizes']}, d={init['net']['order']})"
            )
        net.load_state_dict(init["model"])
        log(f"weights from {cfg.init_from} (epoch {init['epoch']})")
    if cfg.quantised:
        from lava_dmp.train.data import input_format
        from lava_dmp.train.export import quantize_network

        quantize_network(net, None, *input_format(cfg.task))
    opt = _optimizer(net, cfg)
    sched = _scheduler(opt, cfg)
    start_epoch, history = 0, []
    if resume and ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        if not net_cfg.same_network(state["net"]) or state["train"]["task"] != cfg.task:
            raise ValueError(
                f"resume: {ckpt_path} was written for another "
                f"network or task; use another --output"
            )
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if "scheduler" in state:
            sched.load_state_dict(state["scheduler"])
        if cfg.lr_schedule == "cosine":
            # the loaded optimizer holds the lr of the saved curve; put it on
            # this run's --epochs curve (StepLR has no such length)
            for group, base in zip(opt.param_groups, sched.base_lrs):
                group["lr"] = base * sched.lr_lambdas[0](sched.last_epoch)
        start_epoch, history = state["epoch"], state.get("history", [])
        log(f"resumed from {ckpt_path} after epoch {start_epoch}")
    counts = net.param_counts()
    log(
        f"parameters: {counts['paper']} (paper convention), {counts['pytorch']} "
        f"(PyTorch trainable)"
    )
    if not cfg.quantised:  # the float path's LIF: compiled kernels or torch
        log(f"LIF kernels: {native.status()}")
    t_start = time.perf_counter()
    stop_reason = "done"
    for epoch in range(start_epoch, cfg.epochs):
        net.train()
        gen = torch.Generator().manual_seed(cfg.seed * 100003 + epoch)
        torch.manual_seed(cfg.seed * 100003 + epoch + 1)  # dropout masks replay too
        order = torch.randperm(len(train_set), generator=gen)
        batches = range(0, len(order), cfg.batch_size)
        bar = tqdm(
            batches,
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            disable=not progress,
            leave=False,
        )
        loss_sum, correct, seen, t_epoch = 0.0, 0, 0, time.perf_counter()
        for i in bar:
            idx = order[i : i + cfg.batch_size]
            x, y = train_set.x[idx], train_set.y[idx]
            opt.zero_grad()
            scores = net(x)
            loss = torch.nn.functional.cross_entropy(scores, y)
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(y)
            correct += int((scores.argmax(dim=1) == y).sum())
            seen += len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}")
            if cfg.max_minutes and time.perf_counter() - t_start > 60 * cfg.max_minutes:
                stop_reason = "max_minutes"
                break
        bar.close()
        if stop_reason != "done":
            log(
                f"stopped inside epoch {epoch + 1} (time budget); the checkpoint "
                f"of epoch {epoch} is kept, --resume replays epoch {epoch + 1}"
            )
            break
        metrics = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / seen,
            "train_acc": correct / seen,
            "test_acc": evaluate(net, test_set),
            "seconds": round(time.perf_counter() - t_epoch, 2),
            "lr": opt.param_groups[0]["lr"],
        }
        sched.step()
        history.append(metrics)
        log(json.dumps(metrics))
        with open(out / "metrics.jsonl", "a") as fh:
            fh.write(json.dumps(metrics) + "\n")
        save_checkpoint(
            ckpt_path,
            {
                "net": net_cfg.to_dict(),
                "train": asdict(cfg),
                "model": net.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "epoch": epoch + 1,
                "history": history,
                "permutation": train_set.permutation,
            },
        )
    summary = {}
    if cfg.quantised and history:  # the same weights in the float forward
        for block in net.blocks:
            block.dequantize()
        summary["float_test_acc_same_weights"] = evaluate(net, test_set)
    return {
        **summary,
        "output": str(out),
        "checkpoint": str(ckpt_path),
        "history": history,
        "test_acc": history[-1]["test_acc"] if history else None,
        "mode": "quantised" if cfg.quantised else "float",
        "params": counts,
        "stop_reason": stop_reason,
        "seconds": round(time.perf_counter() - t_start, 2),
    }
