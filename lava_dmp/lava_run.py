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

from lava_dmp._checks import check_choice, check_int

__all__ = ["run_cfg", "run_and_probe", "stop_runtime"]


def run_cfg(numeric: str) -> Loihi2SimCfg:
    """Lava run config selecting lava_dmp's ``'float'`` or ``'fixed'`` models."""
    check_choice("numeric", numeric, ("float", "fixed"))
    return Loihi2SimCfg(select_tag="floating_pt" if numeric == "float" else "fixed_pt")


def stop_runtime(proc: AbstractProcess, failed: bool = False) -> list[Exception]:
    """Stop the runtime of ``proc``'s network, also after a failure.

    Lava's own ``stop()`` waits forever when a process model raised, while the
    runtime was being built (actors never got a command) or during a run (a
    runtime service died and never answers STOP). With ``failed=True``, or
    if the runtime never started, the actor processes are terminated first.

    Returns the exceptions the process models raised (Lava reports only
    their number), so that callers can show the real cause.
    """
    runtime = proc.runtime
    errors: list[Exception] = []
    if runtime is None:
        return errors
    if failed or not getattr(runtime, "_is_started", False):
        infra = getattr(runtime, "_messaging_infrastructure", None)
        for actor in getattr(infra, "_actors", []):
            sent = getattr(actor, "_exception", None)  # set when Lava joined it
            if isinstance(sent, tuple) and isinstance(sent[0], Exception):
                errors.append(sent[0])
            try:
                if actor.is_alive():
                    actor.terminate()
            except (ValueError, OSError, EOFError):  # already joined and closed
                pass
        runtime._is_started = False
        runtime._is_running = False
        try:
            proc.stop()
        except Exception:  # noqa: BLE001 - keep the run's own error visible
            pass
        return errors
    proc.stop()
    return errors


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
    except BaseException as err:  # also KeyboardInterrupt: never leave it running
        causes = stop_runtime(root, failed=True)
        if causes:
            raise causes[0] from err
        raise
    stop_runtime(root)
    return out
