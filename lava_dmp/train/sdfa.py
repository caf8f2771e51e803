r"""Spiking direct feedback alignment (SDFA): training without error
propagation through layers.

After the forward pass the output error ``e = dL/dr`` (``r`` the
time-averaged readout, ``B x C``) is projected once per sample through fixed
random matrices, and the projection is injected as the gradient of each
hidden layer's spikes at every time step:

.. math::

    g_l = e \, B_l \, / \sqrt{F}, \qquad
    \frac{\partial L}{\partial s_l[t]} := g_l \quad (t = 0 .. T-1),

with ``B_l`` of shape ``C x F_l`` drawn once from ``N(0, 1)`` (nested
prefixes of one ``C x F_max`` matrix by default, or independent matrices),
``F = F_max`` (default) or ``F_l``. Each hidden layer's input is detached:
no gradient crosses a layer boundary, and no layer forms the input gradient
of its synapse. The readout is trained by the true gradient.

Inside a hidden layer two rules:

* ``sdfa``: backpropagation through the layer's own dynamics in time
  (membrane recurrence and memory), as the reference code computes it;
* ``sdfa-local``: no recurrence through the membrane, each step's gradient
  is local in time, ``dI[t] = g_l \sigma'(v[t] - v_{th})`` (times the
  input gain); ``W_f``, ``b`` and ``W_m`` take it with their step-``t``
  inputs, and the drive weights ``w_x``, ``b_x`` take it through the
  memory's forward eligibility trace, exact because the memory is linear:

  .. math::

      E[t] &= \bar A E[t-1] + \bar B\, \mathrm{relu}'(a_x[t])\,
      s_{in}[t-1]^T \quad (d \times M), \\
      \partial L / \partial w_x &= \sum_t (W_m^T \delta[t])^T E[t], \quad
      \delta[t] = \text{gain}\, g_l\, \sigma'(v[t] - v_{th}).

  The trainer computes the same sum with the memory's adjoint (the trace
  and the adjoint of a linear filter give the same numbers; the tests check
  it against the trace written step by step).

A pipelined trainer applies the update of batch ``b`` while batch ``b + 1``
runs: :class:`DelayedUpdates` reproduces that staleness (``update_delay``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import torch

from lava_dmp._checks import check_choice, check_int

__all__ = [
    "RULES",
    "FEEDBACK_MODES",
    "FEEDBACK_SCALES",
    "Feedback",
    "sdfa_backward",
    "SDFAForward",
    "inject",
    "DelayedUpdates",
]

#: training rules
RULES = ("bptt", "sdfa", "sdfa-local")
#: nested prefixes of one matrix, or one matrix per layer
FEEDBACK_MODES = ("nested", "independent")
#: 1 / sqrt(F_max) or 1 / sqrt(F_l)
FEEDBACK_SCALES = ("max", "layer")


class Feedback:
    """The fixed random feedback matrices of one run.

    Parameters
    ----------
    classes : int
        ``C``, the readout's outputs.
    widths : list of int
        ``F_l``, the hidden layers' neurons.
    seed : int
        Draws the matrices (``torch.Generator``, float64, then the model's
        dtype).
    mode, scale : str
        See :data:`FEEDBACK_MODES` and :data:`FEEDBACK_SCALES`.
    """

    def __init__(
        self,
        classes: int,
        widths: list[int],
        seed: int = 0,
        mode: str = "nested",
        scale: str = "max",
    ) -> None:
        self.classes = check_int("classes", classes, minimum=1)
        if not widths:
            raise ValueError(
                "rule: SDFA needs at least one hidden layer (the readout is "
                "trained by the true gradient)"
            )
        self.widths = [check_int("widths", w, minimum=1) for w in widths]
        self.seed = check_int("feedback_seed", seed, minimum=0)
        self.mode = check_choice("feedback_mode", mode, FEEDBACK_MODES)
        self.scale = check_choice("feedback_scale", scale, FEEDBACK_SCALES)
        gen = torch.Generator().manual_seed(self.seed)
        f_max = max(self.widths)
        if self.mode == "nested":
            full = torch.randn(classes, f_max, generator=gen, dtype=torch.float64)
            mats = [full[:, :f] for f in self.widths]
        else:
            mats = [
                torch.randn(classes, f, generator=gen, dtype=torch.float64)
                for f in self.widths
            ]
        self.matrices = [
            m / math.sqrt(f_max if self.scale == "max" else f)
            for m, f in zip(mats, self.widths)
        ]

    def project(self, error: torch.Tensor) -> list[torch.Tensor]:
        """``g_l = e B_l / sqrt(F)`` for each hidden layer: ``(batch, F_l)``.

        One ``(batch x C) x (C x F_l)`` product per layer: the projection
        costs ``batch C sum(F_l)`` multiply-adds per training step.
        """
        if error.dim() != 2 or error.shape[1] != self.classes:
            raise ValueError(
                f"error: expected (batch, {self.classes}), got {tuple(error.shape)}"
            )
        return [error @ m.to(error.device, error.dtype) for m in self.matrices]

    def state_dict(self) -> dict:
        return {
            "seed": self.seed,
            "mode": self.mode,
            "scale": self.scale,
            "classes": self.classes,
            "widths": list(self.widths),
            "matrices": [m.clone() for m in self.matrices],
        }

    @classmethod
    def from_state(cls, state: dict) -> Feedback:
        fb = cls(
            state["classes"],
            state["widths"],
            state["seed"],
            state["mode"],
            state["scale"],
        )
        if len(state["matrices"]) != len(fb.matrices) or not all(
            torch.equal(a, b) for a, b in zip(state["matrices"], fb.matrices)
        ):
            raise ValueError(
                "feedback: the stored matrices differ from those of their seed"
            )
        return fb

    def shapes(self) -> list[list[int]]:
        return [list(m.shape) for m in self.matrices]


def _injected(
    spikes: list[torch.Tensor],
    projected: list[torch.Tensor],
    lengths: torch.Tensor | None = None,
) -> list[torch.Tensor]:
    """``projected[l]`` ``(B, F_l)`` broadcast to every valid step of
    ``spikes[l]`` ``(B, F_l, T)``."""
    grads = []
    for s, g in zip(spikes, projected):
        full = g.to(s.dtype)[:, :, None].expand_as(s)
        if lengths is not None:
            steps = torch.arange(s.shape[-1], device=s.device)
            mask = (steps[None, :] < lengths[:, None].to(s.device)).to(s.dtype)
            full = full * mask[:, None, :]
        grads.append(full)
    return grads


def inject(
    spikes: list[torch.Tensor],
    projected: list[torch.Tensor],
    lengths: torch.Tensor | None = None,
) -> None:
    """Backpropagate ``projected[l]`` as the gradient of every step of
    ``spikes[l]`` ``(B, F_l, T)`` (only the valid steps of each sequence)."""
    torch.autograd.backward(spikes, _injected(spikes, projected, lengths))


class SDFAForward(torch.nn.Module):
    """The forward of a :class:`~lava_dmp.train.model.DMPNet` as SDFA runs it:
    each block on its input detached (no input gradient is formed), the
    readout on the last block's spikes detached. Returns ``(scores, spikes
    of each block)``; a module, so that ``DistributedDataParallel`` can wrap
    it. ``local`` switches the blocks' backward to the local rule."""

    def __init__(self, net) -> None:
        super().__init__()
        self.net = net

    def forward(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor | None = None,
        local: bool = False,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        net = self.net
        drop = net.drop if not net.quantised else torch.nn.Identity()
        spikes, h = [], x
        for block in net.blocks:
            block.neuron.local_grad = local
            try:
                s = drop(block(h.detach()))
            finally:
                block.neuron.local_grad = False
            spikes.append(s)
            h = s
        return net.readout(h.detach(), lengths), spikes


def sdfa_backward(
    net,
    x: torch.Tensor,
    y: torch.Tensor,
    feedback: Feedback,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    lengths: torch.Tensor | None = None,
    local: bool = False,
    forward: torch.nn.Module | None = None,
    weight: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One SDFA forward and backward on a :class:`~lava_dmp.train.model.DMPNet`:
    gradients accumulate in the parameters' ``.grad``. Returns
    ``(scores, loss)``.

    ``e = dL/dr`` comes from the loss, the readout's gradient is the true
    one, and each hidden layer gets ``feedback.project(e)`` at every valid
    step, all in one backward pass (which a ``DistributedDataParallel``
    ``forward`` - an :class:`SDFAForward` - reduces once). ``weight``
    multiplies the loss before the backward (a rank's share of a global
    batch); ``loss`` is returned unweighted.
    """
    widths = [block.neuron.num_neurons for block in net.blocks]
    if widths != feedback.widths:
        raise ValueError(
            f"feedback: drawn for hidden layers of {feedback.widths} neurons, the "
            f"network has {widths}"
        )
    scores, spikes = (forward if forward is not None else SDFAForward(net))(
        x, lengths, local
    )
    loss = loss_fn(scores, y)
    scaled = loss * weight if weight != 1.0 else loss
    (error,) = torch.autograd.grad(scaled, scores, retain_graph=True)
    grads = _injected(spikes, feedback.project(error.detach()), lengths)
    # the readout's true gradient and the injected ones, in one pass
    torch.autograd.backward([scaled, *spikes], [None, *grads])
    return scores, loss


class DelayedUpdates:
    """Apply each batch's gradient ``delay`` batches later, as a pipelined
    trainer does (batch ``b + 1`` runs on weights without batch ``b``'s
    update when ``delay = 1``).

    :meth:`step` takes the gradients now in the parameters, queues them and
    applies the one ``delay`` batches old (none while the queue fills);
    :meth:`flush` applies what is left, in order, at the end of an epoch.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, delay: int = 0) -> None:
        self.opt = optimizer
        self.delay = check_int("update_delay", delay, minimum=0)
        self.queue: deque[list[torch.Tensor | None]] = deque()

    def _params(self) -> list[torch.nn.Parameter]:
        return [p for g in self.opt.param_groups for p in g["params"]]

    def _apply(self, grads: list[torch.Tensor | None]) -> None:
        for p, g in zip(self._params(), grads):
            p.grad = g
        self.opt.step()

    def step(self) -> None:
        if self.delay == 0:
            self.opt.step()
            return
        self.queue.append(
            [
                None if p.grad is None else p.grad.detach().clone()
                for p in self._params()
            ]
        )
        if len(self.queue) > self.delay:
            self._apply(self.queue.popleft())

    def flush(self) -> None:
        while self.queue:
            self._apply(self.queue.popleft())
