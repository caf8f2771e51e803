"""Exported DMP networks: the file format, the Lava loader and the runners.

In the image of lava-dl's ``lava.lib.dl.netx``:

* :class:`Network` (a hierarchical Lava process, ``inp``/``out`` ports,
  float or fixed models, ``reset_interval``) loads an exported file into any
  Lava graph;
* :func:`write_network`, :func:`read_network`, :func:`validate_network`: the
  versioned file format (:mod:`lava_dmp.netx.format`);
* :func:`run_lava_many`, :func:`run_lava`: many samples through one runtime
  on top of :class:`Network` (:mod:`lava_dmp.netx.runner`);
* :func:`export_checkpoint`, :func:`run_exported`, :func:`load_test_inputs`:
  from a training checkpoint to a bit-exact Lava run
  (:mod:`lava_dmp.netx.deploy`);
* :func:`build_network`: a stack of layers from parameters in memory
  (:mod:`lava_dmp.netx.build`).

The file is lava-dmp's own: lava-dl's ``netx.hdf5.Network`` cannot load DMP
layers (they are no netx layer type); it keeps netx's per-layer groups and
names where they apply (``shape``, ``inFeatures``, ``outFeatures``,
``weight``). Names are imported on first use: Lava imports ``lava_dmp``
during model discovery, which must stay light.
"""

from __future__ import annotations

from lava_dmp._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "Network": "lava_dmp.proc.network.process",
        "FORMAT": "lava_dmp.netx.format",
        "VERSION": "lava_dmp.netx.format",
        "READABLE": "lava_dmp.netx.format",
        "write_network": "lava_dmp.netx.format",
        "read_network": "lava_dmp.netx.format",
        "validate_network": "lava_dmp.netx.format",
        "run_lava": "lava_dmp.netx.runner",
        "run_lava_many": "lava_dmp.netx.runner",
        "export_checkpoint": "lava_dmp.netx.deploy",
        "run_exported": "lava_dmp.netx.deploy",
        "load_test_inputs": "lava_dmp.netx.deploy",
        "checkpoint_spec": "lava_dmp.netx.deploy",
        "build_network": "lava_dmp.netx.build",
        "LavaDMPNetwork": "lava_dmp.netx.build",
    },
)
