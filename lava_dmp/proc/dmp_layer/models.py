"""Sub-process model of DMPLayer: one Lava Dense (N+1 rows) into one DMP.

Absolute imports only: Lava loads this file as a bare module.
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.dense.process import Dense

from lava_dmp.fixed_point import SIGN_MODE
from lava_dmp.proc.dmp.process import DMP
from lava_dmp.proc.dmp_layer.process import DMPLayer


@implements(proc=DMPLayer, protocol=LoihiProtocol)
class SubDMPLayerModel(AbstractSubProcessModel):
    """Dense ``[W_f; w_x]`` -> DMP(fused_drive=True); float or fixed inside."""

    def __init__(self, proc: DMPLayer) -> None:
        params = proc.proc_params["params"]
        nmb = proc.proc_params["num_message_bits"]
        reset = proc.proc_params.get("reset_interval", 0)
        if proc.proc_params["numeric"] == "fixed":
            self.dense = Dense(
                weights=params.weights.astype(np.int32),
                num_message_bits=nmb,
                weight_exp=params.weight_exp,
                num_weight_bits=params.fmt.weight_bits,
                sign_mode=SIGN_MODE,
            )
            self.dmp = DMP.from_fixed(params, fused_drive=True, reset_interval=reset)
        else:
            weights = np.vstack([params.weights_f, params.weights_x[None, :]])
            self.dense = Dense(weights=weights, num_message_bits=nmb)
            self.dmp = DMP(
                shape=(params.n,),
                theta=params.theta,
                weights_m=params.weights_m,
                bias=params.bias,
                bias_x=params.bias_x,
                beta=params.beta,
                vth=params.vth,
                reset=params.reset,
                dilation=params.dilation,
                fused_drive=True,
                reset_interval=reset,
            )
        proc.in_ports.s_in.connect(self.dense.in_ports.s_in)
        self.dense.out_ports.a_out.connect(self.dmp.in_ports.a_in)
        self.dmp.out_ports.s_out.connect(proc.out_ports.s_out)
        for name in ("v", "m", "x", "xsum", "i_m", "k"):
            getattr(proc.vars, name).alias(getattr(self.dmp.vars, name))
        proc.vars.a_buff.alias(self.dense.vars.a_buff)
