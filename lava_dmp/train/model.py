"""A stack of DMP blocks with a time-averaged readout, and its bookkeeping."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from lava_dmp._checks import check_choice, check_int, check_positive, check_real
from lava_dmp.legendre import check_theta
from lava_dmp.train.blocks import DMPDense, ReadoutBlock

__all__ = ["NetConfig", "DMPNet"]


@dataclass
class NetConfig:
    """Sizes and DMP hyper-parameters (defaults: the paper's S-MNIST row I)."""

    sizes: tuple[int, ...] = (1, 200, 200, 10)
    order: int = 20
    theta: float = 300.0
    beta: float = 0.5
    input_gain: float = 0.5
    vth: float = 1.0
    reset: str = "hard"
    slope: float = 4.0
    surrogate: str = "sigmoid"
    dilation: int = 1
    init_std: float = 0.02
    init: str = "fan_in"
    positive_drive: bool = True
    readout: str = "mean"
    fast_path: bool = True
    memory: bool = True
    dropout: float = 0.0

    def __post_init__(self) -> None:
        self.sizes = tuple(int(s) for s in self.sizes)
        if len(self.sizes) < 3:
            raise ValueError(
                f"sizes: need input, >= 1 hidden and output sizes, got {self.sizes}"
            )
        for s in self.sizes:
            check_int("sizes", s, minimum=1)
        check_int("order", self.order, minimum=1)
        check_real("beta", self.beta, 0.0, 1.0)
        check_positive("input_gain", self.input_gain)
        check_positive("vth", self.vth)
        check_positive("slope", self.slope)
        check_int("dilation", self.dilation, minimum=1)
        check_theta(self.theta, self.dilation)
        check_positive("init_std", self.init_std)
        check_real("dropout", self.dropout, 0.0, 0.99)
        check_choice("reset", self.reset, ("hard", "soft"))
        check_choice("surrogate", self.surrogate, ("sigmoid", "atan"))
        check_choice("init", self.init, ("reference", "fan_in"))
        check_choice("readout", self.readout, ("mean", "last"))
        for name in ("positive_drive", "fast_path", "memory"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}: expected True or False")

    def to_dict(self) -> dict:
        return asdict(self)

    #: fields that only shape the initial draw, not the trained network
    INIT_FIELDS = ("init_std", "init", "positive_drive")

    #: fields that shape training only, not the weights: a network trained
    #: with dropout fine-tunes without it (``init_from``)
    TRAINING_FIELDS = ("dropout",)

    def differences(self, stored: dict, weights_only: bool = False) -> dict[str, tuple]:
        """Fields in which a checkpoint's ``net`` dict describes another
        network: ``{field: (stored, mine)}``. The initialisation fields are
        left out (loaded weights replace the draw; older checkpoints lack the
        newer ones); with ``weights_only`` (taking weights, not resuming a
        run) also :data:`TRAINING_FIELDS`."""
        skip = self.INIT_FIELDS + (self.TRAINING_FIELDS if weights_only else ())
        mine, other = self.to_dict(), NetConfig(**stored).to_dict()
        return {
            k: (other[k], v) for k, v in mine.items() if k not in skip and other[k] != v
        }

    def same_network(self, stored: dict) -> bool:
        """Whether a checkpoint's ``net`` dict describes this network (see
        :meth:`differences`)."""
        return not self.differences(stored)


class DMPNet(torch.nn.Module):
    """``[batch, M, T]`` to class scores ``[batch, C]``: DMP blocks + readout."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        s = cfg.sizes

        def std(fan_in: int) -> float:
            # 'reference': one std everywhere (0.02 in the authors' code);
            # 'fan_in': init_std * 100 / sqrt(fan_in), so that a 1-input layer
            # on grey levels starts spiking (the reference init leaves a
            # 1-200-200 network silent with vth = 1 and no gradient reaches it)
            if cfg.init == "reference":
                return cfg.init_std
            return cfg.init_std * 100.0 / fan_in**0.5

        self.blocks = torch.nn.ModuleList(
            [
                DMPDense(
                    m,
                    n,
                    cfg.order,
                    cfg.theta,
                    init_std=std(m),
                    beta=cfg.beta,
                    input_gain=cfg.input_gain,
                    vth=cfg.vth,
                    reset=cfg.reset,
                    slope=cfg.slope,
                    surrogate=cfg.surrogate,
                    dilation=cfg.dilation,
                    fast_path=cfg.fast_path,
                    memory=cfg.memory,
                    positive_drive=cfg.positive_drive,
                )
                for m, n in zip(s[:-2], s[1:-1])
            ]
        )
        self.readout = ReadoutBlock(s[-2], s[-1], init_std=std(s[-2]), mode=cfg.readout)
        # dropout on the spikes between layers (0.2 in the SHD reference)
        self.drop = torch.nn.Dropout(cfg.dropout)

    @property
    def quantised(self) -> bool:
        """Whether the blocks run the fixed-point (hardware-aware) forward."""
        return any(block.fixed_format is not None for block in self.blocks)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Class scores of ``x`` ``(batch, M, T)``; ``lengths`` ``(batch,)``
        gives each sequence's valid steps (the readout averages over those
        only: padding never changes a score)."""
        if x.dim() != 3 or x.shape[1] != self.cfg.sizes[0]:
            raise ValueError(
                f"input: expected (batch, {self.cfg.sizes[0]}, time), "
                f"got {tuple(x.shape)}"
            )
        if not torch.isfinite(x).all():
            raise ValueError("input: contains NaN or infinite values")
        # the integer forward is what Lava runs: no dropout there (dropout
        # would scale spikes by 1 / (1 - p), off the integer grid)
        drop = self.drop if not self.quantised else torch.nn.Identity()
        for block in self.blocks:
            x = drop(block(x))
        return self.readout(x, lengths)

    def param_counts(self) -> dict[str, int]:
        """The paper's count (M N + N d + d^2 + d + M per layer, weights only,
        frozen Abar and Bbar counted, plus N C) and PyTorch's trainable count.

        The ablations drop what they remove: ``fast_path=False`` the ``M N`` of
        ``W_f``; ``memory=False`` the memory's ``N d + d^2 + d + M`` (a plain
        LIF layer, the paper's FSNN count). PyTorch's count leaves out the
        entries frozen at zero.
        """
        s, d, cfg = self.cfg.sizes, self.cfg.order, self.cfg
        paper = 0
        for m, n in zip(s[:-2], s[1:-1]):
            paper += m * n if cfg.fast_path else 0
            paper += n * d + d * d + d + m if cfg.memory else 0
        paper += s[-2] * s[-1]
        torch_count = sum(p.numel() for p in self.parameters() if p.requires_grad)
        for block in self.blocks:
            m, n = block.synapse.in_channels, block.neuron.num_neurons
            torch_count -= 0 if cfg.fast_path else m * n
            torch_count -= 0 if cfg.memory else m
        return {"paper": paper, "pytorch": torch_count}
