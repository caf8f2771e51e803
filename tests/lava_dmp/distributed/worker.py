"""Run by ``torchrun`` in tests/lava_dmp/distributed/test_torchrun.py: the
sharded evaluation, Lava run and cost of one exported network; each rank
writes what it got to ``OUT/rank<r>.json``."""

import json
import sys
from pathlib import Path

from lava_dmp import distributed


def main(ckpt: str, network: str, data: str, out: str) -> None:
    ctx = distributed.setup("cpu")
    from lava_dmp.cost.run import cost_network
    from lava_dmp.netx.deploy import run_exported
    from lava_dmp.train.checkpoint import network_from_checkpoint
    from lava_dmp.train.data import make_dataset
    from lava_dmp.train.trainer import evaluate

    net, state = network_from_checkpoint(ckpt)
    test = make_dataset("custom", "test", 0, None, None, data=data)
    result = {
        "rank": ctx.rank,
        "world": ctx.world,
        "evaluate": evaluate(net, test, batch_size=3),
        "run": run_exported(network, 5, ckpt, data=data, progress=False),
        "cost": cost_network(
            network, 12, lava_samples=3, data=data, batch=2, progress=False
        ),
    }
    Path(out, f"rank{ctx.rank}.json").write_text(json.dumps(result, default=float))
    distributed.teardown()


if __name__ == "__main__":
    main(*sys.argv[1:])
