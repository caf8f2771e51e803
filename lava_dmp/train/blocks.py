"""lava-dl SLAYER blocks for DMP networks, tensors ``[batch, channels, time]``.

A slayer ``Neuron`` only sees the synapse output, so the DMP block uses a
synapse of ``N + 1`` outputs whose last row is ``w_x`` (the scalar drive) and a
:class:`DMPNeuron` that holds ``W_m``, the biases and the Legendre kernel. As
in the authors' reference the membrane integrates ``v = beta v + g I`` with
input gain ``g`` (0.5 and ``beta = 0.5`` by default); export folds ``g`` into
the weights (:func:`lava_dmp.convert.convert_layer` with ``input_gain``).
"""

from __future__ import annotations

import numpy as np
import torch
from lava.lib.dl.slayer.block.base import AbstractDense
from lava.lib.dl.slayer.neuron.base import Neuron
from lava.lib.dl.slayer.synapse import Dense as DenseSynapse

from lava_dmp._checks import check_choice, check_int, check_positive, check_real
from lava_dmp.convert import (
    REFERENCE_INPUT_GAIN,
    DMPLayerParams,
    FixedDMPParams,
    convert_layer,
)
from lava_dmp.fixed_point import DECAY_BITS, FixedPointFormat
from lava_dmp.golden import GoldenDMPLayer
from lava_dmp.legendre import check_theta, update_matrices
from lava_dmp.train import native
from lava_dmp.train.lif import SURROGATES, current_grad, lif_sequence, use_kernels
from lava_dmp.train.memory import (
    legendre_conv,
    legendre_kernel,
    memory_current_fft,
)
from lava_dmp.train.products import (
    batch_major_weight_grad,
    input_grad_with_drive,
    weight_grad,
)

__all__ = ["DMPNeuron", "DMPDense", "ReadoutBlock"]


class DMPNeuron(Neuron):
    r"""DMP neurons for slayer: input ``(B, N+1, T)``, spikes ``(B, N, T)``.

    .. math::

        x &= \max(0, z_N + b_x), \quad I_m = W_m m \ \text{(FFT over all T)} \\
        v[t] &= \beta v[t-1] + g (z_{:N}[t] + I_m[t] + b), \ s = H(v - v_{th})

    Hard (default) or soft reset; surrogate gradient ``surrogate`` (sigmoid or
    ATan) of slope ``slope``; ``local_grad`` drops the recurrence through
    ``v`` from the backward (the SDFA-local rule).
    """

    def __init__(
        self,
        num_neurons: int,
        order: int,
        theta: float,
        beta: float = 0.5,
        input_gain: float = REFERENCE_INPUT_GAIN,
        vth: float = 1.0,
        reset: str = "hard",
        slope: float = 4.0,
        dilation: int = 1,
        init_std: float = 0.02,
        persistent_state: bool = False,
        surrogate: str = "sigmoid",
    ) -> None:
        if persistent_state:
            # the forward runs whole sequences from rest (one FFT for the
            # memory, one kernel call for the LIF); carrying v, m and the
            # synaptic delay across calls is not implemented
            raise ValueError(
                "persistent_state: DMP blocks run each sequence from rest; "
                "concatenate the sequence in time instead (persistent_state="
                "True is not supported)"
            )
        super().__init__(
            threshold=vth,
            w_scale=1 << 12,
            s_scale=1 << 12,
            persistent_state=persistent_state,
        )
        self.num_neurons = check_int("num_neurons", num_neurons, minimum=1)
        self.shape = (self.num_neurons,)
        self.order = check_int("order", order, minimum=1)
        self.beta = check_real("beta", beta, 0.0, 1.0)
        self.input_gain = check_positive("input_gain", input_gain)
        self.vth = check_positive("vth", vth)
        self.reset = check_choice("reset", reset, ("hard", "soft"))
        self.slope = check_positive("slope", slope)
        self.surrogate = check_choice("surrogate", surrogate, SURROGATES)
        #: the local rule's backward (no recurrence through v); set by the
        #: trainer for ``rule='sdfa-local'``
        self.local_grad = False
        self.dilation = check_int("dilation", dilation, minimum=1)
        self.theta = check_theta(theta, self.dilation)
        self.weights_m = torch.nn.Parameter(torch.randn(num_neurons, order) * init_std)
        self.bias = torch.nn.Parameter(torch.zeros(num_neurons))
        self.bias_x = torch.nn.Parameter(torch.zeros(()))
        self._kernel: torch.Tensor | None = None
        self._matrices: tuple[torch.Tensor, torch.Tensor] | None = None

    def kernel(self, steps: int, like: torch.Tensor) -> torch.Tensor:
        """Legendre impulse response for ``steps`` (cached, grown on demand)."""
        coarse = -(-(steps + self.dilation - 1) // self.dilation)
        k = self._kernel
        if (
            k is None
            or k.shape[0] < coarse
            or k.dtype != like.dtype
            or k.device != like.device
        ):
            h = legendre_kernel(self.order, self.theta, steps, self.dilation)
            self._kernel = torch.as_tensor(h, dtype=like.dtype, device=like.device)
        return self._kernel

    def matrices(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(A_bar, B_bar / d_s)`` of one memory refresh (cached), which made
        :meth:`kernel`."""
        m = self._matrices
        if m is None or m[0].dtype != like.dtype or m[0].device != like.device:
            a_bar, b_eff = update_matrices(self.order, self.theta, self.dilation)
            m = tuple(
                torch.as_tensor(t, dtype=like.dtype, device=like.device)
                for t in (a_bar, b_eff)
            )
            self._matrices = m
        return m

    @property
    def device_params(self) -> dict:
        return {
            "type": "DMP",
            "order": self.order,
            "theta": self.theta,
            "beta": self.beta,
            "vth": self.vth,
            "reset": self.reset,
            "dilation": self.dilation,
            "input_gain": self.input_gain,
        }

    def _split(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Synaptic part ``a_f (T, B, N)`` and drive ``a_x (T, B)`` of a
        synapse output ``(B, N+1, T)``."""
        if z.dim() != 3 or z.shape[1] != self.num_neurons + 1:
            raise ValueError(
                f"input: expected (batch, {self.num_neurons + 1}, time), got "
                f"{tuple(z.shape)}"
            )
        # work time-major: when z is a (B, N+1, T) view of a contiguous
        # (T, B, N+1) tensor (as DMPDense makes it) this permute copies nothing
        zt = z.permute(2, 0, 1)
        # split, not slicing: its backward concatenates instead of zero-filling
        a_f, a_x = torch.split(zt, [self.num_neurons, 1], dim=2)
        return a_f, a_x[..., 0]

    def _drive(self, a_x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The memory's input ``x = relu(a_x + b_x)`` and its kernel ``h``."""
        return torch.relu(a_x + self.bias_x), self.kernel(a_x.shape[0], a_x)

    def _memory(self, a_x: torch.Tensor) -> dict:
        """The memory arguments of :func:`lif_sequence` for the drive
        ``a_x (T, B)``: the d-dim states and ``W_m`` (dilation 1: the kernel
        forms ``W_m m`` row by row), else the current ``W_m m (T, B, N)``."""
        if self.dilation != 1:
            return dict(memory=self.memory_current(a_x))
        x, h = self._drive(a_x)
        return dict(
            memory_state=legendre_conv(x, h, *self.matrices(a_x)),
            memory_weights=self.weights_m.to(a_x.dtype),
        )

    def memory_current(self, a_x: torch.Tensor) -> torch.Tensor:
        """``W_m m`` for all steps, ``(T, B, N)``, from the drive ``a_x (T, B)``."""
        x, h = self._drive(a_x)
        return memory_current_fft(
            x,
            self.weights_m.to(a_x.dtype),
            h,
            self.dilation,
            time_major=True,
            matrices=self.matrices(a_x),
        )

    def current(self, z: torch.Tensor) -> torch.Tensor:
        """Total input ``g (a_f + W_m m + b)``, time-major ``(T, B, N)``."""
        a_f, a_x = self._split(z)
        return self.input_gain * (self.memory_current(a_x) + a_f + self.bias)

    def spikes(
        self,
        a_f: torch.Tensor,
        a_x: torch.Tensor,
        shift: int = 0,
        weights_f: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Spikes ``(T, B, N)`` from the synaptic part ``a_f (T, B, N)``, seen
        with a delay of ``shift`` steps (read in place, no shifted copy), and
        the drive ``a_x (T, B)``. With ``weights_f (N, M)``, ``a_f`` is the
        narrow input ``(T, B, M)`` of those weights instead."""
        spikes, _ = lif_sequence(
            a_f,
            self.beta,
            self.vth,
            self.reset,
            self.slope,
            bias=self.bias,
            gain=self.input_gain,
            shift=shift,
            current_weights=weights_f,
            surrogate=self.surrogate,
            local=self.local_grad,
            **self._memory(a_x),
        )
        return spikes

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.spikes(*self._split(z)).permute(1, 2, 0)


class _StraightThroughDMP(torch.autograd.Function):
    r"""Forward: the integer layer's spikes. Backward: the LIF gradient along
    the integer layer's own membrane trajectory, into the parts of the float
    current it stands for,

    .. math:: I[t] = g \, (a_f[t - \delta] + W_m m[t] + b),

    without forming ``I`` in the forward: ``a_f (T', B, N)`` is the synaptic
    product of the undelayed input (its row ``t`` enters step ``t + delta``),
    ``mem`` the memory state ``m (T, B, d)`` with ``weights_m``, or the memory
    current ``(T, B, N)`` itself when ``weights_m`` is None."""

    @staticmethod
    def forward(ctx, a_f, mem, weights_m, bias, volts, spikes, shift, gain, lif_args):
        ctx.save_for_backward(volts, spikes, mem, weights_m)
        ctx.args = (a_f.shape[0], shift, gain, lif_args)
        ctx.native = use_kernels(volts)
        return spikes.clone()

    @staticmethod
    def backward(ctx, grad):
        volts, spikes, mem, weights_m = ctx.saved_tensors
        rows, shift, gain, (beta, vth, hard, slope, surrogate, local) = ctx.args
        need = ctx.needs_input_grad
        # the kernels, as in the float forward: a trained network's gradients
        # underflow into subnormals on the torch path (2.7-3.5x slower)
        store, grad_b = current_grad(
            grad,
            volts,
            spikes,
            beta,
            vth,
            hard,
            slope,
            gain,
            kernels=ctx.native,
            surrogate=surrogate,
            local=local,
            need_bias=need[3],
            shift=shift,
            after_reset=True,
        )
        grad_i = store[: volts.shape[0]]
        grad_f = grad_mem = grad_wm = None
        if need[0]:  # rows t of a_f enter step t + shift; past the end: none
            grad_f = store[shift : shift + rows]
            if grad_f.shape[0] < rows:
                grad_f = torch.nn.functional.pad(
                    grad_f, (0, 0, 0, 0, 0, rows - grad_f.shape[0])
                )
        if weights_m is None:
            grad_mem = grad_i if need[1] else None
        else:
            grad_mem = grad_i @ weights_m if need[1] else None
            grad_wm = weight_grad(mem, grad_i) if need[2] else None
        return (grad_f, grad_mem, grad_wm, grad_b) + (None,) * 5


#: inputs this narrow (S-MNIST: one pixel) enter the LIF kernel as ``x`` and
#: ``W_f`` instead of a materialised ``(T, B, N)`` synaptic current
NARROW_INPUT = 4


def _batch_major_pays(steps: int, inputs: int, outputs: int) -> bool:
    """A user input ``(B, M, T)`` goes through :class:`_SynapseWithDriveBatchMajor`
    (one GEMM per sample, no copy) only for long sequences into narrow
    layers; otherwise a time-major copy and one GEMM win. Forward and backward
    on 2 threads, B = 128: SHD 140 -> 128, T 100: 18.5 against 19.6 ms;
    700 -> 100, T 100: 71 against 105 ms; but 784 -> 1000, T 10: 412 against
    37 ms, and 784 -> 1000, T 100: 791 against 453 ms."""
    return steps >= 64 and outputs <= 257


class _SynapseWithDrive(torch.autograd.Function):
    """``(x W_f^T, x w_x)`` for ``W = [W_f; w_x]`` and time-major ``x``.

    Two products: one GEMM with the ``N + 1`` columns of ``W`` (drive last,
    as the batch-major op does) measured 0.0 to 0.6 ms slower for the SHD
    shape than a GEMM with ``N = 128`` columns plus the matrix-vector product."""

    @staticmethod
    def forward(ctx, xt, w):
        ctx.save_for_backward(xt, w)
        return xt @ w[:-1].T, xt @ w[-1]

    @staticmethod
    def backward(ctx, grad_f, grad_x):
        xt, w = ctx.saved_tensors
        grad_xt = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_xt = input_grad_with_drive(grad_f, grad_x, w).reshape(xt.shape)
        if ctx.needs_input_grad[1]:
            drive = grad_x.reshape(-1) @ xt.reshape(-1, xt.shape[-1])
            grad_w = torch.cat([weight_grad(xt, grad_f), drive[None]], dim=0)
        return grad_xt, grad_w


class _SynapseWithDriveBatchMajor(torch.autograd.Function):
    """:class:`_SynapseWithDrive` for an input ``x (B, M, T)`` laid out as
    the user hands it. Its time-major copy (a transposing copy, 3 ms of an
    SHD step) is not made: each sample's ``x_b^T W_f^T`` is one product of a
    batched GEMM that reads ``x_b (M, T)`` transposed in place and writes
    straight into the time-major ``[a_f, a_x] (T, B, N + 1)``. The drive as
    the GEMM's last column, not ``w_x @ x`` apart, saves 2.0 to 2.5 ms of the
    SHD shape's forward."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        steps, batch = x.shape[2], x.shape[0]
        both = x.new_empty(steps, batch, w.shape[0])  # [a_f, a_x], time-major
        weights = w.T.expand(batch, -1, -1)
        torch.bmm(x.transpose(1, 2), weights, out=both.permute(1, 0, 2))
        return both[..., :-1], both[..., -1]

    @staticmethod
    def backward(ctx, grad_f, grad_x):
        x, w = ctx.saved_tensors
        grad_in = grad_w = None
        if ctx.needs_input_grad[0]:  # (T, B, M), handed back as (B, M, T)
            grad_in = input_grad_with_drive(grad_f, grad_x, w)
            grad_in = grad_in.reshape(*grad_f.shape[:2], -1).permute(1, 2, 0)
        if ctx.needs_input_grad[1]:
            # one batched GEMM over all N + 1 columns, as in the forward: the
            # gradients' concatenation costs less than a second pass over x
            grad_both = torch.cat([grad_f, grad_x.unsqueeze(-1)], dim=2)
            grad_w = batch_major_weight_grad(x, grad_both)
        return grad_in, grad_w


class DMPDense(AbstractDense):
    """Dense DMP block: ``s_in (B, M, T)`` to spikes ``(B, N, T)``.

    ``fast_path=False`` removes ``W_f`` (memory path only) and
    ``memory=False`` removes the memory (a plain LIF layer): the ablations of
    the paper, with the removed weights frozen at zero.

    ``positive_drive=True`` (default) draws ``w_x`` from the half-normal
    ``|N(0, init_std^2)|``. Inputs (spikes, grey levels) are non-negative and
    ``b_x`` starts at 0, so a ``w_x`` with a negative sum gives ``x = 0`` at
    every step, where the ReLU passes no gradient: the memory would stay dead
    for the whole training (a 1-input layer draws that with probability 1/2).
    ``False`` keeps the reference's plain normal draw.

    ``delay_shift=True`` (default) adds the one-step synaptic delay of a Lava
    ``DMPLayer``. It delays the synaptic current (the neuron sees
    ``W s[t-1]``, zero at ``t = 0``) rather than the output spikes as slayer's
    CUBA blocks do: the neurons then run from step 0 with zero input, biases
    and memory included, exactly as the Lava layer does, so spikes agree step
    for step (also with a memory update period ``d_s > 1``).

    ``init_std=None`` (default) draws every weight with std
    ``2 / sqrt(in_neurons)``, the scale :class:`~lava_dmp.train.model.NetConfig`
    uses: a layer on grey levels or sparse spikes spikes from the start (the
    reference's 0.02 leaves a 1-200-200 network silent, and no gradient
    reaches a silent network).

    The slayer block contract: :meth:`export_hdf5` writes the block as a DMP
    layer of lava-dmp's exported-network format (lava-dl's netx cannot load
    DMP layers; export whole networks with
    :func:`lava_dmp.train.export.export_network`); ``persistent_state=True`` is
    refused (each forward runs its sequences from rest); the block follows the
    device and dtype of its input.
    """

    def __init__(
        self,
        in_neurons: int,
        out_neurons: int,
        order: int,
        theta: float,
        weight_scale: int = 1,
        weight_norm: bool = False,
        pre_hook_fx=None,
        delay_shift: bool = True,
        init_std: float | None = None,
        fast_path: bool = True,
        memory: bool = True,
        positive_drive: bool = True,
        **neuron_kwargs,
    ) -> None:
        if init_std is None:  # NetConfig's default scale: the block spikes
            init_std = 2.0 / check_int("in_neurons", in_neurons, minimum=1) ** 0.5
        neuron_params = dict(
            order=order, theta=theta, init_std=init_std, **neuron_kwargs
        )
        super().__init__(
            neuron_params,
            in_neurons,
            out_neurons,
            weight_scale,
            weight_norm,
            pre_hook_fx,
            delay=False,
            delay_shift=delay_shift,
        )
        self.neuron = DMPNeuron(out_neurons, **neuron_params)
        self.synapse = DenseSynapse(
            in_neurons, out_neurons + 1, weight_scale, weight_norm, pre_hook_fx
        )
        torch.nn.init.normal_(self.synapse.weight, 0.0, init_std)
        if positive_drive:
            with torch.no_grad():
                self.synapse.weight[out_neurons:].abs_()
        self.fast_path, self.memory = fast_path, memory
        # ablations keep the layer's shape and freeze the removed path at zero
        # (zero weights and zero gradients, so Adam never moves them)
        keep = torch.ones_like(self.synapse.weight)
        if not fast_path:  # W_f = 0: memory path only (the paper's ablation)
            keep[:out_neurons] = 0
        if not memory:  # W_m = 0 and w_x = 0: a plain LIF layer
            keep[out_neurons:] = 0
            self.neuron.weights_m.requires_grad_(False)
            self.neuron.bias_x.requires_grad_(False)
            with torch.no_grad():
                self.neuron.weights_m.zero_()
        if not (fast_path and memory):
            with torch.no_grad():
                self.synapse.weight.mul_(keep)
            self.synapse.weight.register_hook(lambda g: g * keep)

    #: fixed-point format of the quantised (hardware-aware) forward, or None
    fixed_format: FixedPointFormat | None = None

    def export_hdf5(self, handle) -> None:
        """Write the block into ``handle`` (an ``h5py`` group) as one DMP layer
        entry of lava-dmp's exported-network format, converted exactly as the
        network export converts it (the format of :meth:`quantize` if it was
        called, else the default; a first layer takes the input scale and
        message bits given to :meth:`quantize`).

        Read it back with :func:`lava_dmp.netx.format.read_dmp_layer`. A
        deployable file needs the whole network and its input spec:
        :func:`lava_dmp.train.export.export_network`.
        """
        from lava_dmp.netx.format import write_dmp_layer

        write_dmp_layer(handle, self.fixed_params(), self.memory)

    def quantize(
        self,
        fmt: FixedPointFormat | None = None,
        in_scale: float = 1.0,
        num_message_bits: int = 0,
        signed_input: bool = False,
    ) -> None:
        """Switch the forward to the fixed-point contract (``fmt=None``: the
        default format); :meth:`dequantize` switches back to float.

        ``in_scale`` is the real value of one input LSB (1 for spikes, 1/255
        for grey levels in ``[0, 1]``); ``signed_input`` says the integers
        may be negative (the converter then bounds the memory for either sign).
        """
        self.fixed_format = fmt or FixedPointFormat()
        self.in_scale, self.num_message_bits = in_scale, num_message_bits
        self.signed_input = bool(signed_input)

    def dequantize(self) -> None:
        """Back to the float forward."""
        self.fixed_format = None

    def fixed_params(self) -> FixedDMPParams:
        """The current weights converted exactly as export converts them."""
        fmt = self.fixed_format or FixedPointFormat()
        return convert_layer(
            self.layer_params(),
            fmt,
            in_scale=getattr(self, "in_scale", 1.0),
            num_message_bits=getattr(self, "num_message_bits", 0),
            signed_input=getattr(self, "signed_input", False),
            input_gain=self.neuron.input_gain,
            test_steps=0,
        )[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fixed_format is None:
            return self._float_forward(x)
        return self._quantized_forward(x)

    def _float_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The values of slayer's ``neuron(delay(synapse(x)))`` without forming
        the delayed ``(B, N+1, T)`` current: ``a_f`` and ``a_x`` come from the
        weights split into ``W_f`` and ``w_x``, and the delay is an offset the
        LIF kernel reads."""
        self._check_input(x)
        w = self._weight()
        xt = x.permute(2, 0, 1)  # (T, B, M)
        shift = 1 if self.delay_shift else 0
        # a_f (T, B, N) is read with a delay of `shift` steps; the small (T, B)
        # drive is shifted here (slicing the input instead would make its
        # gradient a zero-filled (T, B, M) copy)
        weights_f = None
        if xt.shape[-1] <= NARROW_INPUT:  # W_f x formed inside the LIF kernel
            xt = xt.contiguous()
            a_f, weights_f, a_x = xt, w[:-1], xt @ w[-1]
        else:
            a_f, a_x = self._synapse_products(x, w)
        a_x = torch.nn.functional.pad(a_x[: a_x.shape[0] - shift], (0, 0, shift, 0))
        return self.neuron.spikes(a_f, a_x, shift, weights_f).permute(1, 2, 0)

    @staticmethod
    def _synapse_products(
        x: torch.Tensor, w: torch.Tensor, drop: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``a_f = W_f x`` and ``a_x = w_x x``, time-major ``(T, B, N)`` and
        ``(T, B)``, of the input ``x (B, M, T)`` by the cheaper product (see
        :func:`_batch_major_pays`). The last ``drop`` steps, which a delayed
        layer never reads, are left out of ``a_x`` and, where that saves work,
        of ``a_f`` (its callers accept ``T`` or ``T - drop`` rows)."""
        xt = x.permute(2, 0, 1)
        if xt.is_contiguous() or not _batch_major_pays(*xt.shape[::2], w.shape[0]):
            # a previous DMP block's output (a view), or a user input copied
            # time-major once, without the rows no step reads
            return _SynapseWithDrive.apply(xt[: xt.shape[0] - drop].contiguous(), w)
        a_f, a_x = _SynapseWithDriveBatchMajor.apply(x.contiguous(), w)  # in place
        return a_f, a_x[: a_x.shape[0] - drop]

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 3 or x.shape[1] != self.synapse.in_channels:
            raise ValueError(
                f"input: expected (batch, {self.synapse.in_channels}, "
                f"time), got {tuple(x.shape)}"
            )

    def _weight(self) -> torch.Tensor:
        """The synapse weight ``(N+1, M)`` after slayer's pre-hook."""
        w = self.synapse.weight
        if self.synapse._pre_hook_fx is not None:
            w = self.synapse._pre_hook_fx(w)
        return w.reshape(w.shape[0], w.shape[1])

    def _quantized_forward(self, x: torch.Tensor) -> torch.Tensor:
        """Integer forward of the golden model (Dense included, one-step delay)
        with straight-through gradients along its membrane trajectory.

        The compiled kernel of :mod:`lava_dmp.train.native` runs the golden
        model's arithmetic where available (bit for bit the same traces); the
        numpy golden model runs otherwise, and also reports bad inputs and
        overflows (``fmt.overflow="raise"``) the kernel only flags."""
        fixed = self.fixed_params()
        bits, signed = self.num_message_bits, getattr(self, "signed_input", False)
        lo, hi = (
            (0, 1)
            if not bits
            else (
                (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
                if signed
                else (0, (1 << bits) - 1)
            )
        )
        traces = None
        if native.fixed_supported(fixed):
            traces = native.quantised_forward(
                fixed, x.permute(2, 0, 1), self.in_scale, (lo, hi), self.delay_shift
            )
        if traces is None:
            traces = self._golden_traces(x, fixed, lo, hi)
        volts, spikes = (t.to(x.device) for t in traces)  # integer work ran on CPU
        beta = 1.0 - fixed.dv / (1 << DECAY_BITS)
        n = self.neuron
        lif_args = (
            beta,
            fixed.vth * 2.0**-fixed.fmt.v_frac,
            fixed.reset == "hard",
            n.slope,
            n.surrogate,
            n.local_grad,
        )
        # the float parts of the current, for the straight-through backward:
        # the synaptic product of the undelayed input (the delay is an offset
        # the backward applies), the delayed drive and the memory
        shift = 1 if self.delay_shift else 0
        a_f, a_x = self._synapse_products(x, self._weight(), drop=shift)
        a_x = torch.nn.functional.pad(a_x, (0, 0, shift, 0))
        if n.dilation == 1:  # the d-dim state; W_m m is formed in the backward
            drive, h = n._drive(a_x)
            mem, weights_m = legendre_conv(drive, h, *n.matrices(a_x)), n.weights_m
            weights_m = weights_m.to(a_x.dtype)
        else:
            mem, weights_m = n.memory_current(a_x), None
        out = _StraightThroughDMP.apply(
            a_f, mem, weights_m, n.bias, volts, spikes, shift, n.input_gain, lif_args
        )
        return out.permute(1, 2, 0)

    def _golden_traces(
        self, x: torch.Tensor, fixed: FixedDMPParams, lo: int, hi: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Membrane (real units) and spikes ``(T, B, N)`` of the numpy golden
        model on the input ``x (B, M, T)``, checked to be integers in
        ``[lo, hi]`` on the grid of ``in_scale``."""
        ints = x.detach().double().cpu().numpy() / self.in_scale
        s_int = np.rint(ints)
        if np.max(np.abs(ints - s_int), initial=0.0) > 1e-3:  # float32 inputs
            raise ValueError(
                f"input: the quantised forward needs inputs on the integer grid of "
                f"in_scale={self.in_scale:g} (encode the data with its InputSpec)"
            )
        if s_int.size and (s_int.min() < lo or s_int.max() > hi):
            signed = getattr(self, "signed_input", False)
            raise ValueError(
                f"input: the quantised forward takes {self.num_message_bits}-bit "
                f"{'signed ' if signed else ''}messages in [{lo}, {hi}] (x in_scale "
                f"{self.in_scale:g}), got [{s_int.min():g}, {s_int.max():g}]"
            )
        s_int = s_int.astype(np.int64).transpose(2, 0, 1)  # (T, B, M)
        gold = GoldenDMPLayer(fixed).run(s_int, delay=self.delay_shift)
        scale = 2.0**-fixed.fmt.v_frac
        volts = torch.from_numpy(gold["v"] * scale).to(x.dtype)
        spikes = torch.from_numpy(gold["s"]).to(x.dtype)
        return volts, spikes

    def layer_params(self) -> DMPLayerParams:
        """The block as float :class:`DMPLayerParams` (``v = beta v + g I`` form;
        fold ``input_gain`` when converting)."""
        w = self.synapse.weight.detach().reshape(self.synapse.weight.shape[:2])
        w = w.double().cpu().numpy()
        n = self.neuron
        return DMPLayerParams(
            weights_f=w[:-1],
            weights_x=w[-1],
            weights_m=n.weights_m.detach().double().cpu().numpy(),
            bias=n.bias.detach().double().cpu().numpy(),
            bias_x=float(n.bias_x.detach()),
            theta=n.theta,
            beta=n.beta,
            vth=n.vth,
            reset=n.reset,
            dilation=n.dilation,
        )


class ReadoutBlock(torch.nn.Module):
    """Non-spiking linear readout averaged over time: ``(B, N, T)`` to ``(B, C)``.

    ``mode='mean'`` averages ``W s[t] + b`` over all steps (the reference);
    ``mode='last'`` uses the last step only (the paper's gradient analysis).
    """

    def __init__(
        self, in_neurons: int, classes: int, init_std: float = 0.02, mode: str = "mean"
    ) -> None:
        super().__init__()
        self.mode = check_choice("mode", mode, ("mean", "last"))
        self.linear = torch.nn.Linear(in_neurons, classes)
        torch.nn.init.normal_(self.linear.weight, 0.0, init_std)
        torch.nn.init.zeros_(self.linear.bias)

    def forward(
        self, s: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        r"""Scores of spikes ``s`` ``(B, N, T)``; with ``lengths`` ``(B,)`` the
        average (or the last step) covers each sample's first ``lengths``
        steps only.

        .. math:: r = W \frac{1}{L} \sum_{t < L} s[t] + b
        """
        if lengths is None:
            if self.mode == "mean":
                # sum, then divide the small result: the gradient reaching the
                # spikes stays a broadcast view instead of a (B, N, T) tensor
                feats = s.sum(dim=-1) / s.shape[-1]
            else:
                feats = s[..., -1]
            return self.linear(feats)
        lengths = torch.as_tensor(lengths, device=s.device)
        if lengths.shape != s.shape[:1] or bool(
            (lengths < 1).any() | (lengths > s.shape[-1]).any()
        ):
            raise ValueError(
                f"lengths: expected {s.shape[0]} values in [1, {s.shape[-1]}], got "
                f"{lengths.tolist()[:8]}"
            )
        if self.mode == "mean":
            steps = torch.arange(s.shape[-1], device=s.device)
            mask = (steps[None, :] < lengths[:, None]).to(s.dtype)
            feats = (s * mask[:, None, :]).sum(dim=-1) / lengths[:, None].to(s.dtype)
        else:
            feats = s[torch.arange(s.shape[0], device=s.device), :, lengths - 1]
        return self.linear(feats)
