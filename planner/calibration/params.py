"""The fitted parameters: per-family efficiencies, their textbook starting values and bounds.

Each hardware family has six parameters (the fields of planner/data/efficiency.yaml):
``compute``, ``memory``, ``comm`` (fractions of peak, bounded to [0.01, 1]) and
``layer_overhead_us``, ``collective_latency_us``, ``sequence_overhead_us`` (fixed times,
bounded to [0.01, 1000] microseconds: the file format wants them positive, and 0.01 us is
zero for every purpose). The fit works on their logarithms, starts from the textbook values
below and adds a weak prior that pulls each log-parameter towards its textbook value:
residual ``PRIOR_WEIGHT x ln(value / textbook) / ln(10)``, so a 10x move costs as much as
one point predicted 10 % off. With 2-14 points per family and six parameters, this settles
the parameters the points do not determine (e.g. communication on single-GPU A100 points)
instead of letting them wander; parameters the points do determine move freely.

Textbook values (sources in the ``TEXTBOOK_NOTES``) are the fit's start. A family without
calibration points (rubin, tpu, trainium, generic) does not keep its textbook values: those
over-predicted the measured points by 1.5x (Blackwell) to 3.4x (AMD) before the fit, which
would make unmeasured hardware look artificially cheap. It takes the fitted values of its
``PROXIES`` family instead (an assumption, stated in the efficiency file).
"""
from __future__ import annotations

import math

import numpy as np

from planner.costcore.efficiency import EfficiencyTable, parse_efficiency_table

KEYS = ("compute", "memory", "comm", "layer_overhead_us", "collective_latency_us",
        "sequence_overhead_us", "prefill_compute")
FRACTIONS = ("compute", "memory", "comm", "prefill_compute")
LOWER = {"compute": 0.01, "memory": 0.01, "comm": 0.01, "layer_overhead_us": 0.01,
         "collective_latency_us": 0.01, "sequence_overhead_us": 0.01, "prefill_compute": 0.01}
UPPER = {"compute": 1.0, "memory": 1.0, "comm": 1.0, "layer_overhead_us": 1000.0,
         "collective_latency_us": 1000.0, "sequence_overhead_us": 1000.0, "prefill_compute": 1.0}
PRIOR_WEIGHT = 0.1

# Shared and fixed parameters (what the points cannot identify family by family):
# * NVIDIA families (same CUDA kernels, GEMM and NCCL/DeepEP libraries) share compute,
#   prefill_compute and comm, fitted jointly: decode compute barely binds on any measured
#   point (they are memory- or communication-bound), prefill shows only through its share of
#   aggregated steps, and the scale-up comm fraction trades off against the collective
#   latency family by family. Memory, the fixed times and the per-sequence overhead stay
#   per family.
# * The decode scale-out rate and latency are fixed from DeepEP's microbenchmarks
#   (planner.costcore.efficiency.DEEPEP_*): one calibration point crosses domains.
NVIDIA = ("ampere", "hopper", "blackwell", "rubin")
SHARED_KEYS = ("compute", "prefill_compute", "comm")

# Pre-calibration ("textbook") values; sequence_overhead_us is our assumption [A] for all.
TEXTBOOK: dict[str, dict[str, float]] = {
    "ampere":    dict(compute=0.60, memory=0.85, comm=0.60, layer_overhead_us=30, collective_latency_us=12, sequence_overhead_us=10, prefill_compute=0.60),
    "hopper":    dict(compute=0.60, memory=0.85, comm=0.60, layer_overhead_us=25, collective_latency_us=10, sequence_overhead_us=10, prefill_compute=0.60),
    "blackwell": dict(compute=0.60, memory=0.80, comm=0.60, layer_overhead_us=20, collective_latency_us=8, sequence_overhead_us=10, prefill_compute=0.60),
    "rubin":     dict(compute=0.50, memory=0.75, comm=0.60, layer_overhead_us=20, collective_latency_us=8, sequence_overhead_us=10, prefill_compute=0.50),
    "tpu":       dict(compute=0.55, memory=0.80, comm=0.50, layer_overhead_us=30, collective_latency_us=10, sequence_overhead_us=10, prefill_compute=0.55),
    "trainium":  dict(compute=0.45, memory=0.70, comm=0.50, layer_overhead_us=40, collective_latency_us=15, sequence_overhead_us=10, prefill_compute=0.45),
    "amd":       dict(compute=0.45, memory=0.70, comm=0.50, layer_overhead_us=40, collective_latency_us=15, sequence_overhead_us=10, prefill_compute=0.45),
    "generic":   dict(compute=0.50, memory=0.75, comm=0.50, layer_overhead_us=30, collective_latency_us=15, sequence_overhead_us=10, prefill_compute=0.50),
}
TEXTBOOK_NOTES = {
    "ampere": "[P][V][N]",
    "hopper": "[D][C][N]",
    "blackwell": "[D][N]; HBM3e fraction as Hopper less a maturity margin [S]",
    "rubin": "[S] unreleased software",
    "tpu": "[P] (TPU v4 figures); torus all-to-all shares links [S]",
    "trainium": "[S]",
    "amd": "[S]",
    "generic": "middle of the above",
}


# Unmeasured family -> the measured family whose fitted values it takes, and why (assumption).
PROXIES: dict[str, tuple[str, str]] = {
    "rubin": ("blackwell", "same CUDA/TensorRT-LLM/NVLink stack as its predecessor"),
    "tpu": ("blackwell", "a mature serving stack (XLA/JAX) on a comparable HBM3e generation"),
    "trainium": ("hopper", "no measurement; the AMD fit reflects ROCm's own maturity, so the "
                 "most measured stack stands in"),
    "generic": ("hopper", "the most measured mainstream stack"),
}


def with_proxies(families: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """``families`` plus every unmeasured family copied from its fitted proxy."""
    out = {k: dict(v) for k, v in families.items()}
    for name, (proxy, _) in PROXIES.items():
        if name not in out and proxy in families:
            out[name] = dict(families[proxy])
    return out


def to_vector(values: dict[str, float]) -> np.ndarray:
    """Log-parameters of one family, in ``KEYS`` order."""
    return np.log(np.array([float(values[k]) for k in KEYS]))


def from_vector(x: np.ndarray) -> dict[str, float]:
    return {k: float(v) for k, v in zip(KEYS, np.exp(x))}


def group_of(family: str) -> str:
    """The fit group of a family: ``nvidia`` for the NVIDIA families, else the family."""
    return "nvidia" if family in NVIDIA else family


def bounds(keys=KEYS) -> tuple[np.ndarray, np.ndarray]:
    return (np.log(np.array([LOWER[k] for k in keys])),
            np.log(np.array([UPPER[k] for k in keys])))


def at_bound(values: dict[str, float], rel: float = 0.01) -> list[str]:
    """Keys of fitted ``values`` within ``rel`` of their lower or upper bound."""
    return [k for k in KEYS if k in values and (values[k] <= LOWER[k] * (1 + rel)
                                                 or values[k] >= UPPER[k] * (1 - rel))]


def prior_residuals(x: np.ndarray, x0: np.ndarray) -> np.ndarray:
    return PRIOR_WEIGHT * (x - x0) / math.log(10.0)


def rounded(values: dict[str, float]) -> dict[str, float]:
    """Values as written to the file: fractions to 3 decimals, times to 0.01 us (>= 0.01)."""
    out = {}
    for k in KEYS:
        v = values[k]
        out[k] = round(min(max(v, LOWER[k]), UPPER[k]), 3 if k in FRACTIONS else 2)
        out[k] = max(out[k], LOWER[k])
    return out


def table_from_families(families: dict[str, dict[str, float]], version: int = 0, date: str = "",
                        fitted_on=()) -> EfficiencyTable:
    """An :class:`EfficiencyTable` from {family: {KEYS...}}; missing families take their
    proxy's values when it is given, else the textbook values."""
    merged = {name: dict(TEXTBOOK[name]) for name in TEXTBOOK}
    merged.update(with_proxies(families))
    return parse_efficiency_table({"version": version, "date": date, "fitted_on": list(fitted_on),
                                   "families": merged}, "calibration")
