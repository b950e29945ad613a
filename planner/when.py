"""`planner when`: the earliest quarter a model's demand can be served at a price and margin.

The plan is re-solved with the model sold at the asked price, so the model competes for the
fleet with every other model's claims. A quarter qualifies when (checked in this order):
1. some system available that quarter fits the model and meets its speed target;
2. the cost of the cheapest such system leaves the margin at the price;
3. the allocation serves at least ``share`` of the model's demand;
4. the margin on the systems actually used holds.
The first check that fails is the quarter's binding reason.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.plan import make_plan
from planner.scenario import Loaded

SHARE_TOLERANCE = 1e-6


@dataclass
class WhenAnswer:
    model: str
    price_output: float | None
    price_input: float | None
    margin: float
    share: float
    earliest_quarter: str | None
    reason: str
    quarters: pd.DataFrame

    def to_json(self) -> dict:
        from planner.tables import to_records

        return {"model": self.model, "price_output": self.price_output,
                "price_input": self.price_input, "margin": self.margin, "share": self.share,
                "earliest_quarter": self.earliest_quarter, "reason": self.reason,
                "quarters": to_records(self.quarters)}


def check_model(loaded: Loaded, model: str) -> None:
    s = loaded.scenario
    if model not in s.models:
        raise InputError([Problem("--model", None, model, "unknown model; known: "
                                  + ", ".join(sorted(s.models)))])
    if model not in s.demand:
        raise InputError([Problem("--model", None, model, "has no demand series in the scenario; "
                                  f"add demand.{model} to ask when it can be served")])


def when(loaded: Loaded, model: str, price_output: float | None, price_input: float | None = None,
         margin: float | None = None, share: float = 1.0, **solver_args) -> WhenAnswer:
    """Answer "when can we serve ``model`` at ``price_output``" quarter by quarter."""
    check_model(loaded, model)
    margin = loaded.scenario.economics.target_margin if margin is None else margin
    override = (model, price_input, price_output)
    plan = make_plan(loaded, price_override=override, **solver_args)
    e = plan.economics[plan.economics["model"] == model].reset_index(drop=True)
    d = plan.demand[plan.demand["model"] == model].reset_index(drop=True)
    costs = plan.costs[plan.costs["model"] == model]
    fleet = plan.fleet[plan.fleet["available_chips"] > 0]
    available = costs.merge(fleet[["system", "quarter"]], on=["system", "quarter"])

    input_revenue = d["revenue_usd_per_m_output"] - d["price_usd_per_m_output"]
    cost = e["cost_usd_per_m_output_all_in"]
    lowest_price = (cost / (1 - margin) - input_revenue).clip(lower=0.0)
    revenue = d["revenue_usd_per_m_output"]
    achieved_margin = np.where(revenue > 0, 1 - cost / revenue.where(revenue > 0), np.nan)

    binding, ok = [], []
    for i, quarter in enumerate(e["quarter"]):
        reason = _binding(available[available["quarter"] == quarter], e.loc[i], d.loc[i],
                          price_output, lowest_price[i], achieved_margin[i], margin, share)
        binding.append(reason)
        ok.append(reason == "")
    table = pd.DataFrame({
        "quarter": e["quarter"], "demand_output_tokens_per_day": e["demand_output_tokens_per_day"],
        "served_fraction": e["served_fraction"], "systems": e["systems"],
        "cost_usd_per_m_output": e["cost_usd_per_m_output"],
        "cost_usd_per_m_output_all_in": cost, "price_usd_per_m_input": d["price_usd_per_m_input"],
        "price_usd_per_m_output": d["price_usd_per_m_output"],
        "margin": achieved_margin, "lowest_price_output_usd_per_m": lowest_price,
        "ok": ok, "binding": [b or "ok" for b in binding]})
    first = next((q for q, good in zip(table["quarter"], ok) if good), None)
    last_reason = "" if first else f"{table['quarter'].iloc[-1]}: {binding[-1]}"
    return WhenAnswer(model, price_output, price_input, margin, share, first, last_reason, table)


def _binding(available: pd.DataFrame, econ: pd.Series, dem: pd.Series, price_output,
             lowest_price: float, achieved_margin: float, margin: float, share: float) -> str:
    if dem["m_output_per_hour"] <= 0:
        return "no demand yet (before launch)"
    if available.empty:
        return "no system available this quarter"
    if not available["feasible"].any():
        reasons = sorted(set(available["reason"]))
        return "no system fits: " + "; ".join(f"{r}" for r in reasons[:2])
    if price_output is not None and econ["cost_basis"] != "served" and lowest_price > price_output:
        return f"cost too high: needs ${lowest_price:.3g}/M output at {margin:.0%} margin"
    if econ["served_fraction"] < share - SHARE_TOLERANCE:
        return f"not enough capacity: {econ['served_fraction']:.0%} served"
    if price_output is not None and achieved_margin < margin - 1e-9:
        return f"cost too high: margin {achieved_margin:.0%} < {margin:.0%}"
    return ""
