"""A whole DMP layer (synapses + DMP neurons) as one hierarchical Lava process."""

from __future__ import annotations

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.magma.core.process.variable import Var

from lava_dmp._checks import check_int
from lava_dmp.convert import DMPLayerParams, FixedDMPParams

__all__ = ["DMPLayer", "STATE_VARS"]

#: Vars holding a DMPLayer's state (zero them to start a new sample).
STATE_VARS = ("v", "m", "x", "xsum", "i_m", "k", "a_buff")


class DMPLayer(AbstractProcess):
    r"""Dense synapses feeding DMP neurons: drop-in for Lava's Dense + LIF pair.

    ``s_in`` (M) to ``s_out`` (N). Inside, one Lava ``Dense`` of N+1 rows
    ``[W_f; w_x]`` feeds one :class:`~lava_dmp.proc.dmp.process.DMP` whose
    last input row is the scalar drive. As for Dense + LIF, the layer adds
    exactly one step of delay (the Dense's): the neurons at step ``k`` see
    ``s_in[k-1]``; drive, memory and membrane stay same-step:

    .. math::

        x[k] &= \max(0,\ w_x \cdot s_{in}[k-1] + b_x), \quad
        m[k] = \bar A m[k-1] + \bar B x[k] \\
        v[k] &= \beta v[k-1] + W_f s_{in}[k-1] + W_m m[k] + b

    Parameters
    ----------
    weights_f : numpy.ndarray
        ``(N, M)`` fast weights.
    weights_x : numpy.ndarray
        ``(M,)`` drive weights.
    weights_m : numpy.ndarray
        ``(N, d)`` memory weights.
    bias : float or numpy.ndarray
        ``(N,)`` neuron bias.
    bias_x : float
        Drive bias.
    theta, beta, vth, reset, dilation
        As for :class:`~lava_dmp.proc.dmp.process.DMP`.
    num_message_bits : int
        0 for binary spikes, else the graded input width (8 for grey levels).
    reset_interval : int
        As for :class:`~lava_dmp.proc.dmp.process.DMP` (0: never).

    Use :meth:`from_fixed` for the bit-accurate ``fixed_pt`` layer.

    Vars
    ----
    v (N,), m (d,), x (1,), xsum (1,), i_m (N,), k (1,) alias the inner DMP's
    state; a_buff (N+1,) the Dense's buffer. :data:`STATE_VARS` lists them.
    """

    # Lava's __del__ reads _runtime; a constructor that refuses its arguments
    # raises before AbstractProcess.__init__ sets it.
    _runtime = None

    def __init__(
        self,
        *,
        weights_f: np.ndarray,
        weights_x: np.ndarray,
        weights_m: np.ndarray,
        bias: float | np.ndarray = 0.0,
        bias_x: float = 0.0,
        theta: float = 40.0,
        beta: float = 0.5,
        vth: float = 1.0,
        reset: str = "hard",
        dilation: int = 1,
        num_message_bits: int = 0,
        reset_interval: int = 0,
        name: str | None = None,
        log_config: LogConfig | None = None,
        _fixed: FixedDMPParams | None = None,
    ) -> None:
        if _fixed is None:
            params = DMPLayerParams(
                weights_f=weights_f,
                weights_x=weights_x,
                weights_m=weights_m,
                bias=bias,
                bias_x=bias_x,
                theta=theta,
                beta=beta,
                vth=vth,
                reset=reset,
                dilation=dilation,
            )
            num_message_bits = check_int("num_message_bits", num_message_bits, 0, 24)
            numeric = "float"
        else:
            params = _fixed
            num_message_bits = _fixed.num_message_bits
            numeric = "fixed"
        super().__init__(
            params=params,
            numeric=numeric,
            num_message_bits=num_message_bits,
            reset_interval=check_int("reset_interval", reset_interval, minimum=0),
            name=name,
            log_config=log_config,
        )
        self.s_in = InPort(shape=(params.m_in,))
        self.s_out = OutPort(shape=(params.n,))
        self.v = Var(shape=(params.n,), init=0)
        self.m = Var(shape=(params.order,), init=0)
        # the rest of the state, aliased too so that a caller can reset the
        # layer between samples: drive, accumulated drive, held memory current,
        # step counter and the Dense's one-step buffer
        self.x = Var(shape=(1,), init=0)
        self.xsum = Var(shape=(1,), init=0)
        self.i_m = Var(shape=(params.n,), init=0)
        self.k = Var(shape=(1,), init=0)
        self.a_buff = Var(shape=(params.n + 1,), init=0)

    @classmethod
    def from_params(
        cls,
        params: DMPLayerParams,
        *,
        num_message_bits: int = 0,
        reset_interval: int = 0,
        name: str | None = None,
        log_config: LogConfig | None = None,
    ) -> DMPLayer:
        """The float layer from :class:`~lava_dmp.convert.DMPLayerParams`."""
        return cls(
            weights_f=params.weights_f,
            weights_x=params.weights_x,
            weights_m=params.weights_m,
            bias=params.bias,
            bias_x=params.bias_x,
            theta=params.theta,
            beta=params.beta,
            vth=params.vth,
            reset=params.reset,
            dilation=params.dilation,
            num_message_bits=num_message_bits,
            reset_interval=reset_interval,
            name=name,
            log_config=log_config,
        )

    @classmethod
    def from_fixed(
        cls,
        params: FixedDMPParams,
        *,
        reset_interval: int = 0,
        name: str | None = None,
        log_config: LogConfig | None = None,
    ) -> DMPLayer:
        """The bit-accurate layer from :func:`lava_dmp.convert.convert_layer`.

        Its input spikes must be integers: :func:`lava_dmp.netx.build.build_network`
        refuses float arrays, which Lava's fixed-point RingBuffer would
        truncate (0.5 to 0).
        """
        if not isinstance(params, FixedDMPParams):
            raise ValueError(
                "params: expected FixedDMPParams from lava_dmp.convert."
                f"convert_layer, got {type(params).__name__}"
            )
        return cls(
            weights_f=None,
            weights_x=None,
            weights_m=None,
            reset_interval=reset_interval,
            name=name,
            log_config=log_config,
            _fixed=params,
        )

    @property
    def params(self) -> DMPLayerParams | FixedDMPParams:
        """The layer's parameters (float or fixed)."""
        return self.proc_params["params"]
