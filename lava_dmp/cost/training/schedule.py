"""An event-level list scheduler: operations on named resources.

Every operation has a resource (a crossbar group, an ADC bank, the
projection array, the write drivers, a digital unit), a duration and the
operations it waits for. It starts as soon as all of them are done and its
resource is free; when several wait for one resource, the one with the lowest
``priority`` (then the one added first) goes first. No operation is
interrupted. This is the classic non-preemptive list schedule, simulated
event by event:

    start(op) = max(end(dep) for dep in deps(op), free(resource(op)) when
                chosen), end(op) = start(op) + duration(op)

:meth:`Schedule.run` returns each operation's start and end, the makespan,
each resource's busy time, and a per-resource trace (:meth:`Timing.trace`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Schedule", "Timing"]


@dataclass
class Timing:
    """The outcome of :meth:`Schedule.run` (times in ns)."""

    names: list[str]
    resources: list[str]
    kinds: list[str]
    start: np.ndarray
    end: np.ndarray

    @property
    def makespan(self) -> float:
        return float(self.end.max()) if len(self.end) else 0.0

    def busy(self) -> dict[str, float]:
        """Busy time of each resource."""
        out: dict[str, float] = {}
        for r, s, e in zip(self.resources, self.start, self.end):
            out[r] = out.get(r, 0.0) + float(e - s)
        return out

    def utilisation(self) -> dict[str, float]:
        span = self.makespan or 1.0
        return {r: b / span for r, b in self.busy().items()}

    def trace(self, resource: str | None = None) -> list[tuple[str, str, float, float]]:
        """``(resource, operation, start, end)`` in start order (one resource,
        or all)."""
        rows = [
            (r, n, float(s), float(e))
            for r, n, s, e in zip(self.resources, self.names, self.start, self.end)
            if resource is None or r == resource
        ]
        return sorted(rows, key=lambda row: (row[2], row[0]))

    def format_trace(self, resource: str | None = None, limit: int = 50) -> str:
        rows = self.trace(resource)[:limit]
        return "\n".join(f"{r:<18s} {s:12.1f} {e:12.1f}  {n}" for r, n, s, e in rows)


@dataclass
class Schedule:
    """Operations to schedule; :meth:`add` one, :meth:`run` them all."""

    names: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    deps: list[tuple[int, ...]] = field(default_factory=list)
    priorities: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        resource: str,
        duration: float,
        deps=(),
        priority: float = 0.0,
        kind: str = "",
    ) -> int:
        """Add an operation; returns its index (for later ``deps``)."""
        if duration < 0:
            raise ValueError(f"duration: must be >= 0, got {duration} ({name})")
        deps = tuple(int(d) for d in deps if d is not None)
        n = len(self.names)
        if any(d < 0 or d >= n for d in deps):
            raise ValueError(f"deps: must name operations added before {name!r}")
        self.names.append(name)
        self.resources.append(resource)
        self.durations.append(float(duration))
        self.deps.append(deps)
        self.priorities.append(float(priority))
        self.kinds.append(kind)
        return n

    def __len__(self) -> int:
        return len(self.names)

    def run(self) -> Timing:
        n = len(self.names)
        start = np.zeros(n)
        end = np.zeros(n)
        waiting = [len(d) for d in self.deps]
        users: list[list[int]] = [[] for _ in range(n)]
        for i, deps in enumerate(self.deps):
            for d in deps:
                users[d].append(i)
        ready_at = np.zeros(n)
        free: dict[str, float] = {}
        busy: dict[str, bool] = {}
        queues: dict[str, list] = {}  # resource -> heap of (prio, index)
        events: list[tuple[float, int]] = []  # (end time, op) of running ops

        def offer(i: int) -> None:
            r = self.resources[i]
            heapq.heappush(queues.setdefault(r, []), (self.priorities[i], i))

        def dispatch(r: str, now: float) -> None:
            q = queues.get(r)
            if busy.get(r) or not q:
                return
            _, i = heapq.heappop(q)
            start[i] = max(now, ready_at[i], free.get(r, 0.0))
            end[i] = start[i] + self.durations[i]
            busy[r] = True
            heapq.heappush(events, (end[i], i))

        for i in range(n):
            if waiting[i] == 0:
                offer(i)
        for r in list(queues):
            dispatch(r, 0.0)
        done = 0
        while events:
            now = events[0][0]
            touched = set()
            # every operation ending now, before any resource chooses: one
            # that becomes ready at this instant competes by its priority
            while events and events[0][0] == now:
                _, i = heapq.heappop(events)
                done += 1
                r = self.resources[i]
                busy[r] = False
                free[r] = now
                touched.add(r)
                for u in users[i]:
                    waiting[u] -= 1
                    ready_at[u] = max(ready_at[u], now)
                    if waiting[u] == 0:
                        offer(u)
                        touched.add(self.resources[u])
            for res in sorted(touched):
                dispatch(res, now)
        if done != n:
            raise ValueError(f"schedule: {n - done} operations never became ready")
        return Timing(self.names, self.resources, self.kinds, start, end)
