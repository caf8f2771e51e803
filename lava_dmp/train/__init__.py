"""Training DMP networks with PyTorch / lava-dl (imports torch).

Lava sets the multiprocessing start method when its runtime module is first
imported and fails if anything (tqdm's lock, for one) has fixed it before.
Importing it here, ahead of the training code, lets a process train and then
run Lava (export, ``lava-dmp run``).
"""

import lava.magma.runtime.message_infrastructure.multiprocessing  # noqa: F401
