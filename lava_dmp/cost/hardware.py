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
from numbers import Integral, Real

__all__ = [
    "EnergyEntry",
    "HardwareSpec",
    "load_hardware",
    "preset",
    "reserved_names",
]

HOROWITZ = "Horowitz, 'Computing's energy problem', ISSCC 2014, 45 nm, 0.9 V"


@dataclass(frozen=True)
class EnergyEntry:
    """One sourced number: a value and where it comes from."""

    value: float
    unit: str
    source: str


#: Names :func:`load_hardware` takes as presets instead of file names.
PRESETS = ("default", "double")

#: Suffix of the designs that ``lava-dmp cost --hardware fit`` enlarges.
FIT_SUFFIX = "-fit"

#: Largest SRAM of any field, in KiB (1 GiB): beyond the biggest on-chip SRAM
#: of a near-memory core by orders of magnitude, and ``fit_hardware`` sizes
#: networks of thousands of neurons per layer well below it.
MAX_SRAM_KIB = float(1 << 20)

#: Integer fields: inclusive ``(low, high)``; ``fused_neurons`` is further
#: bounded by ``neurons_per_core``.
INT_RANGES: dict[str, tuple[int, int]] = {
    "neurons_per_core": (1, 65536),
    "memory_order": (1, 1024),
    "fused_neurons": (1, 65536),
    "weight_bits": (1, 64),
    "coef_bits": (1, 64),
    "v_bits": (1, 64),
    "m_bits": (1, 64),
    "acc_bits": (1, 64),
}

#: Real fields: ``(low, high, unit)``, inclusive except a low of 0 (> 0).
REAL_RANGES: dict[str, tuple[float, float, str]] = {
    "weight_sram_kib": (0.0, MAX_SRAM_KIB, "KiB"),
    "coef_sram_kib": (0.0, MAX_SRAM_KIB, "KiB"),
    "state_sram_kib": (0.0, MAX_SRAM_KIB, "KiB"),
    "clock_mhz": (0.001, 10000.0, "MHz"),
    "node_nm": (1.0, 500.0, "nm"),
    "vdd": (0.1, 5.0, "V"),
    "sram_um2_per_bit": (0.001, 1000.0, "um2"),
    "logic_um2_per_gate": (0.001, 1000.0, "um2"),
}

#: Unit of each energy entry: the derived energies read the values in it.
ENERGY_UNITS = {
    "add_32b": "pJ",
    "mult_32b": "pJ",
    "sram_read_64b_8kib": "pJ",
    "sram_write_over_read": "ratio",
    "reg_per_mac16": "ratio",
}

#: Largest energy value per unit: 10 nJ per 45 nm operation (Horowitz's
#: 64-bit DRAM access is 1.3 to 2.6 nJ) and a factor 100 for ratios.
ENERGY_MAX = {"pJ": 1e4, "ratio": 100.0}

#: Largest hardware file read (a saved spec takes about 2 KB).
MAX_FILE_BYTES = 1 << 20


def _got(value: object) -> str:
    text = repr(value)
    if len(text) > 60:  # a pasted table or a 400-digit integer
        text = text[:57] + "..."
    return f"got {text} ({type(value).__name__})"


def _num(x: float) -> str:
    """A bound as written in the docstring (``1048576``, ``0.001``)."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _finite_real(value: object) -> bool:
    """A real number (not a bool) that converts to a finite float."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond the float range
        return False


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

    Every field is checked on construction (:meth:`validate`) against a
    plausible range, wide enough for any digital design of the last decades
    and for what ``fit_hardware`` derives from the presets:

    ===========================  ===========================================
    field                        accepted
    ===========================  ===========================================
    name                         non-empty printable text, <= 128 characters
    neurons_per_core             integer in [1, 65536]
    memory_order                 integer in [1, 1024]
    fused_neurons                integer in [1, neurons_per_core]
    weight_bits ... acc_bits     integer in [1, 64]
    weight/coef/state_sram_kib   number in (0, 1048576] KiB (1 GiB)
    clock_mhz                    number in [0.001, 10000] MHz (1 kHz..10 GHz)
    node_nm                      number in [1, 500] nm
    vdd                          number in [0.1, 5] V
    sram_um2_per_bit             number in [0.001, 1000] um2 (bitcells are
                                 0.02 um2 at 3 nm, tens of um2 at 500 nm)
    logic_um2_per_gate           number in [0.001, 1000] um2 (NAND2)
    energy                       exactly the entries of the default table,
                                 each a finite number in (0, 1e4] pJ or
                                 (0, 100] for a ratio, unit as in the
                                 default table, non-empty text source
    ===========================  ===========================================

    Integers must be integers (not ``16.0``, ``"16"`` or ``True``), numbers
    real numbers (not booleans or text). Files loaded by
    :func:`load_hardware` may not take a built-in design's name
    (:func:`reserved_names`) except for an unchanged copy of a preset.

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
        if not isinstance(self.energy, dict):
            raise ValueError(
                f"hardware: energy must be an object of entries, {_got(self.energy)}"
            )
        self.energy = {
            k: v if isinstance(v, EnergyEntry) else _energy_entry(k, v)
            for k, v in self.energy.items()
        }
        self.validate()
        # numpy scalars and JSON integers of real fields become plain numbers
        for name in INT_RANGES:
            setattr(self, name, int(getattr(self, name)))
        for name in REAL_RANGES:
            setattr(self, name, float(getattr(self, name)))

    # -- validation and files ------------------------------------------------
    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad entry and its accepted range.

        The ranges are those of the class docstring.
        """
        name = self.name
        if (
            not isinstance(name, str)
            or not name.strip()
            or len(name) > 128
            or not name.isprintable()
        ):
            raise ValueError(
                "hardware: name must be non-empty printable text of at most 128 "
                f"characters, {_got(name)}"
            )
        for key, (low, high) in INT_RANGES.items():
            if key == "fused_neurons":
                high = self.neurons_per_core
                note = " (neurons_per_core)"
            else:
                note = ""
            val = getattr(self, key)
            if (
                isinstance(val, bool)
                or not isinstance(val, Integral)
                or not low <= val <= high
            ):
                raise ValueError(
                    f"hardware: {key} must be an integer >= {low} and <= "
                    f"{high}{note}, {_got(val)}"
                )
        for key, (low, high, unit) in REAL_RANGES.items():
            val = getattr(self, key)
            ok = (
                _finite_real(val)
                and (val > low if low == 0 else val >= low)
                and val <= high
            )
            if not ok:
                accepted = (
                    f"a finite number > 0 and <= {_num(high)} {unit}"
                    if low == 0
                    else f"a number in [{_num(low)}, {_num(high)}] {unit}"
                )
                raise ValueError(f"hardware: {key} must be {accepted}, {_got(val)}")
        missing = set(ENERGY_UNITS) - set(self.energy)
        if missing:
            raise ValueError(
                f"hardware: energy table lacks {sorted(missing)} "
                f"(expected entries {sorted(ENERGY_UNITS)})"
            )
        unknown = set(self.energy) - set(ENERGY_UNITS)
        if unknown:
            raise ValueError(
                f"hardware: energy table has unknown entries "
                f"{sorted(map(str, unknown))} (expected entries "
                f"{sorted(ENERGY_UNITS)})"
            )
        for key, entry in self.energy.items():
            unit = ENERGY_UNITS[key]
            high = ENERGY_MAX[unit]
            val = entry.value
            if not _finite_real(val) or not 0 < val <= high:
                raise ValueError(
                    f"hardware: energy[{key!r}] must be > 0 and <= {_num(high)} "
                    f"{unit} (a finite number), {_got(val)}"
                )
            if entry.unit != unit:
                raise ValueError(
                    f"hardware: energy[{key!r}] unit must be {unit!r} (the value "
                    f"is read in {unit}), {_got(entry.unit)}"
                )
            if not isinstance(entry.source, str):
                raise ValueError(
                    f"hardware: energy[{key!r}] source must be text, "
                    f"{_got(entry.source)}"
                )
            if not entry.source.strip():
                raise ValueError(f"hardware: energy[{key!r}] has no source")

    def to_dict(self) -> dict:
        """The fields as plain JSON types (what :meth:`save` writes)."""
        out = asdict(self)
        out["energy"] = {k: asdict(v) for k, v in self.energy.items()}
        return out

    def save(self, path: str | os.PathLike) -> None:
        """Write the spec as JSON (read back by :func:`load_hardware`)."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> HardwareSpec:
        """A spec from user data (a parsed JSON file): every field present,
        none unknown, and no built-in design's name unless the data are an
        unchanged copy of that preset (see :func:`reserved_names`).

        Raises
        ------
        ValueError
            Starting with ``hardware:``, naming the field and what is accepted.
        """
        if not isinstance(data, dict):
            raise ValueError(f"hardware: expected a JSON object, {_got(data)}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"hardware: unknown entries {sorted(map(str, unknown))}; "
                f"known: {sorted(known)}"
            )
        missing = known - set(data)
        if missing:
            raise ValueError(f"hardware: missing entries {sorted(missing)}")
        spec = cls(**data)
        _check_not_reserved(spec)
        return spec

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


def _energy_entry(key: object, entry: object) -> EnergyEntry:
    if not isinstance(entry, dict) or set(entry) != {"value", "unit", "source"}:
        raise ValueError(
            f"hardware: energy[{key!r}] needs exactly value, unit, source, "
            f"{_got(entry)}"
        )
    return EnergyEntry(**entry)


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


def reserved_names() -> tuple[str, ...]:
    """Names of the built-in designs a cost comparison reports side by side.

    The presets' names, their ``-fit`` variants and every baseline's name: a
    user design under one of them would be merged with, or stand in for, the
    built-in design in the reports.
    """
    # baselines imports this module: import its names when asked
    from lava_dmp.cost.baselines import BASELINE_NAMES

    builtin = tuple(preset(p).name for p in PRESETS)
    return tuple(
        sorted(builtin + tuple(n + FIT_SUFFIX for n in builtin) + BASELINE_NAMES)
    )


def _check_not_reserved(spec: HardwareSpec) -> None:
    """Refuse a user spec named like a built-in design (case and surrounding
    spaces ignored), unless it is an unchanged copy of that preset."""
    wanted = spec.name.strip().casefold()
    reserved = reserved_names()
    if wanted not in {r.casefold() for r in reserved}:
        return
    if any(spec == preset(p) for p in PRESETS):
        return
    raise ValueError(
        f"hardware: name {spec.name!r} is reserved for a built-in design "
        f"(reserved: {', '.join(reserved)}); a file may use a preset's name only "
        f"for an unchanged copy of it: rename the design"
    )


class _DuplicateEntry(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateEntry(key)
        out[key] = value
    return out


def _read_json(path: str | os.PathLike) -> object:
    """The JSON value of a hardware file; every failure a ``ValueError``."""
    if os.path.isdir(path):
        raise ValueError(f"hardware: {path} is a directory, not a JSON file")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ValueError(
            f"hardware: {str(path)!r} is neither a preset "
            f"({', '.join(PRESETS)}) nor a file"
        ) from None
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        reason = getattr(err, "strerror", None) or err
        raise ValueError(f"hardware: {path!r} cannot be read ({reason})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(
            f"hardware: {path} is larger than {MAX_FILE_BYTES} bytes; a hardware "
            f"description is a small JSON object"
        )
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is harmless
    except UnicodeDecodeError as err:
        raise ValueError(
            f"hardware: {path} is not UTF-8 text (byte {err.start}: {err.reason})"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateEntry as err:
        raise ValueError(
            f"hardware: {path} gives {err.args[0]!r} twice in one object"
        ) from None
    except ValueError as err:  # JSONDecodeError, or an integer of > 4300 digits
        raise ValueError(f"hardware: {path} is not valid JSON ({err})") from None
    except RecursionError:
        raise ValueError(
            f"hardware: {path} is not valid JSON (nested too deeply)"
        ) from None


def load_hardware(spec: str | os.PathLike) -> HardwareSpec:
    """A preset name (``default``, ``double``) or a JSON file written by
    :meth:`HardwareSpec.save`.

    Raises
    ------
    ValueError
        Starting with ``hardware:``: an unreadable, non-UTF-8 or non-JSON
        file (named), or a field outside its range (named, with the file).
    """
    if not isinstance(spec, (str, os.PathLike)):
        raise ValueError(
            f"hardware: expected a preset name ({', '.join(PRESETS)}) or a JSON "
            f"file path, {_got(spec)}"
        )
    if str(spec) in PRESETS:
        return preset(str(spec))
    data = _read_json(spec)
    try:
        return HardwareSpec.from_dict(data)
    except ValueError as err:
        msg = str(err).removeprefix("hardware: ")
        raise ValueError(f"hardware: {spec}: {msg}") from None
