"""Import lava-dl without two notices that do not concern lava-dmp.

On import, lava-dl prints on stdout that the optional Prophesee dataset
toolbox is missing (only its Prophesee demo needs it), and torch's extension
loader prints on stderr that no CUDA runtime is found when a CUDA toolkit is
installed on a machine without a GPU. :func:`import_slayer` imports
``lava.lib.dl.slayer`` capturing just those streams for just that import and
passes on every other line (to stderr): nothing else is hidden, and stdout
stays clean for ``--json``.
"""

from __future__ import annotations

import contextlib
import io
import sys

__all__ = ["import_slayer", "KNOWN_NOTICES"]

#: the notices dropped, by their first words (one line each, or a block)
KNOWN_NOTICES = (
    "WARNING: Prophesee Dataset Toolbox could not be found!",
    "Only Prophesee DVS demo will not run properly.",
    "Please install it from https://github.com/prophesee-ai",
    "No CUDA runtime is found, using CUDA_HOME=",
)


def _pass_on(text: str) -> None:
    for line in text.splitlines():
        if line.strip() and not line.strip().startswith(KNOWN_NOTICES):
            print(line, file=sys.stderr)


def import_slayer():
    """``import lava.lib.dl.slayer``, minus :data:`KNOWN_NOTICES`."""
    if "lava.lib.dl.slayer" in sys.modules:
        return sys.modules["lava.lib.dl.slayer"]
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            import lava.lib.dl.slayer as slayer
    finally:
        _pass_on(out.getvalue() + "\n" + err.getvalue())
    return slayer
