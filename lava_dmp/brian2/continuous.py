"""Reading (b): the continuous-time model behind the discrete DMP layer.

The discrete layer is the exact solution, sampled once per step, of linear
ODEs whose input is held constant over each step (zero-order hold). With
time ``t`` in steps (one step = ``tstep``, 1 ms in Brian2):

    dm/dt = (A m + B x(t)) / tstep            A, B: continuous LMU (theta in steps)
    tau dv/dt = -v + R (W_f s(t) + b + W_m m(t))
    tau = -tstep / ln(beta),  R = 1 / (1 - beta)
    spike when v >= vth (checked every sub-step), then hard or soft reset

where ``s(t)`` and ``x(t) = max(0, w_x . s(t) + b_x)`` hold the (one-step
delayed) input of step ``k`` for ``k <= t < k + 1``. Parameter mapping: A, B
are those of :func:`lava_dmp.legendre.continuous_lmu`; ``tau`` and ``R``
make one step of the membrane ODE under a constant current ``I`` equal to
``v <- beta v + I``. Sample mapping: the discrete values of step ``k`` are
the continuous ones at ``t = k + 1`` (end of the step).

What differs from the discrete model, by construction (reported, not
hidden): (1) the memory current ``W_m m(t)`` varies within a step where the
discrete model uses the end value ``m[k]``; (2) a neuron may cross threshold
inside a step and reset there, and the rest of the step integrates from the
reset value; (3) the memory matches exactly at step ends (ZOH), up to the
solver error. Brian2 integrates the memory (one group, ``d`` coupled
equations) with ``rk4``; the neurons read it through linked variables, held
over each sub-step (first order in the sub-step). Only ``d_s = 1``.
Multi-layer networks run layer by layer: a layer sees the previous layer's
spikes binned per step, delayed by one step as in Lava.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from lava_dmp.convert import DMPLayerParams
from lava_dmp.legendre import continuous_lmu

__all__ = ["membrane_constants", "reference_layer", "run_continuous"]


def membrane_constants(beta: float) -> tuple[float, float]:
    """``(tau, R)`` in steps of the membrane ODE for a discrete decay ``beta``."""
    if not 0.0 < beta < 1.0:
        raise ValueError(f"beta: the continuous reading needs 0 < beta < 1, got {beta}")
    return -1.0 / math.log(beta), 1.0 / (1.0 - beta)


def _check(p: DMPLayerParams) -> None:
    if p.dilation != 1:
        raise ValueError(
            f"dilation: the continuous reading models d_s = 1, got {p.dilation}"
        )
    membrane_constants(p.beta)


def _step_inputs(p: DMPLayerParams, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step drive x[k] and current W_f s + b of the delayed input."""
    delayed = np.vstack([np.zeros((1, u.shape[1])), u[:-1]])
    x = np.maximum(0.0, delayed @ p.weights_x + p.bias_x)
    cur = delayed @ p.weights_f.T + np.asarray(p.bias, dtype=float)
    return x, cur


def _layer_brian2(p: DMPLayerParams, u: np.ndarray, substeps: int, method: str):
    import brian2 as b2

    from lava_dmp.brian2.discrete import connect_layer

    d, n, steps = p.order, p.n, u.shape[0]
    a_c, b_c = continuous_lmu(d, p.theta)
    tau, r = membrane_constants(p.beta)
    tstep = 1 * b2.ms
    b2.start_scope()
    b2.defaultclock.dt = tstep / substeps
    delayed = np.vstack([np.zeros((1, u.shape[1])), u[:-1]])
    stim = b2.TimedArray(delayed, dt=tstep)
    src = b2.NeuronGroup(
        u.shape[1],
        "spk = stim(t, i) : 1 (constant over dt)",
        name="inputs",
        namespace={"stim": stim},
    )
    lines = ["I_x : 1", "b_x : 1 (constant)", "x = clip(I_x + b_x, 0, inf) : 1"]
    for i in range(d):
        terms = " + ".join(f"({a_c[i, j]!r}) * m_{j}" for j in range(d))
        lines.append(f"dm_{i}/dt = ({terms} + ({b_c[i]!r}) * x) / tstep : 1")
    mem = b2.NeuronGroup(
        1,
        "\n".join(lines),
        method=method,
        order=2,
        name="mem",
        namespace={"tstep": tstep},
    )
    mem.b_x = float(p.bias_x)
    cur = " + ".join(f"wm_{i} * m_{i}" for i in range(d))
    eqs = [
        "I_f : 1",
        "bias : 1 (constant)",
        "vth : 1 (constant)",
        f"dv/dt = (-v + R * (I_f + bias + {cur})) / tau : 1",
    ]
    eqs += [f"m_{i} : 1 (linked)" for i in range(d)]
    eqs += [f"wm_{i} : 1 (constant)" for i in range(d)]
    reset = "v = 0" if p.reset == "hard" else "v -= vth"
    neu = b2.NeuronGroup(
        n,
        "\n".join(eqs),
        threshold="v >= vth",
        reset=reset,
        method=method,
        order=4,
        name="neurons",
        namespace={"R": r, "tau": tau * tstep},
    )
    neu.bias = np.broadcast_to(np.asarray(p.bias, dtype=float), (n,))
    neu.vth = float(p.vth)
    drive, fast = connect_layer(p, src, mem, neu)
    # state at the start of step k + 1 = the end of step k
    mon_v = b2.StateMonitor(neu, "v", record=True, dt=tstep, when="start")
    mon_m = b2.StateMonitor(
        mem, [f"m_{i}" for i in range(d)], record=0, dt=tstep, when="start"
    )
    mon_s = b2.SpikeMonitor(neu)
    net = b2.Network(src, mem, neu, drive, fast, mon_v, mon_m, mon_s)
    net.run((steps + 1) * tstep, namespace={})
    v = np.asarray(mon_v.v).T[1 : steps + 1]
    m = np.stack([getattr(mon_m, f"m_{i}")[0] for i in range(d)], axis=1)[1 : steps + 1]
    t_spk = np.asarray(mon_s.t / tstep)
    idx = np.asarray(mon_s.i)
    s = np.zeros((steps, n), dtype=np.int8)
    k = np.floor(t_spk + 1e-9).astype(int)  # the step whose interval holds it
    np.add.at(s, (k[k < steps], idx[k < steps]), 1)
    return {"v": v, "m": m, "s": np.minimum(s, 1), "spike_times": (t_spk, idx)}


def run_continuous(
    layers: list[DMPLayerParams],
    inputs: np.ndarray,
    substeps: int = 10,
    method: str = "rk4",
) -> list[dict[str, np.ndarray]]:
    """Run reading (b) in Brian2 at ``substeps`` sub-steps per step.

    Returns per layer ``v``, ``m`` (at step ends, sample mapping above),
    ``s`` (spikes binned per step) and ``spike_times`` (in steps, neuron).
    """
    from lava_dmp.brian2.discrete import _numpy_target

    if int(substeps) < 1:
        raise ValueError(f"substeps: expected an integer >= 1, got {substeps}")
    u = np.asarray(inputs, dtype=float)
    if not np.all(np.isfinite(u)):
        raise ValueError("inputs: contains NaN or infinite values")
    out = []
    with _numpy_target():
        for p in layers:
            _check(p)
            res = _layer_brian2(p, u, int(substeps), method)
            out.append(res)
            u = res["s"].astype(float)
    return out


def reference_layer(
    p: DMPLayerParams, inputs: np.ndarray, substeps: int = 1000
) -> dict[str, np.ndarray]:
    """Fine reference solution of the same ODEs without Brian2: exact matrix
    exponential over each of ``substeps`` sub-steps per step (the input is
    constant within a step), threshold checked after every sub-step."""
    _check(p)
    u = np.asarray(inputs, dtype=float)
    d, n = p.order, p.n
    a_c, b_c = continuous_lmu(d, p.theta)
    tau, r = membrane_constants(p.beta)
    x, cur = _step_inputs(p, u)
    # z = [m (d), v (n), 1]; dz/dt = G z with the step's inputs in the last column
    h = 1.0 / substeps
    m = np.zeros(d)
    v = np.zeros(n)
    out_v, out_m = np.empty((len(u), n)), np.empty((len(u), d))
    s = np.zeros((len(u), n), dtype=np.int8)
    g = np.zeros((d + n + 1, d + n + 1))
    g[:d, :d] = a_c
    g[d : d + n, :d] = r * p.weights_m / tau
    g[d : d + n, d : d + n] = -np.eye(n) / tau
    for k in range(len(u)):
        g[:d, -1] = b_c * x[k]
        g[d : d + n, -1] = r * cur[k] / tau
        step = scipy.linalg.expm(g * h)
        z = np.concatenate([m, v, [1.0]])
        for _ in range(substeps):
            z = step @ z
            fired = z[d : d + n] >= p.vth
            if fired.any():
                s[k, fired] = 1
                if p.reset == "hard":
                    z[d : d + n][fired] = 0.0
                else:
                    z[d : d + n][fired] -= p.vth
        m, v = z[:d], z[d : d + n]
        out_v[k], out_m[k] = v, m
    return {"v": out_v, "m": out_m, "s": s}
