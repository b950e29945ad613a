"""Terminal view of a plan: the headline summary first, then economics per model-quarter,
allocation and utilisation, fitted to the terminal width (or as wide as they come)."""
from __future__ import annotations

import textwrap

import pandas as pd

from planner.output.tables import format_fitted, format_table
from planner.run.plan import Plan


def economics_view(plan: Plan) -> pd.DataFrame:
    e = plan.economics
    clearing = ({"clearing_out": e["clearing_price_usd_per_m_output"]}
                if "clearing_price_usd_per_m_output" in e.columns else {})
    return pd.DataFrame({
        "quarter": e["quarter"], "model": e["model"],
        "demand_B/day": e["demand_output_tokens_per_day"] / 1e9,
        "served": e["served_fraction"].map(lambda f: "no demand" if pd.isna(f) else f"{f:.0%}"),
        "cost_all_in": e["cost_usd_per_m_output_all_in"],
        "revenue": e["revenue_usd_per_m_output"],
        "margin": e["gross_margin"].map(lambda m: "-" if pd.isna(m) else f"{m:.0%}"),
        "list_out": e["list_usd_per_m_output"], **clearing,
        "achievable_out": e["achievable_price_usd_per_m_output"],
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


def _filtered(frame: pd.DataFrame, models: tuple[str, ...], quarters: tuple[str, ...]):
    if models and "model" in frame.columns:
        frame = frame[frame["model"].isin(models)]
    if quarters and "quarter" in frame.columns:
        frame = frame[frame["quarter"].isin(quarters)]
    return frame


def render(plan: Plan, width: int | None = None, models: tuple[str, ...] = (),
           quarters: tuple[str, ...] = ()) -> str:
    """The run's terminal text: headline summary (whole plan), then the tables (filtered to
    ``models``/``quarters`` when given), each fitted to ``width`` columns (None: as wide as
    they come)."""
    from planner.run.headline import headline_lines

    s = plan.loaded.scenario
    info = plan.solver_info
    head = (f"Scenario {s.name}: {s.horizon.start}-{s.horizon.end}, {len(s.systems)} systems, "
            f"{len(s.demand)} served models; target margin {s.economics.target_margin:.0%}\n"
            f"Solver {info['solver']} ({_MODES[info['integer']]}): {info['status']}, "
            f"objective ${info['objective_usd_per_hour']:,.0f}/h; "
            f"run {plan.timings_s['total_s']:.2f} s")
    if width:
        head = "\n".join(textwrap.fill(line, width) for line in head.splitlines())
    lines = headline_lines(plan.headline, width)
    if plan.purchases is not None:
        from planner.run.procurement import purchase_lines

        lines += [textwrap.fill(x, width, subsequent_indent="    ") if width else x
                  for x in purchase_lines(plan.purchases)]
    parts = [head, "\n".join(lines)]

    def table(frame: pd.DataFrame, title: str, keys: list[str]) -> str:
        frame = _filtered(frame, models, quarters)
        return (format_table(frame, title) if width is None
                else format_fitted(frame, title, keys, width))

    parts += [table(economics_view(plan), "Demand (B output tokens/day), cost and prices per "
                    "model: $ per M output tokens with their input tokens; margin = 1 - "
                    "cost_all_in / revenue (at list prices);\nlist_out = list output price; "
                    "achievable_out = (cost + scarcity rent) / (1 - target margin), as an output "
                    "price with input prices in proportion"
                    + ("; clearing_out = the output price at which price-responsive demand "
                       "equals what is served (list when all is)"
                       if "clearing_price_usd_per_m_output" in plan.economics.columns else ""),
                    ["quarter", "model"]),
              table(allocation_view(plan), "Allocation (chips serving each model)",
                    ["quarter", "model"]),
              table(utilisation_view(plan), "Utilisation and scarcity (shadow) price per system "
                    "(share of available chips used; $ = shadow price per chip-hour)", ["quarter"])]
    power = power_view(plan)
    if power is not None:
        parts.append(table(power, "Site power caps (MW) and their shadow price",
                           ["quarter", "site"]))
    if plan.purchases is not None:
        from planner.run.procurement import purchases_view

        bought = purchases_view(plan.purchases)
        if len(bought):
            parts.append(table(bought, "Purchases (chips ordered; capex; worth = value of one "
                               "more chip of vendor allocation over the horizon)",
                               ["ordered", "system"]))
    parts += per_task_tables(plan, table, width, models)
    return "\n\n".join(parts)


def per_task_tables(plan: Plan, table, width: int | None = None,
                    models: tuple[str, ...] = ()) -> list[str]:
    """One table per task family of the served models: cost (on the systems used) and list
    price per task, by quarter; none when no served model has ``tokens_per_task``.
    ``table(frame, title, keys)`` formats (and filters) each."""
    from planner.run.tasks import per_task_view

    economics = plan.per_task
    if models:
        economics = economics[economics["model"].isin(models)]
    out = []
    for task, task_rows in economics.groupby("task", sort=True):
        rows = task_rows.drop_duplicates("model")
        tokens = "; ".join(f"{m} {i:,.0f} in / {o:,.0f} out" for m, i, o in zip(
            rows["model"], rows["input_tokens_per_task"], rows["output_tokens_per_task"]))
        out.append(table(per_task_view(task_rows, task),
                         f"Per task: {task} ($ per task: cost on the systems used, or the "
                         f"cheapest available when unserved; list price)", ["quarter"])
                   + "\n" + (textwrap.fill(f"tokens per task: {tokens}", width) if width
                             else f"tokens per task: {tokens}"))
    return out
