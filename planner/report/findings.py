"""Key findings of a run, computed from its economics and utilisation tables.

"Servable at list price and target margin" in a quarter means: the model has demand, and the
run's plan (every model sold at its list price) serves at least 99.9 % of it with a gross
margin at least the target. "From Q" means from Q on through the horizon's end (every later
quarter with demand is servable too, planner.queries.servable); a first servable quarter that does not
last is named apart. That is what `planner when --model M --price-output <list price>`
answers; it needs no re-plan because the run already prices every model at its list price.
A quarter that fails names the first check that fails, by the one cascade of
planner.queries.servable (as `planner when`): no system, cost too high, not enough capacity, margin
too low.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from common.quarters import Quarter
from planner.queries.servable import SERVED_SHARE, first_and_sustained
from planner.queries.servable import quarter_status as servable_status
from planner.run.pnl import DAYS_PER_QUARTER


def quarter_status(row: pd.Series, target_margin: float) -> str:
    """Why ``row`` (one model-quarter of economics) is not servable; "" when it is."""
    margin = row["gross_margin"]
    return servable_status(
        has_demand=row["demand_output_tokens_per_day"] > 0,
        no_fit=("no system available fits the model and its speed target"
                if row["cost_basis"] == "no feasible system" else ""),
        served=row["cost_basis"] == "served", served_fraction=row["served_fraction"],
        margin=None if is_missing(margin) else float(margin), target_margin=target_margin,
        needs_price=row["price_at_target_margin_usd_per_m_output"])


def servable(economics: pd.DataFrame, target_margin: float) -> pd.DataFrame:
    """Per model: servable from (sustained) quarter and the list price then, the first
    servable quarter, count of such quarters, why not before."""
    rows = []
    for model, group in economics.groupby("model", sort=False):
        group = group.sort_values("quarter")
        status = [quarter_status(r, target_margin) for _, r in group.iterrows()]
        ok = np.array([s == "" for s in status])
        quarters = list(group["quarter"])
        demanded = (group["demand_output_tokens_per_day"] > 0).to_numpy()
        first_i, from_i = (int(i[0]) for i in first_and_sustained(ok, demanded))
        first = quarters[first_i] if first_i >= 0 else None
        since = quarters[from_i] if from_i >= 0 else None
        if since is None:
            bad = [j for j in range(len(quarters)) if demanded[j] and not ok[j]]
            j = bad[-1] if bad else len(quarters) - 1
            why, at = status[j], quarters[j]
        else:
            before = [j for j in range(from_i) if demanded[j] and not ok[j]]
            why, at = (status[before[-1]], quarters[before[-1]]) if before else ("", "")
        demanded_quarters = group.loc[demanded, "quarter"]
        price_at = group["list_usd_per_m_output"].iloc[from_i if from_i >= 0 else -1]
        rows.append({"model": model, "list_usd_per_m_output": price_at,
                     "first_quarter": since, "first_servable_quarter": first,
                     "servable_quarters": int(ok.sum()),
                     "quarters_with_demand": int(demanded.sum()),
                     # the launch quarter, when demand starts after the horizon does
                     "demand_from": (demanded_quarters.iloc[0] if len(demanded_quarters) and
                                     demanded_quarters.iloc[0] != quarters[0] else None),
                     "reason_quarter": at, "reason": why})
    return pd.DataFrame(rows, columns=["model", "list_usd_per_m_output", "first_quarter",
                                       "first_servable_quarter", "servable_quarters",
                                       "quarters_with_demand", "demand_from", "reason_quarter",
                                       "reason"])


def describe_servable(row: pd.Series | dict) -> str:
    """One sentence for a row of :func:`servable`."""
    first = row.get("first_servable_quarter")
    if is_missing(row["first_quarter"]):
        text = (f"not within the horizon at ${row['list_usd_per_m_output']:g}/M output "
                f"({row['reason_quarter']}: {row['reason']})")
        if not is_missing(first):
            text += f"; first servable in {first}, but not sustained"
        return text
    price = row["list_usd_per_m_output"]
    text = f"from {row['first_quarter']} " + (f"(at ${price:g}/M output)" if price > 0
                                               else "(no list price: it earns no revenue)")
    if row["first_quarter"] == row["demand_from"]:
        text += ", when its demand starts"
    if row["servable_quarters"] < row["quarters_with_demand"]:
        text += (f" (in {row['servable_quarters']} of {row['quarters_with_demand']} "
                 "quarters with demand)")
    if not is_missing(first) and first != row["first_quarter"]:
        text += f"; first servable in {first}, but not sustained"
    if row["reason"]:
        text += f"; before that, {row['reason_quarter']}: {row['reason']}"
    return text


def shortages(economics: pd.DataFrame) -> pd.DataFrame:
    """Per model with unmet demand: quarters short, worst quarter and unmet tokens, largest first."""
    short = economics[economics["unmet_output_tokens_per_day"] > 0]
    short = short[short["served_fraction"] < SERVED_SHARE]
    rows = []
    for model, group in short.groupby("model", sort=False):
        worst = group.loc[group["unmet_output_tokens_per_day"].idxmax()]
        rows.append({"model": model, "quarters_short": len(group),
                     "first_quarter": group["quarter"].min(), "last_quarter": group["quarter"].max(),
                     "worst_quarter": worst["quarter"], "served_in_worst": worst["served_fraction"],
                     "unmet_output_tokens_per_day_worst": worst["unmet_output_tokens_per_day"],
                     "unmet_output_tokens_total": float(group["unmet_output_tokens_per_day"].sum()
                                                        * DAYS_PER_QUARTER)})
    frame = pd.DataFrame(rows, columns=["model", "quarters_short", "first_quarter", "last_quarter",
                                        "worst_quarter", "served_in_worst",
                                        "unmet_output_tokens_per_day_worst",
                                        "unmet_output_tokens_total"])
    return frame.sort_values(["unmet_output_tokens_total", "model"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def scarcest(utilisation: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The ``top`` (system, quarter) pairs with the highest shadow price (positive only)."""
    rows = utilisation[utilisation["shadow_price_usd_per_chip_hour"] > 1e-9]
    rows = rows.sort_values(["shadow_price_usd_per_chip_hour", "system", "quarter"],
                            ascending=[False, True, True], kind="stable").head(top)
    return rows[["system", "quarter", "capacity_chips", "shadow_price_usd_per_chip_hour"]].reset_index(drop=True)


def quarter_shift(old: str | None, new: str | None) -> int | None:
    """Quarters between two first-servable quarters (positive = later); None if either is None."""
    if not old or not new:
        return None
    return Quarter.parse(new).index - Quarter.parse(old).index


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
