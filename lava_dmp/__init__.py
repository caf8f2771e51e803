"""lava-dmp: Dual-Memory-Pathway spiking networks for the Lava framework.

Lava processes live in ``lava_dmp.proc.<name>.process`` (LMU, DMP, DMPLayer,
Readout); the LMU mathematics in :mod:`lava_dmp.legendre`, the fixed-point
contract in :mod:`lava_dmp.fixed_point`, the converter in
:mod:`lava_dmp.convert` and the integer golden model in :mod:`lava_dmp.golden`.
Training blocks (torch, lava-dl) are in :mod:`lava_dmp.train`.
"""

__version__ = "0.1.0"
