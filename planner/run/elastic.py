"""Price-responsive demand in the plan: demand at the list price, the LP's value steps, and
the market-clearing price and revenue of what the plan serves (demand/elasticity.py).

With every ``demand.M.elasticity`` at 0 nothing here changes the plan or its tables.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demand.elasticity import clearing_price, demand_at_price, value_slices
from planner.run.pnl import HOURS_PER_QUARTER
from planner.scenario.schema import Scenario


def is_elastic(scenario: Scenario) -> bool:
    """True when some model's demand responds to price."""
    return any(d.elasticity != 0 for d in scenario.demand.values())


def elasticity_terms(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per demand series (scenario order): elasticity, fixed reference output price (0 where
    the reference is each quarter's list price) and whether it is the list price."""
    e, ref, is_list = [], [], []
    for d in scenario.demand.values():
        fixed = d.reference_price_usd_per_m_output or d.price_usd_per_m.output
        e.append(d.elasticity)
        is_list.append(fixed == "list")
        ref.append(0.0 if fixed == "list" else fixed)
    return np.array(e, dtype=float), np.array(ref, dtype=float), np.array(is_list, dtype=bool)


def list_price_factor(elasticity: np.ndarray, list_usd_per_m_output: np.ndarray,
                      reference_usd_per_m_output: np.ndarray) -> np.ndarray:
    """Demand at the list price over the forecast (at the reference): (list / reference)^e;
    1 where the demand is inelastic."""
    e, listed = np.asarray(elasticity, dtype=float), np.asarray(list_usd_per_m_output, dtype=float)
    ref = np.asarray(reference_usd_per_m_output, dtype=float)
    return np.where(e < 0, demand_at_price(1.0, np.where(listed > 0, listed, 1.0),
                                           np.where(ref > 0, ref, 1.0), e), 1.0)


def elastic_demand(demand: pd.DataFrame, scenario: Scenario,
                   scenario_list_usd_per_m_output: np.ndarray) -> pd.DataFrame:
    """The demand table at list prices: each elastic model's forecast moved along its curve
    to the quarter's list output price. ``scenario_list_usd_per_m_output``: per row, the
    scenario's own list price (before any price override), the reference of models whose
    reference is ``list``. Adds ``forecast_output_tokens_per_day`` (at the reference price),
    ``reference_price_usd_per_m_output`` and ``elasticity``."""
    out = demand.copy()
    series = {k: i for i, k in enumerate(scenario.demand)}
    at = out["model"].map(series).to_numpy(int)
    e_model, ref_model, list_model = elasticity_terms(scenario)
    e = e_model[at]
    ref = np.where(list_model[at], np.asarray(scenario_list_usd_per_m_output, dtype=float),
                   ref_model[at])
    listed = out["price_usd_per_m_output"].to_numpy(float)
    factor = list_price_factor(e, listed, ref)
    out["forecast_output_tokens_per_day"] = out["output_tokens_per_day"]
    out["reference_price_usd_per_m_output"] = np.where(e < 0, ref, listed)
    out["elasticity"] = e
    out["output_tokens_per_day"] = out["output_tokens_per_day"] * factor
    out["m_output_per_hour"] = out["m_output_per_hour"] * factor
    return out


def step_slices(m_output_per_hour: np.ndarray, list_usd_per_m_output: np.ndarray,
                value_usd_per_m_output: np.ndarray, elasticity: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, quantity, value): which demand rows get price steps (elastic, with demand) and
    their slices (:func:`demand.elasticity.value_slices`), each (rows with steps, steps)."""
    rows = (np.asarray(elasticity) < 0) & (np.asarray(m_output_per_hour) > 0)
    quantity, value = value_slices(np.asarray(m_output_per_hour, dtype=float)[rows],
                                   np.asarray(list_usd_per_m_output, dtype=float)[rows],
                                   np.asarray(value_usd_per_m_output, dtype=float)[rows],
                                   np.asarray(elasticity, dtype=float)[rows])
    return rows, quantity, value


def demand_steps(demand: pd.DataFrame) -> pd.DataFrame:
    """The solver's demand_steps: slices of each elastic (model, quarter) with demand."""
    rows, quantity, value = step_slices(demand["m_output_per_hour"].to_numpy(float),
                                        demand["price_usd_per_m_output"].to_numpy(float),
                                        demand["value_usd_per_m_output"].to_numpy(float),
                                        demand["elasticity"].to_numpy(float))
    n = quantity.shape[1]
    return pd.DataFrame({"model": np.repeat(demand["model"].to_numpy()[rows], n),
                         "quarter": np.repeat(demand["quarter"].to_numpy()[rows], n),
                         "step": np.tile(np.arange(n), int(rows.sum())),
                         "m_output_per_hour": quantity.ravel(),
                         "value_usd_per_m_output": value.ravel()})


def with_clearing_prices(economics: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """economics.csv with ``forecast_output_tokens_per_day``, ``elasticity``, the
    ``clearing_price_usd_per_m_output`` (the output price at which demand equals what is
    served; the list price when all is served; empty for inelastic models and quarters
    without demand) and ``revenue_at_clearing_usd_per_m_output`` (the list revenue per M
    output scaled by clearing / list: input prices in proportion; list revenue where there is
    no clearing price)."""
    d = demand.set_index(["model", "quarter"]).reindex(
        pd.MultiIndex.from_frame(economics[["model", "quarter"]]))
    out = economics.copy()
    listed = out["list_usd_per_m_output"].to_numpy(float)
    served = out["served_output_tokens_per_day"].to_numpy(float)
    dem = out["demand_output_tokens_per_day"].to_numpy(float)
    fully = out["unmet_output_tokens_per_day"].to_numpy(float) <= 0
    e = d["elasticity"].to_numpy(float)
    price = np.where(fully, listed, clearing_price(served, dem, listed, e))
    price = np.where((dem > 0) & (e < 0), price, np.nan)  # inelastic: no price clears it
    out["forecast_output_tokens_per_day"] = d["forecast_output_tokens_per_day"].to_numpy(float)
    out["elasticity"] = e
    out["clearing_price_usd_per_m_output"] = price
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where((listed > 0) & np.isfinite(price),
                         price / np.where(listed > 0, listed, 1.0), 1.0)
    out["revenue_at_clearing_usd_per_m_output"] = out["revenue_usd_per_m_output"] * scale
    return out


def pnl_at_clearing(pnl: pd.DataFrame, economics: pd.DataFrame) -> pd.DataFrame:
    """The P&L with ``revenue_at_clearing_usd``: served tokens at the clearing prices, next to
    ``revenue_usd`` at list (what a lab pricing at the clearing price would take in)."""
    served_m = economics["served_output_tokens_per_day"] / 24e6
    rev = (served_m * economics["revenue_at_clearing_usd_per_m_output"].fillna(0.0)
           ).groupby(economics["quarter"]).sum()
    out = pnl.copy()
    col = out.columns.get_loc("revenue_usd") + 1
    out.insert(col, "revenue_at_clearing_usd",
               rev.reindex(out["quarter"]).fillna(0.0).to_numpy() * HOURS_PER_QUARTER)
    return out
