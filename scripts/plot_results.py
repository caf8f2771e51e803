#!/usr/bin/env python
"""docs/figures/learning_curves.png: the test accuracy per epoch of the
shipped networks, read from their provenance records
(``lava_dmp/pretrained/NAME.json``, written by scripts/ship_pretrained.py
from the run's own metrics). No curve comes from anywhere else.

    .venv/bin/python scripts/plot_results.py
"""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.figure import Figure

from lava_dmp.pretrained import available, files

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures" / "learning_curves.png"
PAPER = {"smnist": 98.08, "psmnist": 95.50}  # the paper's Table 1, 50 epochs


def main() -> None:
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    for k, name in enumerate(available()):
        record = json.loads(files(name)["provenance"].read_text())
        acc = [100 * a for a in record["training"]["test_acc_per_epoch"]]
        epochs = range(1, len(acc) + 1)
        color = f"C{k}"
        ax.plot(epochs, acc, "o-", ms=3, color=color, label=f"{name}: this package")
        ax.axhline(PAPER[name], color=color, ls=":", label=f"{name}: paper (50 ep.)")
        ax.annotate(
            f"{acc[-1]:.2f} %",
            (len(acc), acc[-1]),
            textcoords="offset points",
            xytext=(5, 5),
            fontsize=8,
            color=color,
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%), 10 000 digits")
    ax.set_ylim(80, 100)
    ax.set_title(
        "Shipped networks (1-200-200-10): test accuracy after each epoch, from "
        "their provenance records",
        fontsize=9,
        loc="left",
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
