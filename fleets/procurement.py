"""Purchase slots: which chips of a system may be ordered in which quarter, and when they serve.

Quarters are integer indices (consecutive quarters differ by 1); this package knows no YAML.
"""
from __future__ import annotations

import numpy as np

from common.quarters import step_values


def purchase_slots(horizon: np.ndarray, max_points: np.ndarray, max_chips: np.ndarray,
                   min_points: np.ndarray, min_chips: np.ndarray, lead_quarters: int,
                   available_from: int) -> dict[str, np.ndarray]:
    """Order quarters of the horizon whose chips serve inside it, from the system's first
    quarter on, with their allocation > 0: (order quarter, in-service quarter, min, max).

    Allocation and contracts are step functions of the order quarter (0 before their first
    point); a contract is capped at the allocation.
    """
    horizon = np.asarray(horizon, dtype=np.int64)
    order = horizon[horizon + lead_quarters <= horizon.max()] if len(horizon) else horizon
    service = order + lead_quarters
    hi = step_values(max_points, max_chips, order)
    lo = np.minimum(step_values(min_points, min_chips, order), hi)
    keep = (hi > 0) & (service >= available_from)
    return {"ordered": order[keep], "in_service": service[keep], "min_chips": lo[keep],
            "max_chips": hi[keep]}
