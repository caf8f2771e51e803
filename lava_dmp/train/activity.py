"""Spike activity logged while a network trains (what a training run costs).

:class:`ActivityLog` hooks the blocks of a :class:`~lava_dmp.train.model.
DMPNet` and sums, per time step, the nonzero inputs of the first block and
each block's output spikes, over every training sample the forward sees.
The trainer keeps the sums in the checkpoint (``activity``), so that
``lava-dmp train-cost`` prices the run that was actually trained:
:meth:`ActivityLog.means` gives the mean per sample and step.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["ActivityLog"]


class ActivityLog:
    """Per-step sums of inputs and spikes over the samples seen.

    The sums of the current epoch stay on the network's device (no host copy
    per batch); :meth:`sync` adds them to the totals, summed over the ranks
    of a distributed run.

    Attributes
    ----------
    samples : int
        Samples counted.
    inputs : numpy.ndarray
        ``(T,)`` nonzero inputs of the first block, summed over samples.
    spikes : list of numpy.ndarray
        ``(T,)`` spikes of each block, summed over samples.
    paused : bool
        Count nothing while True (a forward that is not training work).
    """

    def __init__(self, state: dict | None = None) -> None:
        state = state or {}
        self.samples = int(state.get("samples", 0))
        self.inputs = np.asarray(state.get("inputs", np.zeros(0)), dtype=np.float64)
        self.spikes = [np.asarray(s, dtype=np.float64) for s in state.get("spikes", [])]
        self.paused = False
        self._handles = []
        self._pending: dict = {}

    @staticmethod
    def _add(total: np.ndarray, step_sums: np.ndarray) -> np.ndarray:
        if len(total) < len(step_sums):  # longer sequences than before
            total = np.concatenate([total, np.zeros(len(step_sums) - len(total))])
        total[: len(step_sums)] += step_sums
        return total

    def _count(self, key, sums: torch.Tensor) -> None:
        """Add ``sums`` ``(T,)`` to the pending sums of ``key``, on device."""
        old = self._pending.get(key)
        if old is None:
            self._pending[key] = sums
            return
        if len(old) < len(sums):
            old, sums = sums, old
        old[: len(sums)] += sums
        self._pending[key] = old

    def attach(self, net) -> ActivityLog:
        """Start counting on ``net``'s blocks (forward hooks)."""
        if not self.spikes:
            self.spikes = [np.zeros(0) for _ in net.blocks]

        def first_input(module, args):
            if not module.training or self.paused:  # not training work
                return
            x = args[0].detach()
            self._count("samples", torch.full((1,), x.shape[0], dtype=torch.float64))
            self._count("inputs", (x != 0).sum(dim=(0, 1)).to(torch.float64))

        def output(k):
            def hook(module, _args, out):
                if not module.training or self.paused:
                    return
                self._count(k, out.detach().sum(dim=(0, 1)).to(torch.float64))

            return hook

        self._handles.append(net.blocks[0].register_forward_pre_hook(first_input))
        for k, block in enumerate(net.blocks):
            self._handles.append(block.register_forward_hook(output(k)))
        return self

    def sync(self, ctx=None) -> None:
        """Move the pending sums into the totals; with a distributed
        :class:`~lava_dmp.distributed.Context`, summed over its ranks (every
        rank calls it at the same point)."""
        keys = ["samples", "inputs", *range(len(self.spikes))]
        host = {
            k: self._pending[k].cpu().numpy() if k in self._pending else np.zeros(0)
            for k in keys
        }
        self._pending = {}
        if ctx is not None and ctx.active:  # pad to the longest, then one sum
            lengths = [len(host[k]) for k in keys]
            longest = [int(v) for v in ctx.max_each(lengths)]
            flat = np.concatenate(
                [np.pad(host[k], (0, n - len(host[k]))) for k, n in zip(keys, longest)]
            )
            flat = np.asarray(ctx.sum(flat.tolist()))
            bounds = np.cumsum([0, *longest])
            host = {k: flat[a:b] for k, a, b in zip(keys, bounds[:-1], bounds[1:])}
        self.samples += int(host["samples"].sum()) if len(host["samples"]) else 0
        self.inputs = self._add(self.inputs, host["inputs"])
        for k in range(len(self.spikes)):
            self.spikes[k] = self._add(self.spikes[k], host[k])

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def means(self) -> dict:
        """Mean nonzero inputs and spikes per sample and step: ``{"inputs":
        (T,), "spikes": [(T,) per block], "samples": n}``."""
        self.sync()
        n = max(self.samples, 1)
        return {
            "samples": self.samples,
            "inputs": self.inputs / n,
            "spikes": [s / n for s in self.spikes],
        }

    def state_dict(self) -> dict:
        self.sync()
        return {
            "samples": self.samples,
            "inputs": self.inputs.copy(),
            "spikes": [s.copy() for s in self.spikes],
        }
