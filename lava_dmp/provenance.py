"""Where a result came from: the commit of the library's checkout.

Provenance records (shipped networks, benchmark JSON, result files) name the
commit of the code that produced them, so a reader can check a figure out and
run it again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["source_commit"]


def source_commit(
    path: str | os.PathLike | None = None, short: bool = True
) -> str | None:
    """The commit checked out at ``path`` (default: the library's own folder).

    Parameters
    ----------
    path : str or PathLike, optional
        A folder inside a git checkout; the installed ``lava_dmp`` package's
        folder when omitted (an editable install's checkout).
    short : bool
        Git's abbreviated hash instead of the full 40 hex digits.

    Returns
    -------
    str or None
        The hash, or ``None`` where ``path`` is not inside a git checkout or
        git is not installed (a wheel install has no commit to name).
    """
    folder = Path(path) if path is not None else Path(__file__).resolve().parent
    cmd = ["git", "-C", str(folder), "rev-parse"] + (["--short"] if short else [])
    try:
        out = subprocess.run(cmd + ["HEAD"], capture_output=True, text=True)
    except OSError:  # no git on this machine
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None
