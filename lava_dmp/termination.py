"""SIGTERM and SIGINT end a command cleanly: no Lava worker is left behind.

By default SIGTERM (what ``timeout`` and job schedulers send) kills Python
at once: no ``finally`` runs, so a Lava runtime is never stopped and its
worker processes (one per process of the network, several hundred MB each)
live on, reparented to PID 1. :func:`terminating_cleanly` turns SIGTERM into
:class:`Terminated` (a ``KeyboardInterrupt``, as SIGINT raises), so every
``finally`` and every ``except BaseException`` that stops a runtime runs; on
the way out it ends any child process still alive.

Forked children (Lava's workers) must not run the parent's handler: in a
child SIGTERM keeps its default action (the parent's ``terminate()`` must kill
it) and SIGINT is ignored (a Ctrl-C reaches the whole process group; the
parent stops the runtime and ends the workers itself).

Only the command line installs this; the library never touches signal
handlers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

__all__ = ["Terminated", "terminating_cleanly", "end_children"]


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(f"received {signal.Signals(signum).name}")
        self.signum = signum


_owner: int | None = None  # pid that installed the handlers


def _after_fork_in_child() -> None:
    if _owner is not None and os.getpid() != _owner:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _on_sigterm(signum, frame) -> None:
    if os.getpid() != _owner:  # a child forked without the at-fork hook
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise Terminated(signum)


def _children(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux ``/proc``; else direct
    multiprocessing children only)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        import multiprocessing

        return [p.pid for p in multiprocessing.active_children() if p.pid]
    parent: dict[int, int] = {}
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                # the command name may hold spaces: the ppid follows its ')'
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parent[int(name)] = ppid
    found, todo = [], [pid]
    while todo:
        cur = todo.pop()
        kids = [p for p, pp in parent.items() if pp == cur]
        found += kids
        todo += kids
    return found


def end_children(grace_s: float = 3.0) -> list[int]:
    """Terminate every descendant process, then kill those still alive after
    ``grace_s``. Returns the pids that were signalled."""
    pids = _children(os.getpid())
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            try:  # reap our own children; others vanish when they exit
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid if not os.path.exists(f"/proc/{pid}") else 0
            if done:
                alive.remove(pid)
        time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return pids


@contextlib.contextmanager
def terminating_cleanly() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated`; if the block ends
    by an interrupt, every child process still alive is ended."""
    global _owner
    previous_owner, _owner = _owner, os.getpid()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    except KeyboardInterrupt:
        # a second signal during the clean-up must not cut it short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            end_children()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        _owner = previous_owner
