"""``python -m lava_dmp`` is ``lava-dmp`` (and ``torchrun -m lava_dmp``
launches it on several ranks)."""

import sys

from lava_dmp.cli import main

if __name__ == "__main__":
    sys.exit(main())
