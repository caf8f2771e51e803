"""torch.distributed for lava-dmp: training and evaluation over ranks that
``torchrun`` launches.

Launched by ``torchrun`` (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT`` in the environment), :func:`setup` joins the process group:
gloo on CPU, nccl on GPU. Without torchrun, :func:`current` is the single
process (rank 0 of 1) and nothing here talks to anyone.

The shares are contiguous and differ by at most one item::

    share(n, r, R) = [floor(r n / R), floor((r + 1) n / R))

so rank order is sample order: gathering per-rank results in rank order gives
the single process's order. Collectives time out after
``LAVA_DMP_DIST_TIMEOUT`` seconds (default 1800); a rank that fails exits
with its error and torchrun stops the others.

Lava sets the multiprocessing start method when it is imported, so ranks are
processes that torchrun starts, never ``torch.multiprocessing.spawn``
children.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from lava_dmp._launch import launched

__all__ = [
    "Context",
    "current",
    "setup",
    "teardown",
    "launched",
    "share",
    "TIMEOUT_ENV",
]

TIMEOUT_ENV = "LAVA_DMP_DIST_TIMEOUT"


@dataclass(frozen=True)
class Context:
    """This process's place among the ranks."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    #: where collectives' tensors live (nccl needs the rank's GPU)
    device: str = "cpu"

    @property
    def active(self) -> bool:
        """More than one rank: collectives are needed."""
        return self.world > 1

    @property
    def main(self) -> bool:
        """Rank 0: the one that writes results and prints."""
        return self.rank == 0

    def share(self, n: int) -> tuple[int, int]:
        """This rank's contiguous share ``[lo, hi)`` of ``n`` items."""
        return share(n, self.rank, self.world)

    def share_of(self, n: int, rank: int) -> tuple[int, int]:
        """Rank ``rank``'s share ``[lo, hi)`` of ``n`` items."""
        return share(n, rank, self.world)

    def sum(self, values: list[float]) -> list:
        """Elementwise sum over ranks (float64; integers stay exact below
        2^53)."""
        if not self.active:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()

    def max_each(self, values: list[float]) -> list:
        """Elementwise maximum over ranks."""
        if not self.active:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return t.tolist()

    def any(self, flag: bool) -> bool:
        """True on every rank if it is True on one (a common decision)."""
        return bool(self.max_each([float(flag)])[0])

    def gather(self, obj) -> list | None:
        """Every rank's ``obj`` in rank order on rank 0 (None elsewhere)."""
        if not self.active:
            return [obj]
        out = [None] * self.world if self.main else None
        dist.gather_object(obj, out, dst=0)
        return out

    def all_gather(self, obj) -> list:
        """Every rank's ``obj`` in rank order, on every rank."""
        if not self.active:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.active:
            dist.barrier()


def share(n: int, rank: int, world: int) -> tuple[int, int]:
    """Rank ``rank``'s contiguous share of ``n`` items over ``world`` ranks."""
    return (rank * n) // world, ((rank + 1) * n) // world


def _timeout() -> datetime.timedelta:
    text = os.environ.get(TIMEOUT_ENV, "1800")
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{TIMEOUT_ENV}: expected seconds > 0, got {text!r}")
    return datetime.timedelta(seconds=seconds)


def current() -> Context:
    """The context of this process (single process unless :func:`setup` ran)."""
    if dist.is_available() and dist.is_initialized():
        local = int(os.environ.get("LOCAL_RANK", 0))
        nccl = dist.get_backend() == "nccl"
        return Context(
            dist.get_rank(),
            dist.get_world_size(),
            local,
            f"cuda:{local}" if nccl else "cpu",
        )
    return Context()


def setup(device: str = "cpu") -> Context:
    """Join torchrun's process group (gloo for ``cpu``, nccl for ``cuda``);
    the single process when not launched by torchrun."""
    if not launched() or (dist.is_available() and dist.is_initialized()):
        return current()
    if not dist.is_available():
        raise ValueError("torchrun: this torch build has no torch.distributed")
    cuda = str(device).startswith("cuda")
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group("nccl" if cuda else "gloo", timeout=_timeout())
    return current()


def teardown(clean: bool = True) -> None:
    """Leave the process group (a no-op without one).

    ``clean``: every rank got here; they meet at a barrier first, since a
    rank whose peer has already left can block in ``destroy_process_group``.
    After a failure the group is left as it is: the process exits with its
    error and torchrun stops the others.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if clean:
        dist.barrier()
        dist.destroy_process_group()
