"""Per (model, quarter) economics of a solved plan: served demand, cost, margin, prices.

One definition of each figure, used by every output (README "Definitions"). Costs and
revenues are per M output tokens of the request mix: 1 M output tokens together with the
input tokens that come with them.

* cost_usd_per_m_output_all_in: serving $ per M output tokens served, input processing
  included (the cheapest available option's when nothing is served)
* revenue_usd_per_m_output: list revenue of those tokens (input, cached input, output prices)
* gross_margin = 1 - cost_usd_per_m_output_all_in / revenue_usd_per_m_output
* capacity_gap_chips: chips of the cheapest available system that would serve the unmet
  demand (NaN when no system fits)
* scarcity_rent_usd_per_m_output: shadow price x chip-hours per M: what the capacity a token
  takes is worth to the other models

A required revenue R is shown as an output price by scaling the list rate card (input and
output alike) by R / list revenue, so a price column reads as "the output list price needed,
with the input prices moved in proportion"; with no list revenue (a free tier) R is shown
as it is:

* break_even_price: R = cost (margin 0)
* price_at_target_margin: R = cost / (1 - target margin)
* scarcity_price: R = cost + scarcity rent
* achievable_price: R = (cost + scarcity rent) / (1 - target margin)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["model", "quarter"]
UNMET_ROUNDING = 1e-9  # unmet below this share of demand is rounding (served in full)
SERVED_EPS = 1e-12  # M output/h: below this a model-quarter counts as not served


def per_m_served(usd_per_hour, served_m_per_hour, when_unserved):
    """$ per hour per M output tokens/hour served; ``when_unserved`` where nothing is served
    (the cheapest available option's figure: what serving would cost at no load)."""
    served = np.asarray(served_m_per_hour, dtype=float)
    is_served = served > SERVED_EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(is_served, np.asarray(usd_per_hour, dtype=float)
                        / np.where(is_served, served, 1.0), when_unserved)


def served_fraction(served_m_per_hour, demand_m_per_hour):
    """Served / demand; NaN without demand (nothing to serve)."""
    demand = np.asarray(demand_m_per_hour, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(demand > 0, np.asarray(served_m_per_hour, dtype=float)
                        / np.where(demand > 0, demand, 1.0), np.nan)


def gross_margin(cost_usd_per_m_output_all_in, revenue_usd_per_m_output, has_demand):
    """1 - all-in cost / list revenue; NaN without list revenue or without demand."""
    revenue = np.asarray(revenue_usd_per_m_output, dtype=float)
    cost = np.where(has_demand, cost_usd_per_m_output_all_in, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(revenue > 0, 1.0 - cost / np.where(revenue > 0, revenue, 1.0), np.nan)


def output_price_scale(list_usd_per_m_output, revenue_usd_per_m_output):
    """The output list price per $ of list revenue: a required revenue R is shown as the
    output list price R x this (the rate card scaled, input prices in proportion); 1 without
    list revenue (a free tier: R as it is)."""
    revenue = np.asarray(revenue_usd_per_m_output, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(revenue > 0, np.asarray(list_usd_per_m_output, dtype=float)
                        / np.where(revenue > 0, revenue, 1.0), 1.0)


def price_at_margin(cost, margin, scale=1.0):
    """The price that leaves ``margin`` on ``cost``: cost / (1 - margin), x ``scale`` (see
    :func:`output_price_scale`); margin 0 is the break-even price."""
    return scale * cost / (1 - margin)


def _split_costs(costs: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """Cost core's $/M input and output, raised by the peak-to-average factor (idle hours)."""
    out = costs[["model", "system", "quarter", "usd_per_m_input", "usd_per_m_output"]].merge(
        demand[KEYS + ["peak_to_average"]], on=KEYS)
    out["usd_per_m_input"] *= out["peak_to_average"]
    out["usd_per_m_output"] *= out["peak_to_average"]
    return out.drop(columns="peak_to_average")


def _with_prices(frame: pd.DataFrame, utilisation: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (model, system, quarter, site rows) with shadow prices and split $/M costs."""
    rows = frame.merge(utilisation[["system", "quarter", "site", "shadow_price_usd_per_chip_hour"]],
                       on=["system", "quarter", "site"], how="left")
    return rows.merge(costs[["model", "system", "quarter", "usd_per_m_input", "usd_per_m_output"]],
                      on=["model", "system", "quarter"], how="left")


def _by_model_quarter(allocation: pd.DataFrame, utilisation: pd.DataFrame,
                      costs: pd.DataFrame) -> pd.DataFrame:
    """Sum served tokens, chips, $ and rent per (model, quarter) over the systems used."""
    rows = _with_prices(allocation, utilisation, costs)
    rows["rent_usd_per_hour"] = rows["chips"] * rows["shadow_price_usd_per_chip_hour"].fillna(0.0)
    rows["w_in"] = rows["usd_per_m_input"] * rows["m_output_per_hour"]
    rows["w_out"] = rows["usd_per_m_output"] * rows["m_output_per_hour"]
    total = rows.groupby(KEYS, sort=False).agg(
        chips=("chips", "sum"), served_m_per_hour=("m_output_per_hour", "sum"),
        usd_per_hour=("usd_per_hour", "sum"), rent_usd_per_hour=("rent_usd_per_hour", "sum"),
        w_in=("w_in", "sum"), w_out=("w_out", "sum"))
    if rows.empty:  # nothing allocated: no system mix (groupby.apply would give a frame)
        return total.assign(systems=pd.Series(dtype=object)).reset_index()
    return total.join(_system_mix(rows)).reset_index()


def _system_mix(rows: pd.DataFrame) -> pd.Series:
    """Per (model, quarter): "system share, ..." by chips, largest first, shares >= 0.5 %."""
    rows = rows.sort_values("chips", ascending=False)
    share = rows["chips"] / rows.groupby(KEYS, sort=False)["chips"].transform("sum")
    shown = rows.assign(label=[f"{s} {p:.0%}" for s, p in zip(rows["system"], share)])[
        (share >= 0.005).to_numpy()]
    return shown.groupby(KEYS, sort=False)["label"].agg(", ".join).rename("systems")


def _cheapest_option(options: pd.DataFrame, utilisation: pd.DataFrame,
                     costs: pd.DataFrame) -> pd.DataFrame:
    """Per (model, quarter), the cheapest available option: the basis for unserved demand."""
    rows = _with_prices(options, utilisation, costs)
    rows["cost_all_in"] = rows["usd_per_chip_hour"] / rows["m_output_per_chip_hour"]
    rows["rent"] = rows["shadow_price_usd_per_chip_hour"].fillna(0.0) / rows["m_output_per_chip_hour"]
    best = rows.sort_values(["cost_all_in", "system"]).groupby(KEYS, sort=False).head(1)
    return best[KEYS + ["system", "cost_all_in", "rent", "usd_per_m_input", "usd_per_m_output",
                        "m_output_per_chip_hour"]]


def economics_table(demand: pd.DataFrame, options: pd.DataFrame, allocation: pd.DataFrame,
                    utilisation: pd.DataFrame, costs: pd.DataFrame,
                    target_margin: float) -> pd.DataFrame:
    """One row per (model, quarter): demand and served tokens, cost, list price, margin, prices."""
    out = demand[KEYS + ["tier", "output_tokens_per_day", "m_output_per_hour",
                         "price_usd_per_m_input", "price_usd_per_m_output",
                         "revenue_usd_per_m_output", "imputed_value_usd_per_m_output"]].copy()
    costs = _split_costs(costs, demand)
    used = _by_model_quarter(allocation, utilisation, costs)
    cheap = _cheapest_option(options, utilisation, costs)
    out = out.merge(used, on=KEYS, how="left").merge(cheap, on=KEYS, how="left",
                                                      suffixes=("", "_cheapest"))
    served = out["served_m_per_hour"].fillna(0.0)
    is_served = served > SERVED_EPS
    out["served_output_tokens_per_day"] = served * 24e6
    unmet = (out["m_output_per_hour"] - served).clip(lower=0)
    # below 1e-9 of the demand it is the vertex's floating-point rounding, not a shortage
    unmet = unmet.where(unmet > UNMET_ROUNDING * out["m_output_per_hour"], 0.0)
    out["unmet_output_tokens_per_day"] = unmet * 24e6
    # chips of the cheapest available system that would serve the unmet demand (NaN: none fits)
    out["capacity_gap_chips"] = np.where(unmet > 0, unmet / out["m_output_per_chip_hour"], 0.0)
    has_demand = out["m_output_per_hour"] > 0
    # no demand (before launch): nothing to serve, so no served share, margin or price
    out["served_fraction"] = served_fraction(served, out["m_output_per_hour"])
    out["chips"] = out["chips"].fillna(0.0)
    cost_all_in = per_m_served(out["usd_per_hour"], served, out["cost_all_in"])
    rent = per_m_served(out["rent_usd_per_hour"], served, out["rent"])
    out["cost_basis"] = np.select([~has_demand, is_served, out["system"].notna()],
                                  ["no demand", "served", "cheapest available"],
                                  "no feasible system")
    out["systems"] = out["systems"].fillna("")
    out["cost_usd_per_m_input"] = per_m_served(out["w_in"], served, out["usd_per_m_input"])
    out["cost_usd_per_m_output"] = per_m_served(out["w_out"], served, out["usd_per_m_output"])
    out["cost_usd_per_m_output_all_in"] = cost_all_in
    revenue = out["revenue_usd_per_m_output"]
    out["gross_margin"] = gross_margin(cost_all_in, revenue, has_demand)
    cost_all_in = np.where(has_demand, cost_all_in, np.nan)  # cost columns above stay: what
    rent = np.where(has_demand, rent, np.nan)                # serving would cost at no load
    scale = output_price_scale(out["price_usd_per_m_output"], revenue)
    out["scarcity_rent_usd_per_m_output"] = rent
    out["break_even_price_usd_per_m_output"] = price_at_margin(cost_all_in, 0.0, scale)
    out["price_at_target_margin_usd_per_m_output"] = price_at_margin(cost_all_in, target_margin,
                                                                     scale)
    out["scarcity_price_usd_per_m_output"] = price_at_margin(cost_all_in + rent, 0.0, scale)
    out["achievable_price_usd_per_m_output"] = price_at_margin(cost_all_in + rent, target_margin,
                                                               scale)
    out = out.rename(columns={"price_usd_per_m_input": "list_usd_per_m_input",
                              "price_usd_per_m_output": "list_usd_per_m_output",
                              "output_tokens_per_day": "demand_output_tokens_per_day"})
    return out[["model", "quarter", "tier", "demand_output_tokens_per_day",
                "served_output_tokens_per_day", "unmet_output_tokens_per_day", "served_fraction",
                "capacity_gap_chips", "chips", "systems", "cost_basis", "cost_usd_per_m_input", "cost_usd_per_m_output",
                "cost_usd_per_m_output_all_in", "list_usd_per_m_input", "list_usd_per_m_output",
                "revenue_usd_per_m_output", "imputed_value_usd_per_m_output", "gross_margin",
                "scarcity_rent_usd_per_m_output", "break_even_price_usd_per_m_output",
                "price_at_target_margin_usd_per_m_output", "scarcity_price_usd_per_m_output",
                "achievable_price_usd_per_m_output"]]
