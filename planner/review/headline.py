"""The headline of a scenario diff: horizon totals and last-quarter chips, base -> proposed.

* unmet output tokens over the horizon: sum over model-quarters of unmet tokens/day x days;
* revenue and operating profit over the horizon: sums of the plan's fleet P&L (planner.run.pnl);
* installed and available chips per system at each side's last quarter, for the systems whose
  count changed (a system missing on one side has no chips there);
* when either side has a procurement section: chips bought and their capex over the horizon
  (planner.run.procurement; a side without the section buys nothing), and chips bought per system.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.run.pnl import DAYS_PER_QUARTER

TOTALS = ("unmet_output_tokens", "revenue_usd", "operating_profit_usd")
CHIPS = ("installed_chips", "available_chips")


@dataclass
class Headline:
    totals: dict[str, tuple[float, float]]  # name -> (base, proposed), see TOTALS
    last_quarter: tuple[str, str]  # (base, proposed)
    chips: pd.DataFrame  # system, {installed,available}_chips_{old,new,change}: changed only
    # None when neither side may buy; else chips_bought and purchase_capex_usd -> (base, proposed)
    purchases: dict[str, tuple[float, float]] | None = None
    bought: pd.DataFrame | None = None  # system, bought_chips_{old,new,change}: changed only

    def to_json(self) -> dict:
        out = {name: {"old": old, "new": new, "change": new - old}
               for name, (old, new) in self.totals.items()}
        out["last_quarter"] = {"old": self.last_quarter[0], "new": self.last_quarter[1]}
        out["chips_at_last_quarter"] = self.chips.to_dict("records")
        if self.purchases is not None:
            out["purchases"] = {name: {"old": old, "new": new, "change": new - old}
                                for name, (old, new) in self.purchases.items()}
            out["purchases"]["by_system"] = self.bought.to_dict("records")
        return out


def totals(plan) -> dict[str, float]:
    """Unmet output tokens, revenue and operating profit of ``plan`` over its horizon."""
    pnl = plan.pnl
    unmet = float(plan.economics["unmet_output_tokens_per_day"].sum()) * DAYS_PER_QUARTER
    return {"unmet_output_tokens": unmet, "revenue_usd": float(pnl["revenue_usd"].sum()),
            "operating_profit_usd": float(pnl["operating_profit_usd"].sum())}


def last_quarter_chips(fleet: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Installed and available chips per system in ``quarter`` (summed over sites)."""
    rows = fleet[fleet["quarter"] == quarter]
    return rows.groupby("system", sort=False)[list(CHIPS)].sum().reset_index()


def chip_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Systems whose installed or available chips differ (base order, then added systems)."""
    systems = list(dict.fromkeys([*old["system"], *new["system"]]))
    before = old.set_index("system").reindex(systems).fillna(0.0)
    after = new.set_index("system").reindex(systems).fillna(0.0)
    out = pd.DataFrame({"system": systems})
    changed = pd.Series(False, index=out.index)
    for name in CHIPS:
        b, a = before[name].to_numpy(dtype=float), after[name].to_numpy(dtype=float)
        out[f"{name}_old"], out[f"{name}_new"], out[f"{name}_change"] = b, a, a - b
        changed |= abs(a - b) > 1e-9
    return out[changed].reset_index(drop=True)


def bought_chips(plan) -> pd.Series:
    """Chips ``plan`` bought per system over its horizon (empty when it could not buy)."""
    if plan.purchases is None:
        return pd.Series(dtype=float)
    return plan.purchases.groupby("system", sort=False)["chips"].sum()


def bought_changes(old: pd.Series, new: pd.Series) -> pd.DataFrame:
    """Systems whose bought chips differ (base order, then systems only the proposal buys)."""
    systems = list(dict.fromkeys([*old.index, *new.index]))
    b = old.reindex(systems).fillna(0.0).to_numpy(dtype=float)
    a = new.reindex(systems).fillna(0.0).to_numpy(dtype=float)
    out = pd.DataFrame({"system": systems, "bought_chips_old": b, "bought_chips_new": a,
                        "bought_chips_change": a - b})
    return out[abs(a - b) > 1e-9].reset_index(drop=True)


def headline(old_plan, new_plan) -> Headline:
    """The diff's headline from the two plans."""
    before, after = totals(old_plan), totals(new_plan)
    quarters = (str(old_plan.quarters[-1]), str(new_plan.quarters[-1]))
    chips = chip_changes(last_quarter_chips(old_plan.fleet, quarters[0]),
                         last_quarter_chips(new_plan.fleet, quarters[1]))
    out = Headline({k: (before[k], after[k]) for k in TOTALS}, quarters, chips)
    if old_plan.purchases is not None or new_plan.purchases is not None:
        old, new = bought_chips(old_plan), bought_chips(new_plan)
        capex = [0.0 if p.purchases is None else float(p.purchases["capex_usd"].sum())
                 for p in (old_plan, new_plan)]
        out.purchases = {"chips_bought": (float(old.sum()), float(new.sum())),
                         "purchase_capex_usd": tuple(capex)}
        out.bought = bought_changes(old, new)
    return out
