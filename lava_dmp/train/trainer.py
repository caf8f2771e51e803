"""Training loop: progress bars, a JSON line of metrics per epoch, atomic
checkpoints every epoch, exact resume and a wall-clock budget.

Nothing is lost: an output folder holding another run's checkpoint or metrics
is refused unless the run resumes it or is told to overwrite it; a second run
on a folder in use is refused (a lock file); the metrics line of an epoch is
written after its checkpoint; a non-finite loss stops the run with the
checkpoint of the last finite epoch kept.

Resume is strict: every training setting comes from the checkpoint, and a
different value is refused naming it, except for :data:`RESUME_CHANGEABLE`
(``epochs``, ``max_minutes``, ``threads``), whose changes are recorded in the
checkpoint's ``resumes`` list.

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
from contextlib import nullcontext
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from tqdm import tqdm

from lava_dmp import distributed
from lava_dmp._checks import check_choice, check_int, check_positive, check_real
from lava_dmp.outputs import FolderLock, atomic_write_text, claim_output
from lava_dmp.train.activity import ActivityLog
from lava_dmp.train.checkpoint import (
    check_finite_weights,
    load_checkpoint,
    network_from_checkpoint,
    save_checkpoint,
)
from lava_dmp.train.cpu import set_threads, tune_allocator
from lava_dmp.train.data import (
    CODINGS,
    TASKS,
    as_dataset,
    as_training_data,
    make_dataset,
)
from lava_dmp.train.device import check_device, describe, lif_path, resolve_device
from lava_dmp.train.model import DMPNet, NetConfig
from lava_dmp.train.sdfa import (
    FEEDBACK_MODES,
    FEEDBACK_SCALES,
    RULES,
    DelayedUpdates,
    Feedback,
    SDFAForward,
    sdfa_backward,
)

__all__ = [
    "TrainConfig",
    "TrainingDiverged",
    "ResumeMismatch",
    "RESUME_CHANGEABLE",
    "train",
    "evaluate",
    "check_resume",
    "initial_network",
    "load_checkpoint",
    "save_checkpoint",
]

CHECKPOINT = "checkpoint.pt"
#: losses on the time-averaged readout
LOSSES = ("ce", "mse")
METRICS = "metrics.jsonl"

#: Training settings a resumed run may change (recorded in the checkpoint).
RESUME_CHANGEABLE = ("epochs", "max_minutes", "threads", "device")


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite; the last finite checkpoint is kept."""


class ResumeMismatch(ValueError):
    """A resumed run asks for settings other than its checkpoint's.

    ``differences`` maps each field to ``(checkpoint's value, requested)``.
    """

    def __init__(self, path, differences: dict[str, tuple], label=str) -> None:
        self.differences = differences
        items = "; ".join(
            f"{label(k)}: checkpoint {a!r}, this run {b!r}"
            for k, (a, b) in differences.items()
        )
        super().__init__(
            f"resume: {path} was trained with other settings ({items}); resume "
            f"with the checkpoint's settings (only "
            f"{', '.join(label(k) for k in RESUME_CHANGEABLE)} may change) or "
            f"use another output folder"
        )


@dataclass
class TrainConfig:
    """What and how to train (the reference's S-MNIST settings by default).

    ``quantised=True`` trains in the hardware-aware mode: every block's forward
    is the fixed-point contract's integer recurrence (what Lava runs), with
    straight-through gradients. The normal path is to fine-tune a float run in
    this mode: ``init_from`` names its checkpoint (same network), or a
    network shipped with the package as ``'pretrained:smnist'``.

    ``threads`` sets torch's intra-op threads for the run (None: leave the
    process's setting alone; the CLI's ``--threads`` defaults to 2).
    ``data``/``data_module`` name a custom task's data (:mod:`lava_dmp.
    datasets.custom`).

    ``rule`` is ``'bptt'`` (backpropagation through time and layers),
    ``'sdfa'`` or ``'sdfa-local'`` (:mod:`lava_dmp.train.sdfa`; the feedback
    matrices come from ``feedback_seed``, ``feedback_mode``,
    ``feedback_scale``). ``update_delay`` applies each batch's gradient that
    many batches later (a pipelined trainer's staleness). ``freeze_hidden``
    trains the readout alone (the hidden blocks keep their weights: the
    baseline any fine-tuning rule should beat). ``loss`` is
    ``'ce'`` (cross-entropy on the time-averaged readout) or ``'mse'`` (to
    the one-hot target, the SDFA reference's). ``steps`` is the length
    ``T`` of the coded tasks ``mnist-rate`` and ``mnist-latency`` (default
    25; their training spikes are drawn anew every epoch from the epoch's
    seed). ``device`` is ``'cpu'``, ``'cuda'`` or ``'cuda:N'`` (under
    torchrun, ``'cuda'`` is each rank's ``LOCAL_RANK`` GPU).

    Under ``torchrun`` (:mod:`lava_dmp.distributed`) every rank trains on its
    contiguous share of each global batch of ``batch_size`` samples (shares
    differ by at most one sample; the last, partial batch is split the same
    way, as the single process uses it whole); gradients are averaged by
    ``DistributedDataParallel`` with each rank's loss weighted by its share,
    so that the update is the single process's on the same global batch.
    Rank 0 alone writes the checkpoint and the metrics.
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
    threads: int | None = None
    quantised: bool = False
    init_from: str | None = None
    data: str | None = None
    data_module: str | None = None
    rule: str = "bptt"
    feedback_seed: int = 0
    feedback_mode: str = "nested"
    feedback_scale: str = "max"
    update_delay: int = 0
    freeze_hidden: bool = False
    loss: str = "ce"
    steps: int | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        check_choice("optimizer", self.optimizer, ("adam", "adamw"))
        check_choice("lr_schedule", self.lr_schedule, ("step", "cosine"))
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        lr = check_positive("lr", self.lr)
        if lr > 10.0:  # Adam's step is about lr: beyond this it only overflows
            raise ValueError(f"lr: must be in (0, 10], got {lr:g}")
        check_real("weight_decay", self.weight_decay, low=0.0)
        if self.lr_step is not None:
            check_int("lr_step", self.lr_step, minimum=1)
        gamma = check_real("lr_gamma", self.lr_gamma)
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"lr_gamma: must be in (0, 1], got {gamma}")
        check_int("seed", self.seed, minimum=0)
        check_int("perm_seed", self.perm_seed, minimum=0)
        for name in ("limit_train", "limit_test"):
            if getattr(self, name) is not None:
                check_int(name, getattr(self, name), minimum=1)
        if self.max_minutes is not None:
            check_positive("max_minutes", self.max_minutes)
        if self.threads is not None:
            check_int("threads", self.threads, minimum=1)
        if self.task != "custom" and (self.data or self.data_module):
            raise ValueError(
                f"data: --data and --data-module go with --task custom, not "
                f"{self.task!r}"
            )
        if self.data and self.data_module:
            raise ValueError("data: give --data or --data-module, not both")
        check_choice("rule", self.rule, RULES)
        check_int("feedback_seed", self.feedback_seed, minimum=0)
        check_choice("feedback_mode", self.feedback_mode, FEEDBACK_MODES)
        check_choice("feedback_scale", self.feedback_scale, FEEDBACK_SCALES)
        check_int("update_delay", self.update_delay, minimum=0)
        check_choice("loss", self.loss, LOSSES)
        if self.steps is not None:
            if self.task not in CODINGS:
                raise ValueError(
                    f"steps: --steps sets the length of the coded tasks "
                    f"({', '.join(CODINGS)}), not of {self.task!r}"
                )
            check_int("steps", self.steps, 1, 10_000)
        check_device(self.device)
        for name in ("quantised", "freeze_hidden"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(
                    f"{name}: expected True or False, got {getattr(self, name)!r}"
                )
        if self.freeze_hidden and self.rule != "bptt":
            raise ValueError(
                f"freeze_hidden: --freeze-hidden trains the readout alone with its "
                f"true gradient and goes with --rule bptt, not {self.rule!r}"
            )


def _scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig):
    if cfg.lr_schedule == "cosine":
        # lr (1 + cos(pi e / epochs)) / 2 in epoch e, in closed form, so a run
        # resumed with more --epochs continues on the longer curve
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda e: (1 + math.cos(math.pi * e / cfg.epochs)) / 2
        )
    # StepLR as the SHD reference (x lr_gamma every lr_step epochs); None: fixed
    return torch.optim.lr_scheduler.StepLR(opt, cfg.lr_step or 10**9, cfg.lr_gamma)


def _optimizer(net: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return cls(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


@torch.no_grad()
def batch(dataset, idx) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """``(x, y, lengths)`` of the samples ``idx``; with variable lengths the
    time axis is cut to the longest of them (the network is causal, so the
    valid steps are unchanged)."""
    x, y = dataset.x[idx], dataset.y[idx]
    lengths = getattr(dataset, "lengths", None)
    if lengths is None:
        return x, y, None
    lengths = lengths[idx]
    return x[..., : int(lengths.max())], y, lengths


def evaluate(
    net: DMPNet,
    dataset,
    batch_size: int = 256,
    ctx: distributed.Context | None = None,
) -> float:
    """Accuracy of ``net`` on ``dataset`` (a dataset of this package or any
    object of the contract of :mod:`lava_dmp.datasets.custom`), on the device
    of ``net``'s parameters.

    With a distributed ``ctx`` (default: this process's, see
    :mod:`lava_dmp.distributed`) each rank runs its contiguous share of the
    batches and the counts are summed: the accuracy is the single
    process's, batch for batch.
    """
    dataset = as_dataset(dataset, getattr(dataset, "spec", None))
    ctx = distributed.current() if ctx is None else ctx
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    correct = 0
    starts = range(0, len(dataset), batch_size)
    lo, hi = ctx.share(len(starts))
    with torch.no_grad():
        for i in starts[lo:hi]:
            x, y, lengths = to_device(batch(dataset, slice(i, i + batch_size)), device)
            correct += int((net(x, lengths).argmax(dim=1) == y).sum())
    net.train(was_training)
    (correct,) = ctx.sum([correct])
    return int(correct) / len(dataset)


def to_device(xyl: tuple, device: torch.device) -> tuple:
    """``(x, y, lengths)`` on ``device`` (pinned and asynchronous to a GPU)."""
    if device.type == "cpu":
        return xyl
    cuda = device.type == "cuda"
    return tuple(
        None
        if t is None
        else (t.pin_memory() if cuda else t).to(device, non_blocking=cuda)
        for t in xyl
    )


def check_resume(
    state: dict, net_cfg: NetConfig, cfg: TrainConfig, path="checkpoint", label=str
) -> dict[str, tuple]:
    """Check that ``net_cfg`` and ``cfg`` continue the run of checkpoint
    ``state``; return the changes of :data:`RESUME_CHANGEABLE` settings as
    ``{field: (old, new)}``.

    Raises :class:`ResumeMismatch` naming every other field that differs
    (``label`` turns a field name into what the caller calls it, for example
    a command-line flag).
    """
    diff = dict(net_cfg.differences(state["net"]))
    stored = state["train"]
    changed = {}
    for f in fields(TrainConfig):
        old, new = stored.get(f.name, f.default), getattr(cfg, f.name)
        if f.name == "init_from" or old == new:
            continue  # init_from only matters before epoch 1
        if f.name in RESUME_CHANGEABLE:
            changed[f.name] = (old, new)
        else:
            diff[f.name] = (old, new)
    if diff:
        raise ResumeMismatch(path, diff, label)
    return changed


def _check_labels(dataset, classes: int, split: str) -> None:
    y = dataset.y
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= classes:
        raise ValueError(
            f"labels: the {split} data has labels in [{lo}, {hi}], but the network "
            f"has {classes} outputs (labels must be in [0, {classes - 1}]; see "
            f"--sizes)"
        )


def loss_function(name: str):
    """``'ce'``: cross-entropy on the scores; ``'mse'``: mean squared error of
    the scores to the one-hot target."""
    check_choice("loss", name, LOSSES)
    if name == "ce":
        return torch.nn.functional.cross_entropy

    def mse(scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        target = torch.nn.functional.one_hot(y, scores.shape[1]).to(scores.dtype)
        return torch.nn.functional.mse_loss(scores, target)

    return mse


def _feedback(net_cfg: NetConfig, cfg: TrainConfig, state: dict | None):
    """The run's feedback matrices (None for BPTT); a resumed run's own."""
    if cfg.rule == "bptt":
        return None
    if state is not None and "feedback" in state:
        return Feedback.from_state(state["feedback"])
    return Feedback(
        net_cfg.sizes[-1],
        list(net_cfg.sizes[1:-1]),
        cfg.feedback_seed,
        cfg.feedback_mode,
        cfg.feedback_scale,
    )


def _write_metrics(path: Path, history: list[dict]) -> None:
    atomic_write_text(
        path, "".join(json.dumps(m) + "\n" for m in history), what="metrics"
    )


def train(
    net_cfg: NetConfig,
    cfg: TrainConfig,
    output: str | os.PathLike,
    resume: bool = False,
    data_dir: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    overwrite: bool = False,
    data=None,
    test_data=None,
    allocator: bool = False,
) -> dict:
    """Train, writing ``checkpoint.pt`` and ``metrics.jsonl`` into ``output``.

    Parameters
    ----------
    net_cfg, cfg : NetConfig, TrainConfig
        The network and how to train it.
    output : path
        Results folder. If it holds a checkpoint or metrics of another run,
        the run is refused unless ``resume`` (continue that run: see
        :func:`check_resume`) or ``overwrite`` (delete them and start again).
    resume : bool
        Continue from ``output/checkpoint.pt`` (a fresh start if there is
        none yet).
    data_dir : path or None
        Data root.
    progress : bool
        Progress bars.
    log : callable
        Where messages go.
    overwrite : bool
        Replace another run's files in ``output``.
    allocator : bool
        Raise glibc's mmap and trim thresholds for this process
        (:func:`lava_dmp.train.cpu.tune_allocator`: up to 2.5x faster steps on
        CPU); a process-wide setting, so off unless asked (the CLI asks).
    data, test_data : datasets or None
        For ``task='custom'``: the training and test sets, any objects of the
        contract of :mod:`lava_dmp.datasets.custom` (the test set is encoded
        with the training set's spec). Without them a custom task reads
        ``cfg.data`` or ``cfg.data_module``.

    Returns a summary (history, accuracies, parameter counts, stop reason).
    Everything is checked before anything is written.
    """
    out = Path(output)
    if resume and overwrite:
        raise ValueError("resume: --resume and --overwrite exclude each other")
    ctx = distributed.current()
    device = resolve_device(cfg.device, ctx.local_rank)
    if not ctx.main:  # rank 0 reports and writes
        log, progress = (lambda msg: None), False
    ckpt_path, metrics_path = out / CHECKPOINT, out / METRICS
    if ctx.main:
        claim_output(
            out,
            (CHECKPOINT, METRICS),
            overwrite=overwrite or resume,
            hint="--resume (continue that run) or --overwrite (start again)",
        )
    state = None
    if resume and ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        check_finite_weights(state["model"], ckpt_path)
        resume_changes = check_resume(state, net_cfg, cfg, ckpt_path)
    if data is not None:
        if cfg.task != "custom":
            raise ValueError(f"data: datasets go with task='custom', not {cfg.task!r}")
        if test_data is None:
            raise ValueError("test_data: training on a dataset object needs a test set")
        train_set, test_set = as_training_data(data, test_data)
        if cfg.limit_train:
            train_set = train_set.take(cfg.limit_train)
        if cfg.limit_test:
            test_set = test_set.take(cfg.limit_test)
    else:
        kw = dict(
            data_dir=data_dir,
            data=cfg.data,
            data_module=cfg.data_module,
            steps=cfg.steps,
        )
        train_set = make_dataset(
            cfg.task, "train", cfg.perm_seed, cfg.limit_train, **kw
        )
        spec = train_set.spec if cfg.task == "custom" else None
        test_set = make_dataset(
            cfg.task, "test", cfg.perm_seed, cfg.limit_test, spec=spec, **kw
        )
    spec = train_set.spec
    if spec.channels != net_cfg.sizes[0]:
        raise ValueError(
            f"sizes: the data has {spec.channels} input channels, the network "
            f"takes {net_cfg.sizes[0]} (the first of --sizes)"
        )
    if state is not None and "input" in state and state["input"] != spec.to_dict():
        raise ValueError(
            f"resume: {ckpt_path} was trained on data encoded as "
            f"{state['input']}, this data is {spec.to_dict()}"
        )
    _check_labels(train_set, net_cfg.sizes[-1], "train")
    _check_labels(test_set, net_cfg.sizes[-1], "test")
    if cfg.init_from is not None and state is None:
        init_net, init = initial_network(cfg.init_from)
        diff = net_cfg.differences(init["net"], weights_only=True)
        if diff:
            raise ValueError(
                f"init_from: {cfg.init_from} holds another network ("
                + "; ".join(
                    f"{k}: {a!r} there, {b!r} here" for k, (a, b) in diff.items()
                )
                + ")"
            )
    if cfg.threads is not None:  # the caller's own setting otherwise
        set_threads(cfg.threads)
    if allocator:
        tune_allocator()
    torch.manual_seed(cfg.seed)
    net = DMPNet(net_cfg)
    if cfg.init_from is not None and state is None:
        net.load_state_dict(init_net.state_dict())
        log(f"weights from {cfg.init_from} (epoch {init['epoch']})")
    if cfg.freeze_hidden:
        net.blocks.requires_grad_(False)
    if cfg.quantised:
        from lava_dmp.train.export import quantize_network

        quantize_network(net, None, spec)
    net.to(device)
    opt = _optimizer(net, cfg)
    sched = _scheduler(opt, cfg)
    start_epoch, history, resumes = 0, [], []
    if state is not None:
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
        resumes = list(state.get("resumes", []))
        if resume_changes:
            resumes.append(
                {
                    "after_epoch": start_epoch,
                    "changed": {k: list(v) for k, v in resume_changes.items()},
                }
            )
            log(
                "resume changes "
                + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in resume_changes.items())
            )
    counts = net.param_counts()
    log(
        f"parameters: {counts['paper']} (paper convention), {counts['pytorch']} "
        f"(PyTorch trainable)"
    )
    lif = "integer golden model" if cfg.quantised else lif_path(device)
    log(f"device: {describe(device)}; LIF: {lif}")
    if ctx.active:
        log(
            f"{ctx.world} ranks (torch.distributed); each rank trains on its "
            f"share of every global batch of {cfg.batch_size}"
        )
    if ctx.main:
        out.mkdir(parents=True, exist_ok=True)
    with FolderLock(out) if ctx.main else nullcontext():
        if state is not None:
            # the checkpoint's history is the record: drop metrics lines of
            # epochs whose checkpoint was never written
            if ctx.main:
                _write_metrics(metrics_path, history)
            log(f"resumed from {ckpt_path} after epoch {start_epoch}")
        elif ctx.main:
            for stale in (ckpt_path, metrics_path):
                if stale.exists():  # claim_output let them through: overwrite
                    stale.unlink()
        run = _Run(
            net,
            net_cfg,
            cfg,
            opt,
            sched,
            train_set,
            test_set,
            history,
            resumes,
            out,
            _feedback(net_cfg, cfg, state),
            ActivityLog(state.get("activity") if state is not None else None),
            ctx,
            device,
            lif,
        )
        stop_reason, t_start = _epochs(run, start_epoch, progress, log)
    summary = {}
    if run.feedback is not None:
        fb = run.feedback
        summary["feedback"] = {
            "seed": fb.seed,
            "mode": fb.mode,
            "scale": fb.scale,
            "shapes": fb.shapes(),
        }
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
        "rule": cfg.rule,
        "device": str(device),
        "ranks": ctx.world,
        "params": counts,
        "stop_reason": stop_reason,
        "seconds": round(time.perf_counter() - t_start, 2),
    }


#: ``init_from`` prefix naming a network shipped with the package
PRETRAINED_PREFIX = "pretrained:"


def initial_network(source: str) -> tuple[DMPNet, dict]:
    """``(net, {"net": ..., "epoch": ...})`` of a checkpoint path or of a
    shipped network named ``pretrained:NAME`` (see :mod:`lava_dmp.pretrained`)."""
    if not str(source).startswith(PRETRAINED_PREFIX):
        return network_from_checkpoint(source)
    from lava_dmp import pretrained

    name = str(source)[len(PRETRAINED_PREFIX) :]
    if name not in pretrained.available():
        raise ValueError(
            f"init_from: {source!r} is not shipped; shipped networks: "
            f"{', '.join(PRETRAINED_PREFIX + n for n in pretrained.available())}"
        )
    shipped = pretrained.load(name)
    return shipped.net, {
        "net": shipped.net.cfg.to_dict(),
        "epoch": shipped.provenance["training"]["epochs"],
    }


@dataclass
class _Run:
    """What the epoch loop works on."""

    net: DMPNet
    net_cfg: NetConfig
    cfg: TrainConfig
    opt: torch.optim.Optimizer
    sched: object
    train_set: object
    test_set: object
    history: list
    resumes: list
    out: Path
    feedback: Feedback | None = None
    activity: ActivityLog | None = None
    ctx: distributed.Context = distributed.Context()
    device: torch.device = torch.device("cpu")
    lif_path: str = ""


def _epochs(run: _Run, start_epoch: int, progress: bool, log) -> tuple[str, float]:
    """The epoch loop; returns the stop reason and its start time. The
    activity of the training forward is counted meanwhile."""
    run.activity.attach(run.net)
    try:
        return _epoch_loop(run, start_epoch, progress, log)
    finally:
        run.activity.detach()


def _wrapped(run: _Run) -> torch.nn.Module:
    """The module whose forward a training step calls: the network (BPTT) or
    its SDFA forward, inside ``DistributedDataParallel`` on several ranks."""
    module = run.net if run.feedback is None else SDFAForward(run.net)
    if not run.ctx.active:
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(
        module,
        device_ids=[run.device] if run.device.type == "cuda" else None,
        find_unused_parameters=False,
    )


def _epoch_loop(run: _Run, start_epoch: int, progress: bool, log):
    net, cfg, opt, sched, ctx = run.net, run.cfg, run.opt, run.sched, run.ctx
    loss_fn = loss_function(cfg.loss)
    updates = DelayedUpdates(opt, cfg.update_delay)
    train_set, history, out = run.train_set, run.history, run.out
    ckpt_path = out / CHECKPOINT
    model = _wrapped(run)
    t_start = time.perf_counter()
    stop_reason = "done"
    for epoch in range(start_epoch, cfg.epochs):
        net.train()
        gen = torch.Generator().manual_seed(cfg.seed * 100003 + epoch)
        torch.manual_seed(cfg.seed * 100003 + epoch + 1)  # dropout masks replay too
        order = torch.randperm(len(train_set), generator=gen)
        if hasattr(train_set, "set_epoch"):  # coded inputs: this epoch's spikes
            train_set.set_epoch(cfg.seed * 100003 + epoch)
        batches = range(0, len(order), cfg.batch_size)
        bar = tqdm(
            batches,
            desc=f"epoch {epoch + 1}/{cfg.epochs}",
            disable=not progress,
            leave=False,
        )
        loss_sum, correct, seen, t_epoch = 0.0, 0, 0, time.perf_counter()
        for b, i in enumerate(bar):
            glob = order[i : i + cfg.batch_size]
            lo, hi = ctx.share(len(glob))
            # a rank whose share is empty (a last batch smaller than the world)
            # still joins the gradient average, with one sample weighted 0
            idx = glob[lo:hi] if hi > lo else glob[:1]
            weight = (hi - lo) * ctx.world / len(glob)
            x, y, lengths = to_device(batch(train_set, idx), run.device)
            opt.zero_grad()
            run.activity.paused = hi == lo
            if run.feedback is None:
                scores = model(x, lengths)
                loss = loss_fn(scores, y)
                finite = bool(torch.isfinite(loss))
                if finite:
                    (loss * weight if weight != 1.0 else loss).backward()
            else:
                scores, loss = sdfa_backward(
                    net,
                    x,
                    y,
                    run.feedback,
                    loss_fn,
                    lengths,
                    local=cfg.rule == "sdfa-local",
                    forward=model,
                    weight=weight,
                )
                finite = bool(torch.isfinite(loss))
            if ctx.active:  # one decision for every rank
                finite = not ctx.any(not finite)
            if not finite:
                bar.close()
                kept = (
                    f"the checkpoint of epoch {epoch} in {ckpt_path} is kept"
                    if epoch
                    else "no checkpoint was written"
                )
                raise TrainingDiverged(
                    f"training diverged: the loss is {float(loss)} in epoch "
                    f"{epoch + 1}, batch {b + 1} (lr {opt.param_groups[0]['lr']:g}); "
                    f"{kept}. Lower --lr or check --init-std and the data"
                )
            updates.step()
            if hi > lo:
                loss_sum += float(loss) * len(y)
                correct += int((scores.argmax(dim=1) == y).sum())
                seen += len(y)
            if progress:
                bar.set_postfix(
                    loss=f"{loss_sum / max(seen, 1):.4f}",
                    acc=f"{correct / max(seen, 1):.3f}",
                )
            if cfg.max_minutes:
                late = time.perf_counter() - t_start > 60 * cfg.max_minutes
                if ctx.any(late) if ctx.active else late:
                    stop_reason = "max_minutes"
                    break
        bar.close()
        updates.flush()  # the last batches' updates belong to this epoch
        run.activity.paused = False
        if stop_reason != "done":
            log(
                f"stopped inside epoch {epoch + 1} (time budget); the checkpoint "
                f"of epoch {epoch} is kept, --resume replays epoch {epoch + 1}"
            )
            break
        loss_sum, correct, seen = ctx.sum([loss_sum, correct, seen])
        run.activity.sync(ctx)
        weights = {k: v.detach().cpu() for k, v in net.state_dict().items()}
        bad = [
            k
            for k, v in weights.items()
            if v.is_floating_point() and not bool(torch.isfinite(v).all())
        ]
        if bad:
            raise TrainingDiverged(
                f"training diverged: weights {bad[:3]} became non-finite in epoch "
                f"{epoch + 1}; the checkpoint of epoch {epoch} is kept"
            )
        metrics = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / seen,
            "train_acc": correct / seen,
            "test_acc": evaluate(net, run.test_set, ctx=ctx),
            "seconds": round(time.perf_counter() - t_epoch, 2),
            "lr": opt.param_groups[0]["lr"],
            "rule": cfg.rule,
            "device": str(run.device),
            "lif": run.lif_path,
            "ranks": ctx.world,
        }
        sched.step()
        history.append(metrics)
        log(json.dumps(metrics))
        if ctx.main:
            # the checkpoint first: a metrics line never describes an epoch
            # whose checkpoint failed to save
            save_checkpoint(
                ckpt_path,
                {
                    "net": run.net_cfg.to_dict(),
                    "train": asdict(cfg),
                    "model": weights,
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "epoch": epoch + 1,
                    "history": history,
                    "permutation": train_set.permutation,
                    "input": train_set.spec.to_dict(),
                    "activity": run.activity.state_dict(),
                    **(
                        {"feedback": run.feedback.state_dict()}
                        if run.feedback is not None
                        else {}
                    ),
                    "resumes": run.resumes,
                },
            )
            _write_metrics(out / METRICS, history)  # whole, never a partial line
        ctx.barrier()  # the epoch ends when its checkpoint is on disk
    return stop_reason, t_start
