"""Where datasets live: ``--data-dir``, ``$LAVA_DMP_DATA_DIR`` or the user cache."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the data root.
DATA_ENV = "LAVA_DMP_DATA_DIR"


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root: the argument, else ``$LAVA_DMP_DATA_DIR``, else
    ``~/.cache/lava-dmp``."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "lava-dmp"
