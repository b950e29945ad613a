"""Procurement: the scenario's buyable systems as solver purchase slots, and the plan's
purchases as tables (purchases.csv, summary.json, the fleet with bought chips)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from common.quarters import Quarter
from fleets.costs import committed_usd_per_chip_hour
from fleets.procurement import purchase_slots
from fleets.schema import System
from fleets.timeline import SITE
from planner.costcore.efficiency import infer_family
from planner.run.pnl import HOURS_PER_QUARTER
from planner.scenario.schema import Scenario

DEFAULT_LIFE_QUARTERS = 24  # as FleetEntry.life_quarters


def system_committed_usd_per_chip_hour(system: System) -> float:
    """What a bought chip costs per hour whether used or idle: rent, or capital + fixed opex."""
    if system.usd_per_chip_hour is not None:
        return system.usd_per_chip_hour
    c = system.capex
    return committed_usd_per_chip_hour(c.usd_per_chip, c.life_years, c.cost_of_capital,
                                       c.opex_fraction_per_year)


def slots_table(scenario: Scenario, quarters: list[Quarter]) -> pd.DataFrame | None:
    """The solver's purchase table (see solver.AllocationProblem), None without procurement."""
    pro = scenario.procurement
    if pro is None or not pro.systems:
        return None
    horizon = np.array([q.index for q in quarters], dtype=np.int64)
    label = {q.index: str(q) for q in quarters}
    frames = []
    for key, option in pro.systems.items():
        system, entry = scenario.systems[key], scenario.fleet.get(key)
        s = purchase_slots(horizon, [q.index for q in option.max_chips_per_quarter],
                           list(option.max_chips_per_quarter.values()),
                           [q.index for q in option.min_chips_per_quarter],
                           list(option.min_chips_per_quarter.values()),
                           option.lead_quarters, system.available_from.index)
        life = option.life_quarters or (entry.life_quarters if entry else DEFAULT_LIFE_QUARTERS)
        frames.append(pd.DataFrame({
            "system": key, "site": entry.site if entry is not None else SITE,
            "quarter_ordered": [label[i] for i in s["ordered"].tolist()],
            "quarter": [label[i] for i in s["in_service"].tolist()],
            "life_quarters": life, "min_chips": s["min_chips"], "max_chips": s["max_chips"],
            "domain_chips": system.chips_per_domain,
            "usd_per_chip": system.capex.usd_per_chip if system.capex is not None else 0.0,
            "committed_usd_per_chip_hour": system_committed_usd_per_chip_hour(system)}))
    slots = pd.concat(frames, ignore_index=True)
    return slots if len(slots) else None


def budget_table(scenario: Scenario, quarters: list[Quarter]) -> pd.DataFrame | None:
    """Budget per quarter ordered (a step function of the scenario's points), or None."""
    from common.quarters import step_values

    points = scenario.procurement.budget_usd_per_quarter if scenario.procurement else {}
    if not points:
        return None
    q = np.array([x.index for x in quarters], dtype=np.int64)
    usd = step_values([p.index for p in points], list(points.values()), q, before=np.inf)
    out = pd.DataFrame({"quarter_ordered": [str(x) for x in quarters], "usd": usd})
    return out[np.isfinite(out["usd"])].reset_index(drop=True)


def buyable_quarters(slots: pd.DataFrame | None) -> set[tuple[str, str]]:
    """(system, quarter) pairs where bought chips can serve (for the solver's options)."""
    if slots is None:
        return set()
    order = sorted(set(slots["quarter"]))
    pairs = set()
    for system, first, life in zip(slots["system"], slots["quarter"], slots["life_quarters"]):
        start = order.index(first)
        pairs.update((system, q) for q in order[start:start + int(life)])
    return pairs


def purchases_frame(result_purchases: pd.DataFrame) -> pd.DataFrame:
    """purchases.csv: every slot with its chips, capex and the worth of more allocation."""
    p = result_purchases
    return pd.DataFrame({
        "system": p["system"], "site": p["site"], "quarter_ordered": p["quarter_ordered"],
        "quarter_in_service": p["quarter"], "chips": p["chips"],
        "capex_usd": p["capex_usd"], "min_chips": p["min_chips"], "max_chips": p["max_chips"],
        "committed_usd_per_chip_hour": p["committed_usd_per_chip_hour"],
        "quarters_in_service": p["quarters_in_service"],
        # the objective is $/h summed over quarters: x hours of a quarter = $ over the horizon
        "allocation_worth_usd_per_chip": p["supply_shadow_usd_per_chip_hour"] * HOURS_PER_QUARTER,
    })


def fleet_with_purchases(fleet: pd.DataFrame, utilisation: pd.DataFrame) -> pd.DataFrame:
    """The fleet table with bought chips in service added to installed and available chips
    (column ``purchased_chips``): fleet cost, idle chips and the P&L then count them."""
    cap = utilisation.set_index(["system", "quarter"])["capacity_chips"]
    bought = (cap.reindex(pd.MultiIndex.from_frame(fleet[["system", "quarter"]])).to_numpy()
              - fleet["available_chips"].to_numpy())
    bought = np.where(np.isfinite(bought), np.maximum(bought, 0.0), 0.0)
    bought[bought < 1e-6] = 0.0
    out = fleet.copy()
    out["purchased_chips"] = bought
    out["installed_chips"] = out["installed_chips"] + bought
    out["available_chips"] = out["available_chips"] + bought
    return out


def purchases_summary(purchases: pd.DataFrame, fleet: pd.DataFrame | None = None) -> dict:
    """summary.json `purchases`: totals, by system, the orders placed and, given ``fleet`` (as
    ``fleet_with_purchases`` returns it), the bought chips in service per (system, quarter)."""
    bought = purchases[purchases["chips"] > 0]
    by_system = bought.groupby("system").agg(chips=("chips", "sum"), capex_usd=("capex_usd", "sum"),
                                             first_in_service=("quarter_in_service", "min"))
    out = {"chips": float(bought["chips"].sum()), "capex_usd": float(bought["capex_usd"].sum()),
           "by_system": {k: {"chips": float(r.chips), "capex_usd": float(r.capex_usd),
                             "first_in_service": r.first_in_service}
                         for k, r in by_system.iterrows()},
           "orders": [{"system": r.system, "quarter_ordered": r.quarter_ordered,
                       "quarter_in_service": r.quarter_in_service, "chips": float(r.chips),
                       "capex_usd": float(r.capex_usd)} for r in bought.itertuples()]}
    if fleet is not None:
        in_service = fleet.groupby(["system", "quarter"], sort=True)["purchased_chips"].sum()
        out["in_service"] = [{"system": system, "quarter": quarter, "chips": float(chips)}
                             for (system, quarter), chips in in_service.items() if chips > 0]
    return out


def pnl_with_purchases(pnl: pd.DataFrame, fleet: pd.DataFrame,
                       purchases: pd.DataFrame) -> pd.DataFrame:
    """The P&L with bought chips in service and the capex of orders placed, per quarter
    (capex is cash, shown apart: fleet cost already carries the bought chips' hourly cost)."""
    out = pnl.copy()
    in_service = fleet.groupby("quarter")["purchased_chips"].sum()
    capex = purchases.groupby("quarter_ordered")["capex_usd"].sum()
    out["purchased_chips"] = in_service.reindex(out["quarter"]).fillna(0.0).to_numpy()
    out["purchase_capex_usd"] = capex.reindex(out["quarter"]).fillna(0.0).to_numpy()
    return out


def purchase_lines(purchases: pd.DataFrame) -> list[str]:
    """Terminal summary lines: what the plan buys, its capex, the most valuable allocation."""
    facts = purchases_summary(purchases)
    if not facts["orders"]:
        return ["  purchases: none; no buyable chip earns its committed cost"]
    parts = [f"{k} {v['chips']:,.0f} from {v['first_in_service']}"
             for k, v in sorted(facts["by_system"].items(), key=lambda kv: -kv[1]["chips"])]
    lines = [f"  purchases: {facts['chips']:,.0f} chips, ${facts['capex_usd'] / 1e9:,.2f}B capex "
             f"(rented systems carry none): " + ", ".join(parts)]
    worth = purchases.sort_values("allocation_worth_usd_per_chip", ascending=False,
                                  kind="stable").head(1)
    for r in worth.itertuples():
        if r.allocation_worth_usd_per_chip > 0:
            lines.append(f"  vendor allocation binds: one more {r.system} chip ordered in "
                         f"{r.quarter_ordered} is worth ${r.allocation_worth_usd_per_chip:,.0f} "
                         "over the horizon (purchases.csv allocation_worth_usd_per_chip)")
    return lines


def orders_added(with_model: pd.DataFrame, without_model: pd.DataFrame) -> pd.DataFrame:
    """Chips and capex per system of a plan's orders against the same plan without one model's
    demand: what that model adds to the orders (negative where it displaces a purchase)."""
    def per_system(p):
        return p.groupby("system")[["chips", "capex_usd"]].sum()

    a, b = per_system(with_model), per_system(without_model)
    out = a.add_suffix("_with").join(b.add_suffix("_without"), how="outer").fillna(0.0)
    out["chips_added"] = out["chips_with"] - out["chips_without"]
    out["capex_added_usd"] = out["capex_usd_with"] - out["capex_usd_without"]
    out = out[(out["chips_with"] > 0.5) | (out["chips_without"] > 0.5)]
    return out.reset_index().sort_values(["chips_added", "system"], ascending=[False, True],
                                         kind="stable").reset_index(drop=True)


# NVL72-class: NVIDIA rack-scale systems, one NVLink domain of 72 GPUs or more (GB200/GB300
# and Vera Rubin NVL72, Kyber NVL144); the seed's question is how small their share next to
# 8-GPU servers can be.
NVIDIA_FAMILIES = ("ampere", "hopper", "blackwell", "rubin")


def nvl72_class_share(fleet: pd.DataFrame, systems: dict) -> pd.Series:
    """Per quarter, the share of available chips that stand in NVL72-class systems (0 in a
    quarter without available chips)."""
    rack = {k: infer_family(s) in NVIDIA_FAMILIES and s.chips_per_domain >= 72
            for k, s in systems.items()}
    chips = fleet["available_chips"]
    by_quarter = pd.DataFrame({"rack": chips.where(fleet["system"].map(rack), 0.0),
                               "total": chips}).groupby(fleet["quarter"], sort=True).sum()
    total = by_quarter["total"]
    return (by_quarter["rack"] / total.where(total > 0)).fillna(0.0)


def purchases_view(purchases: pd.DataFrame) -> pd.DataFrame:
    """The terminal's purchases table: orders with chips, in order quarter."""
    bought = purchases[purchases["chips"] > 0]
    return pd.DataFrame({
        "ordered": bought["quarter_ordered"], "system": bought["system"],
        "in_service": bought["quarter_in_service"], "chips": bought["chips"].round(0),
        "capex_$M": (bought["capex_usd"] / 1e6).round(1),
        "worth_$/chip": bought["allocation_worth_usd_per_chip"].round(0),
    }).sort_values(["ordered", "system"], kind="stable").reset_index(drop=True)
