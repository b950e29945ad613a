"""Demand over time: token volumes interpolated between given points, prices per quarter.

Quarters are integer indices; this package knows no YAML.
"""
from __future__ import annotations

import numpy as np

HOURS_PER_DAY = 24.0


def interpolate_volume(point_quarters: np.ndarray, values: np.ndarray, quarters: np.ndarray,
                       growth_per_year: float = 0.0) -> np.ndarray:
    """Linear between points, zero before the first (the launch); after the last, the last
    value compounded at ``growth_per_year`` per year (flat when 0)."""
    order = np.argsort(point_quarters)
    points = np.asarray(point_quarters, dtype=float)[order]
    vals = np.asarray(values, dtype=float)[order]
    q = np.asarray(quarters, dtype=float)
    out = np.interp(q, points, vals)
    after = np.clip(q - points[-1], 0.0, None)
    out = out * (1.0 + growth_per_year) ** (after / 4.0)
    return np.where(q < points[0], 0.0, out)


def m_tokens_per_hour(tokens_per_day: np.ndarray) -> np.ndarray:
    """Tokens per day -> millions of tokens per hour (the solver's demand rate)."""
    return np.asarray(tokens_per_day, dtype=float) / HOURS_PER_DAY / 1e6


def revenue_usd_per_m_output(price_input: np.ndarray, price_output: np.ndarray,
                             price_cached_input: np.ndarray, input_per_output: float,
                             cache_hit: float) -> np.ndarray:
    """List revenue of 1 M output tokens together with the input tokens that come with them."""
    input_price = (1.0 - cache_hit) * np.asarray(price_input) + cache_hit * np.asarray(price_cached_input)
    return np.asarray(price_output) + input_per_output * input_price
