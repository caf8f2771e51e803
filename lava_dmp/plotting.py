"""Matplotlib figures: rasters, membrane and memory traces, Legendre bases."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lava_dmp.legendre import legendre_decoder
from lava_dmp.outputs import save_figure

# Figures are built with matplotlib's object API (no pyplot): no backend is
# chosen or changed, so the CLI writes files without a display and notebooks
# keep their inline backend (display the returned Figure).

__all__ = ["raster", "plot_network_run", "plot_legendre_basis"]


def raster(ax, spikes: np.ndarray, title: str = "", color: str = "k") -> None:
    """Spike raster of ``spikes`` with shape ``(T, N)``."""
    t, n = np.nonzero(np.asarray(spikes))
    ax.scatter(t, n, s=1.5, c=color, marker="|", linewidths=0.6)
    ax.set_ylabel("neuron")
    ax.set_ylim(-0.5, spikes.shape[1] - 0.5)
    ax.set_xlim(0, spikes.shape[0])
    if title:
        ax.set_title(title, fontsize=9, loc="left")


def plot_network_run(
    path,
    inputs: np.ndarray,
    spikes: list[np.ndarray],
    v: np.ndarray | None = None,
    m: np.ndarray | None = None,
    v_fixed: np.ndarray | None = None,
    title: str = "",
) -> Figure:
    """Input, one raster per layer, and (if given) membrane and memory traces;
    saved to ``path`` unless it is ``None``."""
    rows = 1 + len(spikes) + (v is not None) + (m is not None)
    fig = Figure(figsize=(9, 1.9 * rows))
    axes = fig.subplots(rows, 1, sharex=True)
    axes = np.atleast_1d(axes)
    axes[0].plot(inputs, lw=0.6, c="tab:gray")
    axes[0].set_ylabel("input")
    axes[0].set_title(title, fontsize=10, loc="left")
    for i, s in enumerate(spikes):
        raster(axes[1 + i], s, f"layer {i + 1} spikes ({int(s.sum())} total)")
    row = 1 + len(spikes)
    if v is not None:
        ax = axes[row]
        for j in range(min(3, v.shape[1])):
            ax.plot(v[:, j], lw=0.7, label=f"v[{j}] float")
            if v_fixed is not None:
                ax.plot(v_fixed[:, j], lw=0.7, ls="--", label=f"v[{j}] fixed")
        ax.set_ylabel("membrane")
        ax.legend(fontsize=6, ncol=6, loc="upper right")
        row += 1
    if m is not None:
        axes[row].plot(m, lw=0.7)
        axes[row].set_ylabel("memory m")
    axes[-1].set_xlabel("time step")
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi=120)
    return fig


def plot_legendre_basis(path, order: int, points: int = 200) -> Figure:
    """The shifted Legendre polynomials that decode the memory window."""
    r = np.linspace(0, 1, points)
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    ax.plot(r, legendre_decoder(order, r))
    ax.set_xlabel("relative delay r = delay / theta")
    ax.set_ylabel("P_i(2r - 1)")
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi=120)
    return fig
