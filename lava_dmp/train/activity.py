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

    Attributes
    ----------
    samples : int
        Samples counted.
    inputs : numpy.ndarray
        ``(T,)`` nonzero inputs of the first block, summed over samples.
    spikes : list of numpy.ndarray
        ``(T,)`` spikes of each block, summed over samples.
    """

    def __init__(self, state: dict | None = None) -> None:
        state = state or {}
        self.samples = int(state.get("samples", 0))
        self.inputs = np.asarray(state.get("inputs", np.zeros(0)), dtype=np.float64)
        self.spikes = [np.asarray(s, dtype=np.float64) for s in state.get("spikes", [])]
        self._handles = []

    @staticmethod
    def _add(total: np.ndarray, step_sums: np.ndarray) -> np.ndarray:
        if len(total) < len(step_sums):  # longer sequences than before
            total = np.concatenate([total, np.zeros(len(step_sums) - len(total))])
        total[: len(step_sums)] += step_sums
        return total

    def attach(self, net) -> ActivityLog:
        """Start counting on ``net``'s blocks (forward hooks)."""
        if not self.spikes:
            self.spikes = [np.zeros(0) for _ in net.blocks]

        def first_input(module, args):
            if not module.training:  # evaluation is not training work
                return
            x = args[0].detach()
            self.samples += x.shape[0]
            sums = (x != 0).sum(dim=(0, 1)).to(torch.float64).cpu().numpy()
            self.inputs = self._add(self.inputs, sums)

        def output(k):
            def hook(module, _args, out):
                if not module.training:
                    return
                sums = out.detach().sum(dim=(0, 1)).to(torch.float64).cpu().numpy()
                self.spikes[k] = self._add(self.spikes[k], sums)

            return hook

        self._handles.append(net.blocks[0].register_forward_pre_hook(first_input))
        for k, block in enumerate(net.blocks):
            self._handles.append(block.register_forward_hook(output(k)))
        return self

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def means(self) -> dict:
        """Mean nonzero inputs and spikes per sample and step: ``{"inputs":
        (T,), "spikes": [(T,) per block], "samples": n}``."""
        n = max(self.samples, 1)
        return {
            "samples": self.samples,
            "inputs": self.inputs / n,
            "spikes": [s / n for s in self.spikes],
        }

    def state_dict(self) -> dict:
        return {
            "samples": self.samples,
            "inputs": self.inputs.copy(),
            "spikes": [s.copy() for s in self.spikes],
        }
