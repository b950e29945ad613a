"""Installed and available chips per quarter from deliveries, lifetimes and reservations.

Quarters are integer indices (consecutive quarters differ by 1); this package knows no YAML.
"""
from __future__ import annotations

import numpy as np


def installed_chips(delivery_quarters: np.ndarray, delivery_chips: np.ndarray,
                    life_quarters: int, quarters: np.ndarray) -> np.ndarray:
    """Chips in service at each quarter: a delivery in quarter d serves d .. d+life-1."""
    d = np.asarray(delivery_quarters, dtype=np.int64)[:, None]
    q = np.asarray(quarters, dtype=np.int64)[None, :]
    in_service = (q >= d) & (q < d + life_quarters)
    return (np.asarray(delivery_chips, dtype=float)[:, None] * in_service).sum(axis=0)


def available_chips(installed: np.ndarray, reserved_fraction: np.ndarray) -> np.ndarray:
    """Chips left for inference after training/RL reservations."""
    return installed * (1.0 - reserved_fraction)
