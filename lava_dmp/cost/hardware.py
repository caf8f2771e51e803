"""Hardware description of the near-memory DMP accelerator, with its energy table.

Every number carries its source. Per-operation energies come from Horowitz
(ISSCC 2014, 45 nm, 0.9 V) and are scaled to the target node by

    s = (node / 45 nm) * (vdd / 0.9 V)^2

(switched capacitance shrinks about linearly with the feature size, dynamic
energy goes with C V^2). For 22 nm at 0.8 V, s = 0.386. This ignores the
worse wire and leakage scaling of recent nodes, so absolute energies are
optimistic; ratios between designs built from the same table are not
affected.

Width rules (fitted to Horowitz's own points, stated so the reader can check):
an adder's energy is linear in its width (0.1 pJ at 32 bit gives 0.025 pJ at
8 bit against the quoted 0.03 pJ), a multiplier's goes with the product of
its operand widths (3.1 pJ at 32x32 gives 0.19 pJ at 8x8 against 0.2 pJ),
an SRAM read of 64 bits goes with the square root of the capacity
(10 pJ at 8 KB, 20 pJ at 32 KB; predicts 113 pJ at 1 MB against 100 pJ),
never below the 8 KB figure.
A register (flip-flop) access costs one 16-bit MAC per 16-bit word, the
relative cost of register-file access against a MAC in Eyeriss (Chen et al.,
ISCA 2016; Sze et al., Proc. IEEE 2017, Fig. 23).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields

__all__ = ["EnergyEntry", "HardwareSpec", "load_hardware", "preset"]

HOROWITZ = "Horowitz, 'Computing's energy problem', ISSCC 2014, 45 nm, 0.9 V"


@dataclass(frozen=True)
class EnergyEntry:
    """One sourced number: a value and where it comes from."""

    value: float
    unit: str
    source: str


def _default_energy() -> dict[str, EnergyEntry]:
    return {
        "add_32b": EnergyEntry(0.1, "pJ", HOROWITZ + ", 32-bit integer add"),
        "mult_32b": EnergyEntry(3.1, "pJ", HOROWITZ + ", 32-bit integer multiply"),
        "sram_read_64b_8kib": EnergyEntry(
            10.0, "pJ", HOROWITZ + ", 64-bit read of an 8 KB SRAM"
        ),
        "sram_write_over_read": EnergyEntry(
            1.0,
            "ratio",
            "assumption: a write costs as much as a read (Horowitz quotes reads)",
        ),
        "reg_per_mac16": EnergyEntry(
            1.0,
            "ratio",
            "Chen et al., Eyeriss, ISCA 2016: register-file access ~ 1x MAC",
        ),
    }


@dataclass
class HardwareSpec:
    """A near-memory DMP core (defaults: the paper's 128-neuron design).

    Attributes
    ----------
    name : str
        Label used in reports.
    neurons_per_core : int
        Neuron slots of the core (layers wider than this are tiled).
    memory_order : int
        Largest memory order ``d`` the memory-update unit holds.
    fused_neurons : int
        Neurons processed per cycle by the fused datapath (public model: 4).
    weight_bits, coef_bits, v_bits, m_bits, acc_bits : int
        Widths of synaptic weights, of the memory coefficients (P, nu, Abar,
        Bbar), of the membrane, the memory and the accumulators. The public
        model uses 8 / 16 / 16 / 16 / 24; ``v_bits`` defaults to 24 here
        because lava-dmp's fixed-point contract keeps a 24-bit membrane.
    weight_sram_kib, coef_sram_kib, state_sram_kib : float
        SRAM capacities: the synaptic weights (W_f, w_x, readout), the memory
        coefficients (P, nu, Abar, Bbar) and the neuron states. Defaults hold
        the SHD network 140-128-128-20 with d = 10, rounded up to powers of
        two: 37 KiB of 8-bit weights (64 KiB), 5.9 KiB of 16-bit
        coefficients (8 KiB), 276 membranes of 24 bits (1 KiB).
    clock_mhz : float
        Core clock. Not published for the DMP core: 100 MHz is an assumption
        (typical of 22 nm low-power digital neuromorphic cores); throughput
        scales linearly with it and every design compared here uses the same.
    node_nm, vdd : float
        Target technology (GF 22FDX in the paper) and supply.
    sram_um2_per_bit : float
        SRAM macro area per bit: the GF 22FDX high-density bitcell is
        0.110 um^2 (foundry figure); a macro with periphery takes about twice
        the bitcell area (assumption), so 0.22 um^2.
    logic_um2_per_gate : float
        Area of one NAND2-equivalent gate in 22 nm (assumption: 0.20 um^2 at
        about 70 % placement density).
    energy : dict
        Sourced 45 nm energy table (see the module docstring).
    """

    name: str = "dmp-128"
    neurons_per_core: int = 128
    memory_order: int = 10
    fused_neurons: int = 4
    weight_bits: int = 8
    coef_bits: int = 16
    v_bits: int = 24
    m_bits: int = 16
    acc_bits: int = 24
    weight_sram_kib: float = 64.0
    coef_sram_kib: float = 8.0
    state_sram_kib: float = 1.0
    clock_mhz: float = 100.0
    node_nm: float = 22.0
    vdd: float = 0.8
    sram_um2_per_bit: float = 0.22
    logic_um2_per_gate: float = 0.20
    energy: dict[str, EnergyEntry] = field(default_factory=_default_energy)

    def __post_init__(self) -> None:
        self.energy = {
            k: v if isinstance(v, EnergyEntry) else EnergyEntry(**v)
            for k, v in self.energy.items()
        }
        self.validate()

    # -- validation and files ------------------------------------------------
    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad entry."""
        ints = (
            "neurons_per_core",
            "memory_order",
            "fused_neurons",
            "weight_bits",
            "coef_bits",
            "v_bits",
            "m_bits",
            "acc_bits",
        )
        for name in ints:
            val = getattr(self, name)
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise ValueError(
                    f"hardware: {name} must be an integer >= 1, got {val!r}"
                )
        for name in (
            "weight_sram_kib",
            "coef_sram_kib",
            "state_sram_kib",
            "clock_mhz",
            "node_nm",
            "vdd",
            "sram_um2_per_bit",
            "logic_um2_per_gate",
        ):
            val = getattr(self, name)
            if not isinstance(val, (int, float)) or not math.isfinite(val) or val <= 0:
                raise ValueError(
                    f"hardware: {name} must be a finite number > 0, got {val!r}"
                )
        missing = set(_default_energy()) - set(self.energy)
        if missing:
            raise ValueError(
                f"hardware: energy table lacks {sorted(missing)} "
                f"(expected entries {sorted(_default_energy())})"
            )
        for key, entry in self.energy.items():
            if not math.isfinite(entry.value) or entry.value <= 0:
                raise ValueError(
                    f"hardware: energy[{key!r}] must be > 0, got {entry.value!r}"
                )
            if not entry.source.strip():
                raise ValueError(f"hardware: energy[{key!r}] has no source")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["energy"] = {k: asdict(v) for k, v in self.energy.items()}
        return out

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> HardwareSpec:
        if not isinstance(data, dict):
            raise ValueError("hardware: expected a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"hardware: unknown entries {sorted(unknown)}; known: {sorted(known)}"
            )
        missing = known - set(data)
        if missing:
            raise ValueError(f"hardware: missing entries {sorted(missing)}")
        energy = data["energy"]
        if not isinstance(energy, dict):
            raise ValueError("hardware: energy must be an object")
        for key, entry in energy.items():
            if not isinstance(entry, dict) or set(entry) != {"value", "unit", "source"}:
                raise ValueError(
                    f"hardware: energy[{key!r}] needs exactly value, unit, source"
                )
        return cls(**data)

    # -- derived energies (pJ at the target node) -----------------------------
    @property
    def scale(self) -> float:
        """Energy scaling from Horowitz's 45 nm / 0.9 V to this node."""
        return (self.node_nm / 45.0) * (self.vdd / 0.9) ** 2

    def add_pj(self, bits: int) -> float:
        return self.energy["add_32b"].value * bits / 32 * self.scale

    def mult_pj(self, a_bits: int, b_bits: int) -> float:
        return self.energy["mult_32b"].value * a_bits * b_bits / 1024 * self.scale

    def sram_bit_pj(self, kib: float, write: bool = False) -> float:
        """Energy per bit of one access to an SRAM of ``kib`` KiB."""
        # no extrapolation below Horowitz's smallest array (8 KB): periphery
        # and sense amplifiers dominate small macros
        size = max(kib, 8.0)
        read = (
            self.energy["sram_read_64b_8kib"].value / 64 * math.sqrt(size / 8.0)
        ) * self.scale
        return read * (self.energy["sram_write_over_read"].value if write else 1.0)

    def reg_bit_pj(self) -> float:
        mac16 = self.mult_pj(16, 16) + self.add_pj(16)
        return self.energy["reg_per_mac16"].value * mac16 / 16


def preset(name: str) -> HardwareSpec:
    """``'default'``: the 128-neuron design; ``'double'``: 256 neurons.

    The doubled design keeps the per-neuron datapath: twice the fused lanes
    (8), twice the state SRAM and the SRAM that a 140-256-256-20 network
    needs (104 KiB of weights, so 128 KiB; 11.4 KiB of coefficients, so
    16 KiB).
    """
    if name == "default":
        return HardwareSpec()
    if name == "double":
        return HardwareSpec(
            name="dmp-256",
            neurons_per_core=256,
            fused_neurons=8,
            weight_sram_kib=128.0,
            coef_sram_kib=16.0,
            state_sram_kib=2.0,
        )
    raise ValueError(f"hardware: unknown preset {name!r} (default, double)")


def load_hardware(spec: str | os.PathLike) -> HardwareSpec:
    """A preset name or a JSON file written by :meth:`HardwareSpec.save`."""
    if str(spec) in ("default", "double"):
        return preset(str(spec))
    try:
        with open(spec) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ValueError(
            f"hardware: {spec!r} is neither a preset (default, double) nor a file"
        ) from None
    except json.JSONDecodeError as err:
        raise ValueError(f"hardware: {spec} is not valid JSON ({err})") from None
    return HardwareSpec.from_dict(data)
