"""Parameter values of sample i: random draws seeded by (seed, i), or grid point i.

Each random sample has its own generator, ``numpy.random.default_rng([seed, i])``, and draws
its inputs in the order they are listed, so a sample's values depend only on the seed, its
index and the spec: never on the executor, the number of workers or how samples are chunked.
"""
from __future__ import annotations

import numpy as np

from planner.sweep.spec import SweepSpec


def draw(dist: tuple[str, tuple[float, ...]], rng: np.random.Generator) -> float:
    """One draw of ``(kind, parameters)``; degenerate ranges (low == high, sd 0) are exact."""
    kind, p = dist
    if kind == "normal":
        return float(p[0] + p[1] * rng.standard_normal())
    if kind == "lognormal":
        return float(p[0] * np.exp(p[1] * rng.standard_normal()))
    if kind == "uniform":
        return float(p[0] + (p[1] - p[0]) * rng.random())
    if kind == "triangular":
        low, mode, high = p
        u = rng.random()
        if high == low:
            return float(low)
        cut = (mode - low) / (high - low)
        if u < cut:
            return float(low + np.sqrt(u * (high - low) * (mode - low)))
        return float(high - np.sqrt((1 - u) * (high - low) * (high - mode)))
    if kind == "uniform_int":
        return float(rng.integers(int(p[0]), int(p[1]), endpoint=True))
    if kind == "choice":
        return float(p[int(rng.integers(len(p)))])
    raise ValueError(f"unknown distribution '{kind}'")


def sample_values(spec: SweepSpec, i: int) -> np.ndarray:
    """The value of every input in sample ``i`` (0-based), in input order."""
    if spec.mode == "grid":
        out = np.empty(len(spec.inputs))
        rest = i
        for j in range(len(spec.inputs) - 1, -1, -1):  # last input varies fastest
            values = spec.inputs[j].values
            rest, pos = divmod(rest, len(values))
            out[j] = values[pos]
        return out
    rng = np.random.default_rng([spec.seed, i])
    return np.array([draw(inp.dist, rng) for inp in spec.inputs], dtype=float)
