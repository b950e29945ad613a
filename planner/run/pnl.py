"""Fleet P&L per quarter: revenue of served tokens against the cost of every installed chip.

* revenue_usd = served M output tokens x the model's list revenue per M output tokens (its
  input, cached-input and output prices on the request mix)
* fleet_cost_usd = installed chips x $/chip-hour x hours, whether used, idle or reserved;
  split into serving (allocated chips), reserved (held back) and idle (the rest)
* lost_revenue_usd = unmet M output tokens x the model's list revenue per M output tokens
* moved_chips = chips models give up on a system from the previous quarter (the churn that
  economics.migration_penalty_usd_per_chip prices; growth is not counted);
  migration_cost_usd = moved_chips x that penalty: an estimate the plan weighs, shown apart
  (like imputed value it is in neither fleet cost nor profit)
* imputed_value_usd = served M output tokens x the model's imputed value (a free tier's ad or
  conversion value): shown apart, in neither revenue nor profit
* operating_profit_usd = revenue_usd - fleet_cost_usd; operating_margin = profit / revenue
"""
from __future__ import annotations

import numpy as np
import pandas as pd

HOURS_PER_QUARTER = 24 * 365.25 / 4
DAYS_PER_QUARTER = 365.25 / 4


def fleet_pnl(economics: pd.DataFrame, fleet: pd.DataFrame, allocation: pd.DataFrame,
              migration_penalty_usd_per_chip: float = 0.0) -> pd.DataFrame:
    """One row per quarter (in fleet order): revenue, fleet cost split, profit, margin, and
    the churn (moved chips) with its cost at ``migration_penalty_usd_per_chip``."""
    quarters = pd.unique(fleet["quarter"])
    served_m = economics["served_output_tokens_per_day"] / 24e6
    revenue = (served_m * economics["revenue_usd_per_m_output"]).groupby(economics["quarter"]).sum()
    unmet_m = economics["unmet_output_tokens_per_day"] / 24e6
    lost = (unmet_m * economics["revenue_usd_per_m_output"]).groupby(economics["quarter"]).sum()
    imputed = (served_m * economics["imputed_value_usd_per_m_output"]).groupby(economics["quarter"]).sum()
    serving = allocation.groupby("quarter")["usd_per_hour"].sum()
    fleet_usd = (fleet["installed_chips"] * fleet["usd_per_chip_hour"]).groupby(fleet["quarter"]).sum()
    reserved = ((fleet["installed_chips"] - fleet["available_chips"]) * fleet["usd_per_chip_hour"]
                ).groupby(fleet["quarter"]).sum()
    out = pd.DataFrame({"quarter": quarters})
    per_hour = {"revenue_usd": revenue, "serving_cost_usd": serving, "reserved_cost_usd": reserved,
                "fleet_cost_usd": fleet_usd, "lost_revenue_usd": lost,
                "imputed_value_usd": imputed}
    for name, series in per_hour.items():
        out[name] = series.reindex(quarters).fillna(0.0).to_numpy() * HOURS_PER_QUARTER
    out["idle_cost_usd"] = (out["fleet_cost_usd"] - out["serving_cost_usd"]
                            - out["reserved_cost_usd"]).clip(lower=0.0)
    out.loc[out["idle_cost_usd"] < 0.005, "idle_cost_usd"] = 0.0  # rounding noise, below a cent
    out["operating_profit_usd"] = out["revenue_usd"] - out["fleet_cost_usd"]
    out["moved_chips"] = moved_chips(allocation, quarters)
    out["migration_cost_usd"] = out["moved_chips"] * migration_penalty_usd_per_chip
    rev = out["revenue_usd"]
    out["operating_margin"] = np.where(rev > 0, out["operating_profit_usd"] / rev.where(rev > 0), np.nan)
    return out[["quarter", "revenue_usd", "serving_cost_usd", "idle_cost_usd", "reserved_cost_usd",
                "fleet_cost_usd", "operating_profit_usd", "operating_margin", "lost_revenue_usd",
                "imputed_value_usd", "moved_chips", "migration_cost_usd"]]


def moved_chips(allocation: pd.DataFrame, quarters) -> np.ndarray:
    """Per quarter: chips each (model, system, site) has fewer than the quarter before, summed."""
    if allocation.empty:
        return np.zeros(len(quarters))
    keys = [k for k in ("model", "system", "site") if k in allocation.columns]
    chips = allocation.pivot_table(index=keys, columns="quarter", values="chips", aggfunc="sum",
                                   fill_value=0.0).reindex(columns=list(quarters), fill_value=0.0)
    drop = (chips.shift(1, axis=1) - chips).clip(lower=0.0).fillna(0.0)
    return drop.sum().to_numpy()
