"""Independent reference implementations used by the tests.

Written from docs/model.md directly, without lava_dmp's code paths: the LMU
matrices via scipy.signal.cont2discrete, the float layer with W_m m[k] (not
the hardware form), and the integer layer as a plain element-wise loop over
Python ints.
"""

from __future__ import annotations

import numpy as np
import scipy.signal


def lmu_zoh(order: int, theta: float, dt: float = 1.0):
    """(A_bar, B_bar) by scipy's zero-order hold of the written-out LMU."""
    a = np.zeros((order, order))
    b = np.zeros(order)
    for i in range(order):
        b[i] = (2 * i + 1) / theta * (-1) ** i
        for j in range(order):
            sign = -1.0 if i < j else (-1.0) ** (i - j + 1)
            a[i, j] = (2 * i + 1) / theta * sign
    ad, bd, *_ = scipy.signal.cont2discrete(
        (a, b[:, None], np.eye(order), np.zeros((order, 1))), dt, method="zoh"
    )
    return ad, bd[:, 0]


def numpy_dmp(
    s_in, wf, wx, wm, b, bx, theta, beta, vth, reset="hard", dilation=1, delay=False
):
    """Float DMP layer, docs/model.md section 1; s_in (T, M). Returns dict."""
    s_in = np.asarray(s_in, dtype=float)
    if delay:
        s_in = np.vstack([np.zeros((1, s_in.shape[1])), s_in[:-1]])
    steps = s_in.shape[0]
    n, d = wm.shape
    ad, bd = lmu_zoh(d, theta, float(dilation))
    v, m, xsum, im = np.zeros(n), np.zeros(d), 0.0, np.zeros(n)
    out = {k: [] for k in ("s", "v", "m", "x")}
    for k in range(steps):
        x = max(0.0, float(wx @ s_in[k]) + bx)
        xsum += x
        if k % dilation == 0:
            m = ad @ m + bd * (xsum / dilation)
            im = wm @ m
            xsum = 0.0
        v = beta * v + wf @ s_in[k] + im + b
        s = v >= vth
        if reset == "hard":
            v = np.where(s, 0.0, v)
        else:
            v = np.where(s, v - vth, v)
        for key, val in (("s", s.astype(float)), ("v", v), ("m", m), ("x", x)):
            out[key].append(np.copy(val))
    return {k: np.array(val) for k, val in out.items()}


def _rhaz(x: int, n: int) -> int:
    if n <= 0:
        return x << -n
    mag = (abs(x) + (1 << (n - 1))) >> n
    return -mag if x < 0 else mag


def _sat(x: int, bits: int) -> int:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return min(max(x, lo), hi)


def loop_fixed_layer(fp, s_in, delay=True):
    """Element-wise Python-int loop of the fixed-point contract for one layer.

    ``fp`` is a FixedDMPParams; only its integer fields are read.
    """
    fmt = fp.fmt
    n, d = fp.weights.shape[0] - 1, fp.a_bar.shape[0]
    m_in = fp.weights.shape[1]
    drop = 8 - fmt.weight_bits + 1
    w = [
        [
            ((min(max(int(fp.weights[i, j]), -256), 255)) >> drop) << drop
            for j in range(m_in)
        ]
        for i in range(n + 1)
    ]
    s_in = np.asarray(s_in)
    if delay:
        s_in = np.vstack([np.zeros((1, m_in), dtype=s_in.dtype), s_in[:-1]])
    v_frac, m_frac = fmt.v_frac, fp.m_frac
    sa, sb = fp.a_frac, fp.b_frac + v_frac - m_frac
    sp, snu = fp.p_frac + m_frac - v_frac, fp.nu_frac
    v, m, xsum, im = [0] * n, [0] * d, 0, [0] * n
    out = {"s": [], "v": [], "m": []}
    for k in range(s_in.shape[0]):
        a = []
        for i in range(n + 1):
            acc = sum(w[i][j] * int(s_in[k, j]) for j in range(m_in))
            if fp.weight_exp >= 0:
                a.append(acc << fp.weight_exp)
            else:
                a.append(acc >> -fp.weight_exp)
        x = _sat(max(0, a[n] + int(fp.bias_x)), fmt.acc_bits)
        xsum = _sat(xsum + x, fmt.acc_bits)
        if k % fp.dilation == 0:
            im = [
                _sat(
                    _rhaz(sum(int(fp.p[i, j]) * m[j] for j in range(d)), sp)
                    + _rhaz(int(fp.nu[i]) * xsum, snu),
                    fmt.acc_bits,
                )
                for i in range(n)
            ]
            m = [
                _sat(
                    _rhaz(sum(int(fp.a_bar[i, j]) * m[j] for j in range(d)), sa)
                    + _rhaz(int(fp.b_bar[i]) * xsum, sb),
                    fmt.m_bits,
                )
                for i in range(d)
            ]
            xsum = 0
        s = [0] * n
        for i in range(n):
            cur = _sat(_sat(a[i], fmt.acc_bits) + im[i] + int(fp.bias[i]), fmt.acc_bits)
            vi = _sat(_rhaz(v[i] * (4096 - fp.dv), 12) + cur, fmt.v_bits)
            if vi >= fp.vth:
                s[i] = 1
                vi = 0 if fp.reset == "hard" else vi - fp.vth
            v[i] = vi
        out["s"].append(list(s))
        out["v"].append(list(v))
        out["m"].append(list(m))
    return {k: np.array(val, dtype=np.int64) for k, val in out.items()}


def numpy_layer(params, s_in, delay=True):
    """:func:`numpy_dmp` with the fields of a DMPLayerParams."""
    p = params
    return numpy_dmp(
        s_in,
        p.weights_f,
        p.weights_x,
        p.weights_m,
        p.bias,
        p.bias_x,
        p.theta,
        p.beta,
        p.vth,
        p.reset,
        p.dilation,
        delay=delay,
    )
