"""The training accelerator: an RRAM in-memory design, every number sourced.

One description serves both designs compared (PipeLayer-style BPTT and
PipeSDFA): the same crossbars, cells, converters and buffers, so the ratio
between them comes from their schedules and their work, not from different
silicon. Each field is ``{value, unit, source}`` in the JSON file; the table
:data:`FIELDS` gives its type and its accepted range.

Sources
-------
None of these papers could be reached from this machine to re-check its
figures: the values are those commonly quoted from them (the DAC energy as
recalled); each source string says so.

* NeuroSim: X. Peng, S. Huang, H. Jiang, A. Lu, S. Yu, "DNN+NeuroSim V2.0: An
  End-to-End Benchmarking Framework for Compute-in-Memory Accelerators for
  On-Chip Training", IEEE TCAD 2021 (its RRAM default: 128 x 128 subarrays,
  R_on 100 kOhm, on/off ratio 10, 32 conductance levels, write 4 V pulses of
  50 ns, read 0.5 V pulses of 10 ns, 8 columns per ADC, 32 nm). Its cell
  write energy is ``V_w^2 / R x t_w`` per pulse.
* ISAAC: A. Shafiee et al., "ISAAC: A Convolutional Neural Network Accelerator
  with In-Situ Analog Arithmetic in Crossbars", ISCA 2016 (32 nm):
  8-bit ADC 2 mW at 1.2 GS/s (1.67 pJ per conversion), 1-bit DAC, eDRAM
  buffer 20.45 pJ per 256-bit access, shift-and-add 0.021 pJ per operation.
* PipeLayer: L. Song, X. Qian, H. Li, Y. Chen, "PipeLayer: A Pipelined
  ReRAM-Based Accelerator for Deep Learning", HPCA 2017 (the baseline's
  organisation: a layer's arrays serve its forward and, read transposed, its
  backward; weights written once per batch).
* Horowitz, ISSCC 2014 (45 nm): 16-bit integer add 0.05 pJ, 16 x 16 multiply
  about 0.8 pJ (scaled from its 32-bit figures as in
  :mod:`lava_dmp.cost.hardware`), for the digital neuron and memory updates,
  scaled to 32 nm by ``32 / 45`` at the same supply (an assumption).

Figures marked *assumption* are ours; none is fitted to the paper's ratios.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from numbers import Integral, Real

__all__ = ["FIELDS", "TrainingHardware", "Param", "load_training_hardware"]

NEUROSIM = (
    "DNN+NeuroSim V2 (Peng et al., IEEE TCAD 2021), RRAM default (as commonly "
    "quoted; not re-checked against the paper here)"
)
ISAAC = (
    "ISAAC (Shafiee et al., ISCA 2016), 32 nm (as commonly quoted; not "
    "re-checked against the paper here)"
)
HOROWITZ32 = "Horowitz (ISSCC 2014) 45 nm figures scaled by 32/45 (assumption)"


@dataclass(frozen=True)
class Param:
    """One number of the description: value, unit and where it comes from."""

    value: float
    unit: str
    source: str


#: name: (kind, unit, low, high, default, source)
FIELDS: dict[str, tuple[type, str, float, float, float, str]] = {
    "crossbar_rows": (int, "cells", 8, 4096, 128, NEUROSIM + ": 128 x 128 subarray"),
    "crossbar_cols": (int, "cells", 8, 4096, 128, NEUROSIM + ": 128 x 128 subarray"),
    "cell_bits": (int, "bits", 1, 8, 5, NEUROSIM + ": 32 conductance levels"),
    "weight_bits": (int, "bits", 1, 16, 8, "assumption: 8-bit weights (lava-dmp's)"),
    "differential": (
        int,
        "0/1",
        0,
        1,
        1,
        "assumption: a differential pair per "
        "weight slice (G+ - G-); 0: offset mapping, one column",
    ),
    "r_on_kohm": (float, "kOhm", 1, 1e5, 100.0, NEUROSIM + ": R_on 100 kOhm"),
    "on_off_ratio": (float, "ratio", 1.1, 1e4, 10.0, NEUROSIM + ": on/off 10"),
    "read_v": (float, "V", 0.01, 5, 0.5, NEUROSIM + ": 0.5 V read"),
    "read_ns": (float, "ns", 0.1, 1e4, 10.0, NEUROSIM + ": 10 ns read pulse"),
    "write_v": (float, "V", 0.1, 10, 4.0, NEUROSIM + ": 4 V write pulse"),
    "write_ns": (float, "ns", 1, 1e6, 50.0, NEUROSIM + ": 50 ns write pulse"),
    "write_pulses": (
        int,
        "pulses",
        1,
        1024,
        4,
        "assumption: 4 incremental "
        "pulses per cell update (NeuroSim derives them from the "
        "update's size)",
    ),
    "adc_bits": (int, "bits", 1, 16, 8, ISAAC + ": 8-bit ADC"),
    "adc_pj": (float, "pJ/conversion", 1e-3, 1e3, 1.67, ISAAC + ": 2 mW at 1.2 GS/s"),
    "adc_gsps": (float, "GS/s", 1e-3, 100, 1.2, ISAAC + ": 1.2 GS/s"),
    "cols_per_adc": (int, "columns", 1, 4096, 8, NEUROSIM + ": 8 columns share an ADC"),
    "dac_bits": (int, "bits", 1, 8, 1, ISAAC + ": 1-bit DAC, inputs bit-serial"),
    "dac_pj": (
        float,
        "pJ/row-bit",
        1e-4,
        10,
        0.0039,
        ISAAC + ": 1-bit DAC, "
        "4 mW for 8 x 128 x 8 DACs at 1.2 GHz (about 3.9 fJ per row-bit)",
    ),
    "buffer_pj_per_256b": (
        float,
        "pJ",
        1e-3,
        1e4,
        20.45,
        ISAAC + ": eDRAM, 256-bit access",
    ),
    "shift_add_pj": (float, "pJ", 1e-4, 10, 0.021, ISAAC + ": shift-and-add"),
    "add16_pj": (float, "pJ", 1e-4, 10, 0.05 * 32 / 45, HOROWITZ32 + ": 16-bit add"),
    "mult16_pj": (
        float,
        "pJ",
        1e-4,
        100,
        0.8 * 32 / 45,
        HOROWITZ32 + ": 16 x 16 multiply (3.1 pJ x 16 x 16 / 32^2)",
    ),
    "digital_lanes": (
        int,
        "ops/cycle",
        1,
        1 << 20,
        128,
        "assumption: 128 digital "
        "lanes per layer (one per crossbar column), for neuron, "
        "memory and gradient updates",
    ),
    "clock_mhz": (float, "MHz", 1, 1e4, 1200.0, ISAAC + ": 1.2 GHz cycle"),
    "error_bits": (int, "bits", 1, 32, 8, "assumption: 8-bit errors, fed bit-serially"),
    "state_bits": (
        int,
        "bits",
        1,
        64,
        16,
        "assumption: 16-bit membrane and memory kept for the backward",
    ),
    "replication": (
        int,
        "copies",
        1,
        1024,
        1,
        "one rule for both designs: every "
        "layer's arrays replicated this many times (PipeLayer's "
        "weight replication)",
    ),
}


@dataclass
class TrainingHardware:
    """The training accelerator (defaults: the sourced figures of
    :data:`FIELDS`). Read a value as an attribute (``hw.crossbar_rows``).

    Parameters
    ----------
    params : dict
        ``{field: Param}``; every field of :data:`FIELDS`, no other.
    name : str
        A label for reports.
    """

    params: dict[str, Param] = field(default_factory=dict)
    name: str = "rram-neurosim"

    def __post_init__(self) -> None:
        full = {k: Param(v[4], v[1], v[5]) for k, v in FIELDS.items()}
        full.update(self.params)
        self.params = full
        self.validate()

    def __getattr__(self, name: str):
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name].value
        raise AttributeError(name)

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first field that is missing, of the
        wrong type, outside its range or without a source."""
        unknown = sorted(set(self.params) - set(FIELDS))
        if unknown:
            raise ValueError(f"training hardware: unknown fields {unknown}")
        for name, (kind, unit, lo, hi, _, _) in FIELDS.items():
            p = self.params.get(name)
            if not isinstance(p, Param):
                raise ValueError(f"training hardware: {name} is missing")
            v = p.value
            ok = (
                isinstance(v, Integral) and not isinstance(v, bool)
                if kind is int
                else isinstance(v, Real) and not isinstance(v, bool)
            )
            if not ok or (kind is float and not math.isfinite(float(v))):
                raise ValueError(
                    f"training hardware: {name} must be "
                    f"{'an integer' if kind is int else 'a finite number'} "
                    f"({unit}), got {v!r}"
                )
            if not lo <= v <= hi:
                raise ValueError(
                    f"training hardware: {name} must be in [{lo:g}, {hi:g}] {unit}, "
                    f"got {v!r}"
                )
            if not isinstance(p.source, str) or not p.source.strip():
                raise ValueError(f"training hardware: {name} has no source")

    # -- derived quantities --------------------------------------------------
    @property
    def cycle_ns(self) -> float:
        return 1e3 / self.clock_mhz

    @property
    def slices(self) -> int:
        """Cells (columns) per weight: bit slices, times two if differential."""
        return math.ceil(self.weight_bits / self.cell_bits) * (
            2 if self.differential else 1
        )

    def tiles(self, rows: int, cols: int) -> int:
        """Crossbars holding a ``rows x cols`` weight matrix (one replica)."""
        return math.ceil(rows / self.crossbar_rows) * math.ceil(
            cols * self.slices / self.crossbar_cols
        )

    @property
    def cell_read_pj(self) -> float:
        """One cell read, ``V^2 / R x t`` at the mean of on and off conductance."""
        g = (1 + 1 / self.on_off_ratio) / 2 / (self.r_on_kohm * 1e3)
        return self.read_v**2 * g * self.read_ns * 1e-9 * 1e12

    @property
    def cell_write_pj(self) -> float:
        """One cell update: ``V_w^2 / R x t_w x pulses`` (R_on: the worst case)."""
        return (
            self.write_v**2
            / (self.r_on_kohm * 1e3)
            * self.write_ns
            * 1e-9
            * self.write_pulses
            * 1e12
        )

    @property
    def adc_ns(self) -> float:
        return 1.0 / self.adc_gsps

    def vmm_bit_ns(self) -> float:
        """One input bit through a crossbar: the read pulse, then the shared
        ADCs convert their columns one after the other."""
        return self.read_ns + self.cols_per_adc * self.adc_ns

    def row_write_ns(self) -> float:
        """Writing one row of a crossbar (its columns in parallel)."""
        return self.write_pulses * self.write_ns

    # -- files ---------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "params": {
                k: {"value": p.value, "unit": p.unit, "source": p.source}
                for k, p in self.params.items()
            },
        }

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "w") as fh:
            json.dump(self.to_dict(), fh, indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> TrainingHardware:
        if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
            raise ValueError(
                "training hardware: expected {'name': ..., 'params': {field: "
                "{'value', 'unit', 'source'}}}"
            )
        missing = sorted(set(FIELDS) - set(data["params"]))
        if missing:
            raise ValueError(f"training hardware: missing fields {missing}")
        params = {}
        for k, entry in data["params"].items():
            if not isinstance(entry, dict) or set(entry) != {"value", "unit", "source"}:
                raise ValueError(
                    f"training hardware: {k} needs exactly value, unit, source"
                )
            params[k] = Param(entry["value"], entry["unit"], entry["source"])
        name = data.get("name", "custom")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("training hardware: name must be a non-empty string")
        return cls(params, name)


def load_training_hardware(spec: str | os.PathLike | None = None) -> TrainingHardware:
    """The default description (None or ``'default'``) or a JSON file."""
    if spec is None or str(spec) == "default":
        return TrainingHardware()
    try:
        with open(spec) as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ValueError(f"training hardware: {spec} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(
            f"training hardware: {spec} is not readable JSON ({err})"
        ) from None
    return TrainingHardware.from_dict(data)
