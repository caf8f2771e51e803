"""Training DMP networks with PyTorch / lava-dl (imports torch).

Lava sets the multiprocessing start method when its runtime module is first
imported and fails if anything (tqdm's lock, for one) has fixed it before.
Importing it here, ahead of the training code, lets a process train and then
run Lava (export, ``lava-dmp run``).
"""

import contextlib as _contextlib
import sys as _sys

import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401

# lava-dl prints a warning about an optional dataset toolbox on stdout when it
# is first imported; keep stdout for results (``--json``)
with _contextlib.redirect_stdout(_sys.stderr):
    import lava.lib.dl.slayer  # noqa: F401,E402
