"""Brian2 cross-validation of DMP dynamics: (a) the exact discrete-time
dynamics (:mod:`.discrete`), (b) the continuous-time model behind them
(:mod:`.continuous`), and the comparison with Lava (:mod:`.validate`)."""

from lava_dmp.brian2.discrete import build_discrete, run_discrete

__all__ = ["build_discrete", "run_discrete"]
