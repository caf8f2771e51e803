"""Names re-exported by a package, imported on first use (PEP 562).

Lava imports ``lava_dmp`` during every model discovery, and a package's
``__init__`` runs then: it must not import torch or the training code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package`` re-exporting
    ``{name: module}``."""

    def __getattr__(name: str) -> object:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    names = sorted(exports)
    return __getattr__, lambda: names, names
