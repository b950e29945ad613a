"""The facts a head of capacity wants first, from a plan's economics, P&L and utilisation.

* unmet: output tokens left unserved over the horizon and the list revenue they would bring
* bottleneck: the system with the most scarcity rent (shadow price x available chips x hours),
  its peak shadow price against its own $/chip-hour
* idle: chips available but unused, and their cost (the P&L's idle_cost_usd)
* profit: operating profit and margin per year (revenue - every installed chip's cost)
* churn: chips models give up on a system from one quarter to the next (P&L moved_chips)
* gap: chips of the cheapest available systems that would serve the unmet demand of the
  quarter where that takes most (models that fit no system cannot be served by more chips
  and are named apart)

Every figure is read from the pipeline's tables (economics, fleet_pnl, utilisation), none is
computed anew; :func:`headline_lines` prints them in at most 15 lines.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planner.run.pnl import DAYS_PER_QUARTER, HOURS_PER_QUARTER


def headline(economics: pd.DataFrame, pnl: pd.DataFrame, utilisation: pd.DataFrame,
             fleet: pd.DataFrame) -> dict:
    """The headline facts as a JSON-ready dict (summary.json key ``headline``)."""
    unmet_by_model = (economics.groupby("model", sort=False)["unmet_output_tokens_per_day"].sum()
                      * DAYS_PER_QUARTER)
    unmet_by_model = unmet_by_model[unmet_by_model > 0].sort_values(ascending=False, kind="stable")
    unmet_by_quarter = economics.groupby("quarter", sort=True)["unmet_output_tokens_per_day"].sum()
    gap = economics.groupby("quarter", sort=True)["capacity_gap_chips"].sum()  # NaN: no fit
    gap = gap[gap >= 1]
    unfit = economics[(economics["unmet_output_tokens_per_day"] > 0)
                      & economics["capacity_gap_chips"].isna()]
    clearing = ["revenue_at_clearing_usd"] if "revenue_at_clearing_usd" in pnl.columns else []
    years = pnl.assign(year=pnl["quarter"].str[:4]).groupby("year", sort=True)[
        ["revenue_usd", *clearing, "fleet_cost_usd", "operating_profit_usd",
         "idle_cost_usd"]].sum()
    years["operating_margin"] = np.where(years["revenue_usd"] > 0, years["operating_profit_usd"]
                                         / years["revenue_usd"].where(years["revenue_usd"] > 0),
                                         np.nan)
    return {
        "has_demand": bool((economics["demand_output_tokens_per_day"] > 0).any()),
        "unmet_output_tokens": float(unmet_by_model.sum()),
        "unmet_output_tokens_by_model": {m: float(v) for m, v in unmet_by_model.items()},
        "unmet_peak": ({"quarter": str(unmet_by_quarter.idxmax()),
                        "output_tokens_per_day": float(unmet_by_quarter.max())}
                       if unmet_by_quarter.max() > 0 else None),
        "lost_revenue_usd": float(pnl["lost_revenue_usd"].sum()),
        "bottleneck": _bottleneck(utilisation, fleet),
        "idle": _idle(pnl, utilisation),
        "by_year": [{"year": year, **{k: None if np.isnan(v) else float(v) for k, v in row.items()}}
                    for year, row in years.iterrows()],
        "moved_chips": float(pnl["moved_chips"].sum()),
        "capacity_gap": ({"quarter": str(gap.idxmax()), "chips": float(np.ceil(gap.max()))}
                         if not gap.empty else None),
        "unmet_without_fit": sorted(set(unfit["model"])),
    }


def _bottleneck(utilisation: pd.DataFrame, fleet: pd.DataFrame) -> dict | None:
    u = utilisation.merge(fleet[["system", "quarter", "usd_per_chip_hour"]].drop_duplicates(
        ["system", "quarter"]), on=["system", "quarter"], how="left")
    u = u[u["shadow_price_usd_per_chip_hour"] > 1e-9]
    if u.empty:
        return None
    rent = (u["shadow_price_usd_per_chip_hour"] * u["capacity_chips"]).groupby(u["system"]).sum()
    system = rent.sort_index().idxmax()
    rows = u[u["system"] == system].sort_values("quarter")
    peak = rows.loc[rows["shadow_price_usd_per_chip_hour"].idxmax()]
    return {"system": system, "quarters_scarce": len(rows),
            "first_quarter": rows["quarter"].iloc[0], "last_quarter": rows["quarter"].iloc[-1],
            "peak_quarter": peak["quarter"],
            "peak_shadow_price_usd_per_chip_hour": float(peak["shadow_price_usd_per_chip_hour"]),
            "usd_per_chip_hour": float(peak["usd_per_chip_hour"]),
            "rent_usd": float(rent[system] * HOURS_PER_QUARTER)}


def _idle(pnl: pd.DataFrame, utilisation: pd.DataFrame) -> dict:
    idle_chips = (utilisation["capacity_chips"] - utilisation["used_chips"]).clip(lower=0)
    chips = idle_chips.groupby(utilisation["quarter"]).sum()
    share = chips / utilisation.groupby("quarter")["capacity_chips"].sum().where(lambda c: c > 0)
    cost = pnl.set_index("quarter")["idle_cost_usd"]
    out = {"idle_cost_usd": float(cost.sum()), "peak_quarter": None}
    if cost.max() > 0:
        q = cost.idxmax()
        out.update({"peak_quarter": q, "peak_idle_chips": float(chips.get(q, 0.0)),
                    "peak_idle_share": float(share.get(q, np.nan)),
                    "peak_idle_cost_usd": float(cost[q])})
    return out


def _usd(value: float) -> str:
    sign = "-" if value < 0 else ""
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(value) >= scale:
            return f"{sign}${abs(value) / scale:,.1f}{unit}"
    return f"{sign}${abs(value):,.0f}"


def _tokens(value: float) -> str:
    for scale, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if value >= scale:
            return f"{value / scale:,.1f}{unit}"
    return f"{value:,.0f}"


def _span(first: str, last: str) -> str:
    return first if first == last else f"{first}-{last}"


def headline_lines(facts: dict, width: int | None = None) -> list[str]:
    """At most 15 facts (lines) of plain text for the terminal, wrapped to ``width`` if given."""
    lines = ["Summary"]
    if facts["unmet_output_tokens"] > 0:
        worst = list(facts["unmet_output_tokens_by_model"].items())[:3]
        peak = facts["unmet_peak"]
        lines.append(f"  unmet demand: {_tokens(facts['unmet_output_tokens'])} output tokens in "
                     "the horizon (" + ", ".join(f"{m} {_tokens(v)}" for m, v in worst)
                     + f"), most in {peak['quarter']} ({_tokens(peak['output_tokens_per_day'])}"
                     f"/day); lost list revenue {_usd(facts['lost_revenue_usd'])}")
    elif facts["has_demand"]:
        lines.append("  unmet demand: none; every model's demand is served in every quarter")
    else:
        lines.append("  unmet demand: none; no model has demand in the horizon")
    b = facts["bottleneck"]
    if b:
        lines.append(f"  bottleneck: {b['system']}, scarce in {b['quarters_scarce']} quarters "
                     f"({_span(b['first_quarter'], b['last_quarter'])}); shadow price up to "
                     f"${b['peak_shadow_price_usd_per_chip_hour']:,.2f}/chip-hour "
                     f"({b['peak_quarter']}) vs its cost ${b['usd_per_chip_hour']:,.2f}")
    else:
        lines.append("  bottleneck: none; no system's capacity binds")
    gap = facts["capacity_gap"]
    if gap:
        unfit = facts["unmet_without_fit"]
        lines.append(f"  capacity gap: {gap['chips']:,.0f} more chips (of the cheapest fitting "
                     f"systems) would serve the unmet demand of {gap['quarter']}, the largest gap"
                     + (f"; not {', '.join(unfit)}, which fits no available system"
                        if unfit else ""))
    idle = facts["idle"]
    if idle["peak_quarter"]:
        lines.append(f"  idle: {_usd(idle['idle_cost_usd'])} of fleet cost in the horizon; "
                     f"most in {idle['peak_quarter']}: {idle['peak_idle_chips']:,.0f} chips "
                     f"({idle['peak_idle_share']:.0%} of available), "
                     f"{_usd(idle['peak_idle_cost_usd'])}")
    else:
        lines.append("  idle: no available chip is left unused")
    lines.append(f"  plan churn: {facts['moved_chips']:,.0f} chips moved off a model's systems "
                 "between quarters")
    lines.append("  operating profit by year (revenue - every installed chip's cost):")
    years = facts["by_year"]
    if len(years) > 6:  # a long horizon: the first and last years (all in summary.json)
        years = years[:3] + [None] + years[-3:]
    for y in years:
        if y is None:
            lines.append("    ... (every year: summary.json headline.by_year)")
            continue
        margin = ("-" if y["operating_margin"] is None else f"{y['operating_margin']:.0%}")
        at_clearing = (f" (at clearing prices {_usd(y['revenue_at_clearing_usd'])})"
                       if "revenue_at_clearing_usd" in y else "")
        lines.append(f"    {y['year']}: revenue {_usd(y['revenue_usd'])}{at_clearing}, fleet cost "
                     f"{_usd(y['fleet_cost_usd'])}, profit {_usd(y['operating_profit_usd'])} "
                     f"({margin})")
    if width:  # wrapped lines stay one fact each; at 120 columns the summary fits 15 lines
        import textwrap

        lines = [wrapped for line in lines for wrapped in textwrap.wrap(
            line, width, subsequent_indent=" " * (len(line) - len(line.lstrip()) + 2))]
    return lines
