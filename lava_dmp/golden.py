"""Plain numpy integer golden model of fixed-point DMP layers (Dense included).

This is the reference the Lava ``fixed_pt`` models are checked against bit
for bit, and the model the quantised training forward and the cost model
reuse. It runs a batch at once; the Lava models never call it.

One layer, per step ``k`` (all integers, ``rshift`` rounds half away from
zero, ``sat_b`` saturates to ``b`` bits)::

    a        = Dense(s_in)                    Lava bit-accurate Dense, N+1 rows
    x        = sat_acc(max(0, a[N] + bias_x))
    xsum     = sat_acc(xsum + x)
    if k % d_s == 0:                          memory refresh
        I_m  = sat_acc(rshift(P m, sP) + rshift(nu xsum, sNu))
        m    = sat_m(rshift(A m, sA) + rshift(B xsum, sB))
        xsum = 0
    I        = sat_acc(sat_acc(a[:N]) + I_m + bias)
    v        = sat_v(rshift(v (4096 - dv), 12) + I)
    s        = v >= vth;  hard: v = 0 | soft: v -= vth   where s

Inside a Lava network the Dense adds one step of delay: the layer at step
``k`` sees ``s_in[k-1]`` (zeros at ``k = 0``). :meth:`GoldenDMPLayer.run`
applies that delay with ``delay=True``.
"""

from __future__ import annotations

import numpy as np

from lava_dmp._checks import check_int_input
from lava_dmp.convert import FixedDMPParams
from lava_dmp.fixed_point import (
    dense_bit_acc,
    lif_update,
    lmu_update,
    memory_current,
    saturate,
)

__all__ = ["GoldenDMPLayer", "GoldenReadout", "run_golden_network"]


class GoldenDMPLayer:
    """Batched integer model of one fixed-point DMP layer.

    Parameters
    ----------
    params : FixedDMPParams
        From :func:`lava_dmp.convert.convert_layer`.
    batch : int
        Number of sequences run side by side.
    """

    def __init__(self, params: FixedDMPParams, batch: int = 1) -> None:
        self.p = params
        self.batch = batch
        self.reset()

    def reset(self) -> None:
        """Zero every state (v, m, drive accumulator, held current, step)."""
        n, d, b = self.p.n, self.p.order, self.batch
        self.v = np.zeros((b, n), dtype=np.int64)
        self.m = np.zeros((b, d), dtype=np.int64)
        self.x = np.zeros(b, dtype=np.int64)
        self.xsum = np.zeros(b, dtype=np.int64)
        self.i_m = np.zeros((b, n), dtype=np.int64)
        self.k = 0

    def step(self, s_in: np.ndarray) -> np.ndarray:
        """Advance one step with integer input ``s_in`` (batch, M), no Dense
        delay."""
        return self._step(self._check_input("s_in", s_in, 2))

    def _check_input(self, name: str, s_in: object, ndim: int) -> np.ndarray:
        # float spikes would be truncated by the integer Dense: refuse them
        s_in = check_int_input(name, s_in)
        if s_in.ndim != ndim or s_in.shape[-1] != self.p.m_in:
            want = ("T, " if ndim == 3 else "") + f"batch, {self.p.m_in}"
            raise ValueError(f"{name}: expected shape ({want}), got {s_in.shape}")
        return s_in

    def _step(self, s_in: np.ndarray) -> np.ndarray:
        p, fmt, sh = self.p, self.p.fmt, self.p.shifts
        ov = fmt.overflow
        a = dense_bit_acc(p.weights, s_in, p.weight_exp)
        self.x = saturate(np.maximum(0, a[:, -1] + p.bias_x), fmt.acc_bits, "x", ov)
        self.xsum = saturate(self.xsum + self.x, fmt.acc_bits, "xsum", ov)
        if self.k % p.dilation == 0:
            i_m = memory_current(self.m, self.xsum, p.p, p.nu, sh["p"], sh["nu"])
            self.i_m = saturate(i_m, fmt.acc_bits, "i_m", ov)
            self.m = lmu_update(
                self.m, self.xsum, p.a_bar, p.b_bar, sh["a"], sh["b"], fmt.m_bits, ov
            )
            self.xsum = np.zeros_like(self.xsum)
        i_f = saturate(a[:, :-1], fmt.acc_bits, "i_f", ov)
        i = saturate(i_f + self.i_m + p.bias, fmt.acc_bits, "i", ov)
        self.v, s = lif_update(self.v, i, p.dv, p.vth, p.reset, fmt.v_bits, ov)
        self.k += 1
        return s

    def run(self, s_in: np.ndarray, delay: bool = True) -> dict[str, np.ndarray]:
        """Run a whole sequence from a reset state.

        Parameters
        ----------
        s_in : numpy.ndarray
            Integer input of shape ``(T, batch, M)``.
        delay : bool
            Apply the one-step Dense delay of a Lava layer.

        Returns
        -------
        dict
            ``s`` (T, batch, N), ``v`` (T, batch, N), ``m`` (T, batch, d),
            ``x`` (T, batch).
        """
        s_in = self._check_input("s_in", s_in, 3)
        steps = s_in.shape[0]
        if delay:
            s_in = np.concatenate([np.zeros_like(s_in[:1]), s_in[:-1]])
        self.batch = s_in.shape[1]
        self.reset()
        out = {
            "s": np.empty((steps, self.batch, self.p.n), dtype=np.int64),
            "v": np.empty((steps, self.batch, self.p.n), dtype=np.int64),
            "m": np.empty((steps, self.batch, self.p.order), dtype=np.int64),
            "x": np.empty((steps, self.batch), dtype=np.int64),
        }
        for k in range(steps):
            out["s"][k] = self._step(s_in[k])
            out["v"][k], out["m"][k], out["x"][k] = self.v, self.m, self.x
        return out


class GoldenReadout:
    """Integer readout: Dense (one step delay) into an accumulator.

    ``acc[k] = sat_acc(acc[k-1] + a[k] + bias)`` for ``k >= t_start``.
    """

    def __init__(
        self,
        weights: np.ndarray,
        weight_exp: int,
        bias: np.ndarray,
        acc_bits: int = 32,
        t_start: int = 0,
    ) -> None:
        self.weights = np.asarray(weights, dtype=np.int64)
        self.weight_exp = weight_exp
        self.bias = np.asarray(bias, dtype=np.int64)
        self.acc_bits = acc_bits
        self.t_start = t_start

    def run(self, s_in: np.ndarray) -> np.ndarray:
        """Accumulated scores after the whole sequence ``s_in`` (integers,
        ``(T, batch, N)``), shape ``(batch, C)``."""
        s_in = check_int_input("s_in", s_in)
        if s_in.ndim != 3 or s_in.shape[-1] != self.weights.shape[1]:
            raise ValueError(
                f"s_in: expected shape (T, batch, {self.weights.shape[1]}), got "
                f"{s_in.shape}"
            )
        delayed = np.concatenate([np.zeros_like(s_in[:1]), s_in[:-1]])
        acc = np.zeros((s_in.shape[1], self.weights.shape[0]), dtype=np.int64)
        for k in range(self.t_start, s_in.shape[0]):
            a = dense_bit_acc(self.weights, delayed[k], self.weight_exp)
            acc = saturate(acc + a + self.bias, self.acc_bits, "acc")
        return acc


def run_golden_network(
    layers: list[FixedDMPParams], s_in: np.ndarray
) -> list[dict[str, np.ndarray]]:
    """Run stacked layers as a Lava network does (one Dense delay per layer).

    ``s_in`` has shape ``(T, batch, M)`` and integer dtype (float arrays are
    refused, also whole-valued ones); returns each layer's traces.
    """
    outs = []
    x = check_int_input("s_in", s_in)
    for params in layers:
        res = GoldenDMPLayer(params).run(x, delay=True)
        outs.append(res)
        x = res["s"]
    return outs
