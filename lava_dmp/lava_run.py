"""Running Lava networks safely: always stop the runtime, record traces.

An exception after ``run()`` without ``stop()`` hangs the interpreter at exit
(lava issue 231), so every helper here stops in ``finally``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.monitor.process import Monitor

from lava_dmp.validation import check_choice, check_int

__all__ = ["run_cfg", "run_and_probe"]


def run_cfg(numeric: str) -> Loihi2SimCfg:
    """Lava run config selecting lava_dmp's ``'float'`` or ``'fixed'`` models."""
    check_choice("numeric", numeric, ("float", "fixed"))
    return Loihi2SimCfg(select_tag="floating_pt" if numeric == "float" else "fixed_pt")


def run_and_probe(
    root: AbstractProcess,
    steps: int,
    numeric: str,
    probes: dict[str, Var] | None = None,
    read: Iterable[tuple[str, Var]] = (),
) -> dict[str, np.ndarray]:
    """Run a network for ``steps``, probing Vars each step, then stop it.

    Parameters
    ----------
    root : AbstractProcess
        Any process of the network.
    steps : int
        Number of time steps.
    numeric : str
        ``'float'`` or ``'fixed'`` (see :func:`run_cfg`).
    probes : dict
        Name to Var, recorded every step (shape ``(steps, *var.shape)``).
    read : iterable of (name, Var)
        Vars read once after the run.

    Returns
    -------
    dict
        Name to numpy array.
    """
    steps = check_int("steps", steps, minimum=1)
    monitors = {}
    for name, var in (probes or {}).items():
        mon = Monitor()
        mon.probe(var, steps)
        monitors[name] = (mon, var)
    out: dict[str, np.ndarray] = {}
    try:
        root.run(condition=RunSteps(num_steps=steps), run_cfg=run_cfg(numeric))
        for name, (mon, var) in monitors.items():
            data = mon.get_data()[var.process.name][var.name]
            out[name] = np.asarray(data)
        for name, var in read:
            out[name] = np.asarray(var.get())
    finally:
        root.stop()
    return out
