"""Terminal tables of a plan: economics per model-quarter, allocation, utilisation."""
from __future__ import annotations

import pandas as pd

from planner.plan import Plan
from planner.tables import format_table


def economics_view(plan: Plan) -> pd.DataFrame:
    e = plan.economics
    return pd.DataFrame({
        "quarter": e["quarter"], "model": e["model"],
        "demand_btok_per_day": e["demand_output_tokens_per_day"] / 1e9,
        "served": e["served_fraction"].map(lambda f: "no demand" if pd.isna(f) else f"{f:.0%}"),
        "cost_in_usd_per_m": e["cost_usd_per_m_input"],
        "cost_out_usd_per_m": e["cost_usd_per_m_output"],
        "list_out_usd_per_m": e["list_usd_per_m_output"],
        "margin": e["gross_margin"].map(lambda m: "-" if pd.isna(m) else f"{m:.0%}"),
        "achievable_out_usd_per_m": e["achievable_price_usd_per_m_output"],
        "systems": e["systems"].where(e["systems"] != "", e["cost_basis"]),
    }).sort_values(["quarter", "model"], kind="stable")


def allocation_view(plan: Plan) -> pd.DataFrame:
    """Chips per quarter and model, one column per system used."""
    a = plan.allocation
    if a.empty:
        return pd.DataFrame({"quarter": [], "model": []})
    table = a.pivot_table(index=["quarter", "model"], columns="system", values="chips",
                          aggfunc="sum", fill_value=0.0).round()
    return table.reset_index().rename_axis(columns=None)


def utilisation_view(plan: Plan) -> pd.DataFrame:
    """One row per quarter, one column per system: "used % / shadow $ per chip-hour"."""
    u = plan.utilisation[plan.utilisation["capacity_chips"] > 0]
    if u.empty:
        return pd.DataFrame({"quarter": []})
    cell = [f"{used:.0%}" + (f" ${price:.3g}" if price > 0.005 else "")
            for used, price in zip(u["utilisation"], u["shadow_price_usd_per_chip_hour"])]
    table = u.assign(cell=cell).pivot(index="quarter", columns="system", values="cell")
    order = [s for s in plan.loaded.scenario.systems if s in table.columns]
    return table[order].fillna("").reset_index().rename_axis(columns=None)


def power_view(plan: Plan) -> pd.DataFrame | None:
    """Per site and quarter: power cap, power used and its shadow price (None without caps)."""
    p = plan.power
    if p is None or p.empty:
        return None
    return pd.DataFrame({"quarter": p["quarter"], "site": p["site"], "cap_mw": p["cap_mw"],
                         "used_mw": p["used_mw"],
                         "shadow_usd_per_mw_hour": p["shadow_price_usd_per_mw_hour"]})


_MODES = {"off": "LP", "round": "whole replicas, rounded LP", "exact": "whole replicas, MILP"}


def render(plan: Plan) -> str:
    s = plan.loaded.scenario
    info = plan.solver_info
    head = (f"Scenario {s.name}: {s.horizon.start}-{s.horizon.end}, {len(s.systems)} systems, "
            f"{len(s.demand)} served models; target margin {s.economics.target_margin:.0%}\n"
            f"Solver {info['solver']} ({_MODES[info['integer']]}): {info['status']}, "
            f"objective ${info['objective_usd_per_hour']:,.0f}/h; "
            f"run {plan.timings_s['total_s']:.2f} s")
    parts = [head,
             format_table(economics_view(plan), "Demand, cost and prices per model "
                          "($/M tokens; achievable = (cost + scarcity rent) / (1 - margin))"),
             format_table(allocation_view(plan), "Allocation (chips serving each model)"),
             format_table(utilisation_view(plan), "Utilisation and scarcity (shadow) price per system "
                          "(share of available chips used; $ = shadow price per chip-hour)")]
    power = power_view(plan)
    if power is not None:
        parts.append(format_table(power, "Site power caps (MW) and their shadow price"))
    parts += per_task_tables(plan)
    return "\n\n".join(parts)


def per_task_tables(plan: Plan) -> list[str]:
    """One table per task family of the served models: cost (on the systems used) and list
    price per task, by quarter; none when no served model has ``tokens_per_task``."""
    from planner.tasks import per_task_economics, per_task_view

    economics = per_task_economics(plan)
    out = []
    for task, task_rows in economics.groupby("task", sort=True):
        rows = task_rows.drop_duplicates("model")
        tokens = "; ".join(f"{m} {i:,.0f} in / {o:,.0f} out" for m, i, o in zip(
            rows["model"], rows["input_tokens_per_task"], rows["output_tokens_per_task"]))
        out.append(format_table(per_task_view(task_rows, task),
                                f"Per task: {task} ($ per task: cost on the systems used, or the "
                                f"cheapest available when unserved; list price)")
                   + f"\ntokens per task: {tokens}")
    return out
