"""The scenario's quarters and its quarter-by-quarter serving-efficiency curve."""
from __future__ import annotations

import numpy as np

from common.quarters import Quarter, quarter_indices, quarter_range


def horizon_quarters(scenario) -> list[Quarter]:
    """Every quarter from the horizon's start to its end, inclusive."""
    return quarter_range(scenario.horizon.start, scenario.horizon.end)


def serving_efficiency(scenario, quarters: list[Quarter]) -> np.ndarray:
    """Throughput multiplier per quarter: linear between given points, flat outside, 1 if none."""
    points = scenario.economics.serving_efficiency
    if not points:
        return np.ones(len(quarters))
    order = sorted(points)
    return np.interp(quarter_indices(quarters), quarter_indices(order), [points[p] for p in order])
