"""Reading (a): the exact discrete-time DMP dynamics as a Brian2 network.

One Brian2 step (``defaultclock.dt``, nominally 1 ms) is one Lava step; every
equation is a per-step update written as ``dX/dt = (X_new - X) / dt`` and
integrated with forward Euler, which makes Brian2 apply ``X <- X_new``
exactly. Per layer:

- ``inputs`` (layer 0) or the previous layer's neurons, with a variable
  ``spk`` holding the spikes of the step before (the one-step Dense delay of
  a Lava ``DMPLayer``);
- ``mem``: one group of one unit with the drive ``x`` and the shared memory
  ``m_0 .. m_{d-1}`` as its variables (the shared memory as its own group)::

      x    = max(0, sum_j w_x[j] s_j + b_x)              (summed synapses)
      xs   = xsum + x
      m_i <- sum_j Abar_ij m_j + Bbar_i xs   at refresh steps (k % d_s == 0)
      xsum <- 0 at refresh steps, xs otherwise

- ``neurons``: ``N`` LIF neurons reading the memory through linked variables::

      I_m <- sum_i W_m[n, i] m_i             at refresh steps, held otherwise
      v   <- beta v + sum_j W_f[n, j] s_j + I_m + b
      spike if v >= vth; hard reset v = 0, soft reset v -= vth

Group orders make each step run input -> drive -> memory -> neurons in the
same step, with later layers scheduled before earlier ones so that they read
the spikes of the step before.
"""

from __future__ import annotations

import numpy as np

from lava_dmp.convert import DMPLayerParams
from lava_dmp.legendre import update_matrices

__all__ = ["build_discrete", "connect_layer", "run_discrete"]


def connect_layer(p: DMPLayerParams, src, mem, neu) -> tuple:
    """Wire one layer in either reading: the neurons read the memory through
    linked variables ``m_i`` weighted by ``wm_i``; Synapses with summed
    variables carry the input ``spk`` into the drive ``I_x`` (weights
    ``w_x``) and into the fast current ``I_f`` (weights ``W_f``)."""
    import brian2 as b2

    n = p.n
    for i in range(p.order):
        setattr(
            neu, f"m_{i}", b2.linked_var(mem, f"m_{i}", index=np.zeros(n, dtype=int))
        )
        setattr(neu, f"wm_{i}", p.weights_m[:, i])
    drive = b2.Synapses(src, mem, "wx : 1\nI_x_post = wx * spk_pre : 1 (summed)")
    drive.connect(True)
    drive.wx = p.weights_x[drive.i[:]]
    fast = b2.Synapses(src, neu, "w : 1\nI_f_post = w * spk_pre : 1 (summed)")
    fast.connect(True)
    fast.w = p.weights_f[fast.j[:], fast.i[:]]
    return drive, fast


def _memory_equations(d: int) -> str:
    lines = [
        "I_x : 1",
        "b_x : 1 (constant)",
        "ds : integer (constant)",
        "x = clip(I_x + b_x, 0, inf) : 1",
        "xs = xsum + x : 1",
        "refresh = int(int(t / dt + 0.5) % ds == 0) : integer",
        "dxsum/dt = (xs * (1 - refresh) - xsum) / dt : 1",
    ]
    for i in range(d):
        terms = " + ".join(f"A_{i}_{j} * m_{j}" for j in range(d))
        lines.append(f"dm_{i}/dt = refresh * ({terms} + B_{i} * xs - m_{i}) / dt : 1")
        lines += [f"A_{i}_{j} : 1 (constant)" for j in range(d)] + [
            f"B_{i} : 1 (constant)"
        ]
    return "\n".join(lines)


def _neuron_equations(d: int) -> str:
    mem = " + ".join(f"wm_{i} * m_{i}" for i in range(d))
    lines = [
        "I_f : 1",
        "bias : 1 (constant)",
        "beta : 1 (constant)",
        "vth : 1 (constant)",
        "refresh_n : integer (linked)",
        # Euler reads every right-hand side before the step: v must use the
        # new I_m, so it is a subexpression of the old one
        f"i_new = refresh_n * ({mem}) + (1 - refresh_n) * i_m : 1",
        "di_m/dt = (i_new - i_m) / dt : 1",
        "dv/dt = (beta * v + I_f + i_new + bias - v) / dt : 1",
        "dspk/dt = -spk / dt : 1",
    ]
    lines += [f"m_{i} : 1 (linked)" for i in range(d)]
    lines += [f"wm_{i} : 1 (constant)" for i in range(d)]
    return "\n".join(lines)


def build_discrete(layers: list[DMPLayerParams], inputs: np.ndarray):
    """Brian2 objects of a stack of float DMP layers driven by ``inputs``.

    Parameters
    ----------
    layers : list of DMPLayerParams
        Consecutive sizes must match.
    inputs : numpy.ndarray
        ``(T, M)`` input of the first layer (spikes or graded values), as a
        Lava ``RingBuffer`` would send it.

    Returns
    -------
    dict
        ``net`` (a ``brian2.Network``), ``groups`` (per layer: ``mem``,
        ``neurons``) and ``monitors`` (per layer: ``v``, ``m``, ``spikes``).
    """
    import brian2 as b2

    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 2 or inputs.shape[1] != layers[0].m_in:
        raise ValueError(
            f"inputs: expected shape (T, {layers[0].m_in}), got {inputs.shape}"
        )
    if not np.all(np.isfinite(inputs)):
        raise ValueError("inputs: contains NaN or infinite values")
    steps = inputs.shape[0]
    dt = b2.defaultclock.dt
    delayed = np.vstack([np.zeros((1, inputs.shape[1])), inputs[:-1]])
    stim = b2.TimedArray(delayed, dt=dt)
    src = b2.NeuronGroup(  # first in every step: spk <- input[k - 1]
        inputs.shape[1],
        "dspk/dt = (stim(t, i) - spk) / dt : 1",
        method="euler",
        order=0,
        name="inputs",
        namespace={"stim": stim},
    )
    objects: list = [src]
    groups, monitors = [], []
    prev = src
    for li, p in enumerate(layers):
        if p.m_in != prev.N:
            raise ValueError(f"layers[{li}]: expects {p.m_in} inputs, got {prev.N}")
        base = 10 * (len(layers) - li)  # later layers first: they read spk[k-1]
        d, n = p.order, p.n
        a_bar, b_bar = update_matrices(d, p.theta, p.dilation)
        mem = b2.NeuronGroup(
            1, _memory_equations(d), method="euler", order=base + 2, name=f"mem{li}"
        )
        mem.b_x, mem.ds = float(p.bias_x), int(p.dilation)
        for i in range(d):
            setattr(mem, f"B_{i}", b_bar[i])
            for j in range(d):
                setattr(mem, f"A_{i}_{j}", a_bar[i, j])
        reset = "v = 0; spk = 1" if p.reset == "hard" else "v -= vth; spk = 1"
        neu = b2.NeuronGroup(
            n,
            _neuron_equations(d),
            threshold="v >= vth",
            reset=reset,
            method="euler",
            order=base + 4,
            name=f"neurons{li}",
        )
        neu.bias = np.broadcast_to(np.asarray(p.bias, dtype=float), (n,))
        neu.beta, neu.vth = float(p.beta), float(p.vth)
        neu.refresh_n = b2.linked_var(mem, "refresh", index=np.zeros(n, dtype=int))
        drive, fast = connect_layer(p, prev, mem, neu)
        mon_v = b2.StateMonitor(neu, "v", record=True, when="end")
        mon_m = b2.StateMonitor(mem, [f"m_{i}" for i in range(d)], record=0, when="end")
        mon_s = b2.SpikeMonitor(neu)
        objects += [mem, neu, drive, fast, mon_v, mon_m, mon_s]
        groups.append({"mem": mem, "neurons": neu})
        monitors.append({"v": mon_v, "m": mon_m, "spikes": mon_s, "n": n, "d": d})
        prev = neu
    return {
        "net": b2.Network(*objects),
        "groups": groups,
        "monitors": monitors,
        "steps": steps,
    }


def _collect(monitors: list[dict], steps: int, dt) -> list[dict[str, np.ndarray]]:
    out = []
    for mon in monitors:
        s = np.zeros((steps, mon["n"]), dtype=np.int8)
        k = np.rint(np.asarray(mon["spikes"].t / dt)).astype(int)
        s[k, np.asarray(mon["spikes"].i)] = 1
        m = np.stack([getattr(mon["m"], f"m_{i}")[0] for i in range(mon["d"])], axis=1)
        out.append({"v": np.asarray(mon["v"].v).T.copy(), "m": m, "s": s})
    return out


def run_discrete(
    layers: list[DMPLayerParams], inputs: np.ndarray
) -> list[dict[str, np.ndarray]]:
    """Run reading (a); per layer ``v`` (T, N), ``m`` (T, d), ``s`` (T, N)."""
    import brian2 as b2

    with _numpy_target():
        b2.start_scope()
        built = build_discrete(layers, inputs)
        built["net"].run(built["steps"] * b2.defaultclock.dt)
        return _collect(built["monitors"], built["steps"], b2.defaultclock.dt)


class _numpy_target:
    """Run Brian2 with its numpy code generator (no compiler needed, no cache)."""

    def __enter__(self):
        import brian2 as b2

        self.old = b2.prefs.codegen.target
        b2.prefs.codegen.target = "numpy"
        b2.defaultclock.dt = 1 * b2.ms

    def __exit__(self, *exc):
        import brian2 as b2

        b2.prefs.codegen.target = self.old
