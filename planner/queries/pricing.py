"""`planner price`: a model's volume, revenue and profit as a function of its list price.

Each point re-plans the whole fleet with the model's rate card scaled to one output price
(input prices in proportion, as `planner when --price-output`) and every other model at its
list prices, so the model competes for capacity at that price; with a price elasticity its
demand moves along its curve too. The figures per point read the plan's own tables:
revenue = served tokens x list revenue per M output (economics.csv), serving cost = the
model's allocated chip-hours x $/chip-hour (allocation.csv), model profit = revenue - serving
cost, fleet profit = the P&L's operating profit (every installed chip's cost).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demand.timeline import model_demand
from planner.errors import InputError, Problem
from planner.run.plan import make_plan
from planner.run.pnl import DAYS_PER_QUARTER, HOURS_PER_QUARTER
from planner.scenario.loaded import Loaded

DEFAULT_FACTORS = 2.0 ** np.arange(-2.0, 2.5, 0.5)  # list / 4 ... list x 4, nine points


def price_grid(loaded: Loaded, model: str, quarter=None) -> np.ndarray:
    """Default prices: the model's list output price in ``quarter`` (else in the horizon's
    first quarter) x 1/4..4."""
    s = loaded.scenario
    at = quarter if quarter is not None else s.horizon.start
    listed = float(model_demand(s, model, np.array([at.index]))["price_output"][0])
    if listed <= 0:
        raise InputError([Problem("--model", None, model, "has a list output price of 0, so "
                                  "there is no default price grid; give --prices")])
    return listed * DEFAULT_FACTORS


def price_curve(loaded: Loaded, model: str, prices, quarter: str | None = None,
                on_point=None) -> pd.DataFrame:
    """One row per price: demand, served, revenue, serving cost, model and fleet profit in
    the horizon (or in ``quarter``); ``on_point()`` is called after each plan (progress)."""
    rows = []
    for price in prices:
        plan = make_plan(loaded, price_override=(model, None, float(price), None))
        e = plan.economics[plan.economics["model"] == model]
        a = plan.allocation[plan.allocation["model"] == model]
        pnl = plan.pnl
        if quarter is not None:
            e, a, pnl = (f[f["quarter"] == quarter] for f in (e, a, pnl))
        served_m = e["served_output_tokens_per_day"] / 24e6
        revenue = float((served_m * e["revenue_usd_per_m_output"]).sum()) * HOURS_PER_QUARTER
        cost = float(a["usd_per_hour"].sum()) * HOURS_PER_QUARTER
        demand = float(e["demand_output_tokens_per_day"].sum()) * DAYS_PER_QUARTER
        served = float(e["served_output_tokens_per_day"].sum()) * DAYS_PER_QUARTER
        rows.append({"price_usd_per_m_output": float(price),
                     "demand_output_tokens": demand, "served_output_tokens": served,
                     "served_fraction": served / demand if demand > 0 else np.nan,
                     "revenue_usd": revenue, "serving_cost_usd": cost,
                     "model_profit_usd": revenue - cost,
                     "fleet_profit_usd": float(pnl["operating_profit_usd"].sum())})
        if on_point:
            on_point()
    return pd.DataFrame(rows)

