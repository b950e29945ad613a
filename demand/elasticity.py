"""Price-responsive demand: a constant-elasticity curve around a reference point, its value
staircase for the allocation LP, and the price that clears a given served volume.

Demand at output price p is ``forecast x (p / reference) ^ elasticity`` (elasticity <= 0; the
input prices move in proportion to the output price). The LP sees the demand at the list price
as slices between price steps p_0 = list < p_1 < ... < p_n (a geometric grid up to
``span`` x list): slice s holds D(p_s) - D(p_s+1) and is worth the blended value per M output
at the geometric mean of its two prices; the top slice, D(p_n), is worth the value at p_n.
Slices sum to the demand at the list price, so elasticity 0 needs no slices at all.
"""
from __future__ import annotations

import numpy as np

DEFAULT_STEPS = 24       # price steps per (model, quarter) in the LP: +12 % each
DEFAULT_SPAN = 16.0      # the top step's price over the list price


def demand_at_price(forecast: np.ndarray, price: np.ndarray, reference: np.ndarray,
                    elasticity: np.ndarray) -> np.ndarray:
    """Demand at ``price`` (> 0) on the curve through (reference, forecast)."""
    return np.asarray(forecast, dtype=float) * (np.asarray(price, dtype=float)
                                                / np.asarray(reference, dtype=float)) ** elasticity


def price_steps(list_price: np.ndarray, steps: int = DEFAULT_STEPS,
                span: float = DEFAULT_SPAN) -> np.ndarray:
    """Step prices per row, shape (rows, steps + 1): list x span^(i / steps), i = 0..steps."""
    grid = span ** (np.arange(steps + 1) / steps)
    return np.asarray(list_price, dtype=float)[:, None] * grid[None, :]


def value_slices(demand_at_list: np.ndarray, list_price: np.ndarray, value_at_list: np.ndarray,
                 elasticity: np.ndarray, steps: int = DEFAULT_STEPS,
                 span: float = DEFAULT_SPAN) -> tuple[np.ndarray, np.ndarray]:
    """(quantity, value per unit), each shape (rows, steps + 1): the slices of each row's
    demand at its list price, lowest price first; quantities sum to ``demand_at_list``.

    ``value_at_list``: what one unit is worth at the list price (list revenue with its input
    tokens, plus any imputed value); a slice at price p is worth value_at_list x p / list.
    """
    p = price_steps(list_price, steps, span)
    ratio = p / p[:, :1]                                   # p_i / list
    d = np.asarray(demand_at_list, dtype=float)[:, None] * ratio ** np.asarray(
        elasticity, dtype=float)[:, None]                  # demand at each step price
    quantity = np.concatenate([d[:, :-1] - d[:, 1:], d[:, -1:]], axis=1)
    mid = np.concatenate([np.sqrt(ratio[:, :-1] * ratio[:, 1:]), ratio[:, -1:]], axis=1)
    return quantity, np.asarray(value_at_list, dtype=float)[:, None] * mid


def clearing_price(served: np.ndarray, demand_at_list: np.ndarray, list_price: np.ndarray,
                   elasticity: np.ndarray) -> np.ndarray:
    """The output price at which demand equals ``served``, never below the list price.

    Inverts the curve from the list point: list x (served / demand_at_list) ^ (1 / e). The list
    price where everything is served or the demand is inelastic; NaN where nothing is served
    of a positive demand (no price on the curve sells zero).
    """
    served = np.asarray(served, dtype=float)
    dem = np.asarray(demand_at_list, dtype=float)
    e = np.asarray(elasticity, dtype=float)
    lp = np.asarray(list_price, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(dem > 0, served / np.where(dem > 0, dem, 1.0), 1.0)
        price = lp * np.minimum(share, 1.0) ** (1.0 / np.where(e < 0, e, -1.0))
    price = np.where((e < 0) & (share < 1.0), np.maximum(price, lp), lp)
    return np.where((dem > 0) & (served <= 0) & (e < 0), np.nan, price)
