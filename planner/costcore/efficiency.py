"""Per-hardware-family efficiency defaults, read from ``planner/data/efficiency.yaml``.

Each family (hopper, blackwell, ...) carries five numbers that turn peak rates into achieved
ones: ``compute``, ``memory``, ``comm`` (fractions of peak FLOP/s, HBM bandwidth and link
bandwidth, in (0, 1]), ``layer_overhead_us`` and ``collective_latency_us`` (fixed times,
microseconds), plus optional ones: ``sequence_overhead_us`` (time per sequence per decode
step, >= 0, default 0), ``prefill_compute`` (fraction of peak FLOP/s in prefill, default
``compute``), ``scaleout_comm`` and ``scaleout_latency_us`` (decode scale-out rate as a
fraction of the NIC line rate, and latency per scale-out collective; defaults
``DEEPEP_SCALEOUT_COMM`` and ``DEEPEP_SCALEOUT_LATENCY_US``, see physics.py). The
calibration (``planner calibrate --fit``) writes the file in this format, with an optional
``calibration`` mapping (the fit's errors and per-point predictions) that the core ignores.
A system's scenario ``efficiency: {compute, memory}`` overrides the first two
(see :func:`planner.costcore.arrays.system_arrays`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Optional, Union

import yaml

DEFAULT_FAMILY = "generic"
_FRACTIONS = ("compute", "memory", "comm")
_TIMES_US = ("layer_overhead_us", "collective_latency_us")
_OPTIONAL_US = ("sequence_overhead_us",)
_OPTIONAL = ("prefill_compute", "scaleout_comm", "scaleout_latency_us")
# DeepEP V1 low-latency (decode) kernels, H800 + CX7 400 Gb/s (50 GB/s): 39-40 GB/s at EP
# 128-256 (shared reference communication.md), 0.78 of line rate. Their times (77-194 us per
# dispatch of 128 tokens) are bytes / rate to within ~20 %, which leaves an intercept of at
# most ~15-25 us per collective: 20 us [A].
DEEPEP_SCALEOUT_COMM = 0.78
DEEPEP_SCALEOUT_LATENCY_US = 20.0


@dataclass(frozen=True)
class FamilyEfficiency:
    """Achieved fractions of peak and fixed overheads of one hardware family."""

    compute: float
    memory: float
    comm: float
    layer_overhead_s: float
    collective_latency_s: float
    sequence_overhead_s: float = 0.0
    prefill_compute: Optional[float] = None  # None: compute
    scaleout_comm: float = DEEPEP_SCALEOUT_COMM
    scaleout_latency_s: float = DEEPEP_SCALEOUT_LATENCY_US * 1e-6

    @property
    def prefill_compute_eff(self) -> float:
        return self.compute if self.prefill_compute is None else self.prefill_compute


@dataclass(frozen=True)
class EfficiencyTable:
    """The parsed efficiency file: provenance plus one :class:`FamilyEfficiency` per family."""

    version: int
    date: str
    fitted_on: tuple[str, ...]
    families: dict[str, FamilyEfficiency]
    calibration: dict = field(default_factory=dict)  # the fit's report (planner calibrate)

    def family(self, name: Optional[str]) -> FamilyEfficiency:
        """The entry for ``name`` (``None`` means the generic family); unknown names raise."""
        key = DEFAULT_FAMILY if name is None else name
        try:
            return self.families[key]
        except KeyError:
            known = ", ".join(sorted(self.families))
            raise ValueError(f"unknown efficiency family '{key}'; known: {known}") from None


_VENDOR_FAMILY = {"amd": "amd", "google": "tpu", "aws": "trainium", "amazon": "trainium"}
RUBIN_MIN_HBM_TBPS = 12.0  # Rubin HBM4 ~13-20 TB/s vs Blackwell Ultra's 8 (hardware.md)
AMPERE_MAX_HBM_TBPS = 2.5  # A100 2.0 TB/s vs H100 3.35 (hardware.md)


def infer_family(system) -> str:
    """A schema system's efficiency family: its own ``family``, else inferred, never generic.

    Rule: vendor AMD -> amd, Google -> tpu, AWS/Amazon -> trainium; otherwise (NVIDIA or
    unnamed) from the chip: HBM >= 12 TB/s -> rubin; an FP4 rate -> blackwell (Hopper and
    Ampere have no FP4 tensor cores); HBM < 2.5 TB/s -> ampere; else hopper.
    """
    if system.family is not None:
        return system.family
    vendor = (system.vendor or "").strip().lower()
    if vendor in _VENDOR_FAMILY:
        return _VENDOR_FAMILY[vendor]
    chip = system.chip
    if chip.hbm_tbps >= RUBIN_MIN_HBM_TBPS:
        return "rubin"
    if chip.fp4_tflops is not None:
        return "blackwell"
    return "ampere" if chip.hbm_tbps < AMPERE_MAX_HBM_TBPS else "hopper"


def _number(entry: dict, key: str, where: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}.{key}: expected a finite number, got {value!r}")
    return float(value)


def parse_efficiency_table(data: dict, where: str = "efficiency") -> EfficiencyTable:
    """Validate the YAML mapping and build the table; errors name the offending key."""
    if not isinstance(data, dict) or not isinstance(data.get("families"), dict):
        raise ValueError(f"{where}: expected a mapping with a `families` mapping")
    unknown = set(data) - {"version", "date", "fitted_on", "families", "calibration"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    families: dict[str, FamilyEfficiency] = {}
    for name, entry in data["families"].items():
        path = f"{where}.families.{name}"
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: expected a mapping")
        extra = set(entry) - set(_FRACTIONS) - set(_TIMES_US) - set(_OPTIONAL_US) - set(_OPTIONAL)
        if extra:
            raise ValueError(f"{path}: unknown keys {sorted(extra)}")
        values = {key: _number(entry, key, path) for key in _FRACTIONS + _TIMES_US}
        for key in _FRACTIONS:
            if not 0 < values[key] <= 1:
                raise ValueError(f"{path}.{key}: must be in (0, 1], got {values[key]}")
        for key in _TIMES_US:
            if values[key] <= 0:
                raise ValueError(f"{path}.{key}: must be positive, got {values[key]}")
        for key in _OPTIONAL_US:
            values[key] = _number(entry, key, path) if key in entry else 0.0
            if values[key] < 0:
                raise ValueError(f"{path}.{key}: must be >= 0, got {values[key]}")
        optional = {key: _number(entry, key, path) for key in _OPTIONAL if key in entry}
        for key in ("prefill_compute", "scaleout_comm"):
            if key in optional and not 0 < optional[key] <= 1:
                raise ValueError(f"{path}.{key}: must be in (0, 1], got {optional[key]}")
        if optional.get("scaleout_latency_us", 1.0) <= 0:
            raise ValueError(f"{path}.scaleout_latency_us: must be positive")
        families[str(name)] = FamilyEfficiency(
            compute=values["compute"], memory=values["memory"], comm=values["comm"],
            layer_overhead_s=values["layer_overhead_us"] * 1e-6,
            collective_latency_s=values["collective_latency_us"] * 1e-6,
            sequence_overhead_s=values["sequence_overhead_us"] * 1e-6,
            prefill_compute=optional.get("prefill_compute"),
            scaleout_comm=optional.get("scaleout_comm", DEEPEP_SCALEOUT_COMM),
            scaleout_latency_s=optional.get("scaleout_latency_us",
                                            DEEPEP_SCALEOUT_LATENCY_US) * 1e-6)
    calibration = data.get("calibration") or {}
    if not isinstance(calibration, dict):
        raise ValueError(f"{where}.calibration: expected a mapping")
    if DEFAULT_FAMILY not in families:
        raise ValueError(f"{where}.families: the '{DEFAULT_FAMILY}' family is required")
    return EfficiencyTable(version=int(data.get("version", 0)), date=str(data.get("date", "")),
                           fitted_on=tuple(str(x) for x in data.get("fitted_on") or ()),
                           families=families, calibration=calibration)


_SHIPPED: dict[tuple, EfficiencyTable] = {}


def _load(text: str):
    """``yaml.safe_load`` with libyaml's parser when installed: the same data, ~10x faster
    (the shipped table: 40 -> 4 ms, read once by every command)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_efficiency_table(path: Union[str, Path, None] = None) -> EfficiencyTable:
    """Read an efficiency file; ``None`` reads the one shipped in ``planner/data`` (parsed
    once per version of the file: validation and every cost-core call use it)."""
    if path is not None:
        return parse_efficiency_table(_load(Path(path).read_text("utf-8")), str(path))
    shipped = resources.files("planner").joinpath("data/efficiency.yaml")
    try:
        stat = Path(str(shipped)).stat()
        key = (str(shipped), stat.st_mtime_ns, stat.st_size)
    except OSError:  # not a plain file (zipped install): no cache
        key = None
    if key is None or key not in _SHIPPED:
        table = parse_efficiency_table(_load(shipped.read_text("utf-8")),
                                       "planner/data/efficiency.yaml")
        if key is None:
            return table
        _SHIPPED.clear()
        _SHIPPED[key] = table
    return _SHIPPED[key]
