"""Whether torchrun launched this process, and its rank, from the environment
alone: the command line asks before it imports torch."""

from __future__ import annotations

import os

__all__ = ["launched", "rank"]


def launched() -> bool:
    """Started by torchrun (its environment is set)."""
    return all(k in os.environ for k in ("RANK", "WORLD_SIZE", "MASTER_ADDR"))


def rank() -> int:
    """This process's global rank under torchrun, else 0."""
    return int(os.environ.get("RANK", 0)) if launched() else 0
