"""Cost and price per task: per-token figures times the tokens a model takes for one task.

A task family (``coding-agent``, ``chat``, ``browse``; free names) is defined per model in
``models.<name>.tokens_per_task``: the input and output tokens one task takes on that model.
A larger model often needs fewer tokens for the same task, so per task it can cost the same
as a smaller one at a higher price per token. All functions return tidy DataFrames:

* ``usd_per_task = (input_tokens x $/M input + output_tokens x $/M output) / 1e6`` for costs;
* ``list_usd_per_task`` likewise from the list prices, the input priced at the model's
  cache mix: ``(1 - cache_hit) x input price + cache_hit x cached-input price`` with the
  ``cache_hit`` of the model's workload (the same convention as the per-token revenue).

:func:`task_costs` works on the cost core's table (cost at full utilisation, `planner cost`);
:func:`per_task_economics` on a solved plan (costs on the systems used, peak-to-average
included, as in the economics table) and is what ``summary.json`` can carry per task.
"""
from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from demand.timeline import usd_per_task
from planner.errors import InputError, Problem
from planner.scenario.schema import Scenario

UNITS = {
    "input_tokens_per_task": "tokens", "output_tokens_per_task": "tokens",
    "usd_per_task": "$/task", "list_usd_per_task": "$/task", "cost_usd_per_task": "$/task",
    "price_at_target_margin_usd_per_task": "$/task", "achievable_price_usd_per_task": "$/task",
    "gross_margin_per_task": "fraction",
}


def task_families(scenario: Scenario) -> list[str]:
    """Every task family named by some model, sorted."""
    return sorted({t for m in scenario.models.values() for t in m.tokens_per_task})


def check_task(scenario: Scenario, task: str, option: str = "--per-task") -> None:
    """Raise InputError unless some model of the scenario defines ``task``."""
    known = task_families(scenario)
    if task in known:
        return
    if not known:
        hint = ("no model defines tokens_per_task; add models.<name>.tokens_per_task."
                f"{task}: {{input_tokens: ..., output_tokens: ...}}")
    else:
        close = difflib.get_close_matches(task, known, n=1)
        hint = (f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(known))
    raise InputError([Problem(option, None, task, f"unknown task family; {hint}")])


def task_tokens(scenario: Scenario, task: str | None = None) -> pd.DataFrame:
    """Per (model, task): input and output tokens per task and the model's cache-hit share."""
    rows = [{"model": name, "task": family, "input_tokens_per_task": t.input_tokens,
             "output_tokens_per_task": t.output_tokens, "cache_hit": m.workload.cache_hit}
            for name, m in scenario.models.items() for family, t in m.tokens_per_task.items()
            if task is None or family == task]
    columns = ["model", "task", "input_tokens_per_task", "output_tokens_per_task", "cache_hit"]
    return pd.DataFrame(rows, columns=columns)


def list_price_per_task(tokens: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """Per (model, task, quarter): list $ per task from a timeline demand table.

    ``tokens`` as from :func:`task_tokens`; ``demand`` as from ``timeline.demand_table`` (or
    a plan's demand, whose prices reflect any override). Models without demand get no rows.
    """
    rows = tokens.merge(demand[["model", "quarter", "price_usd_per_m_input",
                                "price_usd_per_m_cached_input", "price_usd_per_m_output"]],
                        on="model")
    input_price = ((1 - rows["cache_hit"]) * rows["price_usd_per_m_input"]
                   + rows["cache_hit"] * rows["price_usd_per_m_cached_input"])
    rows["list_usd_per_task"] = usd_per_task(rows["input_tokens_per_task"],
                                             rows["output_tokens_per_task"], input_price,
                                             rows["price_usd_per_m_output"])
    return rows[["model", "task", "quarter", "list_usd_per_task"]]


def task_costs(costs: pd.DataFrame, scenario: Scenario, task: str | None = None,
               demand: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per (model, system, quarter, task): cost per task from the cost core's table.

    ``costs`` is ``CostTable.table`` (cheapest configuration meeting the speed targets);
    ``usd_per_task`` is NaN where the configuration misses a target or does not fit
    (``feasible`` False). With ``demand`` (a timeline demand table), ``list_usd_per_task``
    is added (NaN for models without demand).
    """
    tokens = task_tokens(scenario, task)
    rows = costs[["model", "system", "quarter", "feasible", "reason", "usd_per_m_input",
                  "usd_per_m_output"]].merge(tokens.drop(columns="cache_hit"), on="model")
    cost = usd_per_task(rows["input_tokens_per_task"], rows["output_tokens_per_task"],
                        rows["usd_per_m_input"], rows["usd_per_m_output"])
    rows["usd_per_task"] = np.where(rows["feasible"], cost, np.nan)
    if demand is not None:
        rows = rows.merge(list_price_per_task(tokens, demand), on=["model", "task", "quarter"],
                          how="left")
    rows = rows.sort_values(["task", "model", "system", "quarter"], kind="stable")
    rows.attrs["units"] = {k: v for k, v in UNITS.items() if k in rows}
    return rows.reset_index(drop=True)


def task_cost_matrix(rows: pd.DataFrame, task: str) -> pd.DataFrame:
    """The buyer's table for one task: rows (model, system), one column per quarter, $ per task.

    A ``list price`` row per model (when it has demand) follows its systems; '-' (NaN) marks a
    system that cannot serve the model at its speed targets that quarter.
    """
    rows = rows[rows["task"] == task]
    quarters = list(dict.fromkeys(rows["quarter"]))
    cost = rows.pivot_table(index=["model", "system"], columns="quarter", values="usd_per_task",
                            aggfunc="first", dropna=False, sort=False)
    parts = [cost]
    if "list_usd_per_task" in rows and rows["list_usd_per_task"].notna().any():
        listed = (rows.dropna(subset=["list_usd_per_task"])
                  .pivot_table(index="model", columns="quarter", values="list_usd_per_task",
                               aggfunc="first", sort=False))
        listed.index = pd.MultiIndex.from_tuples([(m, "list price") for m in listed.index],
                                                 names=["model", "system"])
        parts.append(listed)
    table = pd.concat(parts).reindex(columns=quarters)
    order = list(dict.fromkeys(rows["model"]))
    table = table.sort_index(level="model", key=lambda idx: idx.map(order.index),
                             sort_remaining=False, kind="stable")
    return table.reset_index().rename_axis(columns=None)


def per_task_economics(plan, task: str | None = None) -> pd.DataFrame:
    """Per (task, model, quarter) of a solved plan: tokens, cost, list price, margin, prices.

    Costs are the plan's per-token costs on the systems used (the cheapest available one for
    unserved demand; peak-to-average included), so ``cost_usd_per_task`` = input tokens x
    ``cost_usd_per_m_input`` + output tokens x ``cost_usd_per_m_output``, over 1e6.
    ``gross_margin_per_task`` = 1 - cost / list price per task; ``price_at_target_margin`` =
    cost / (1 - target margin); ``achievable_price`` adds the scarcity rent in the proportion
    the per-token economics carries it. Only models with demand and ``tokens_per_task``.
    Columns: task, model, quarter, input/output_tokens_per_task, served_fraction, systems,
    cost_basis, cost_usd_per_task, list_usd_per_task, gross_margin_per_task,
    price_at_target_margin_usd_per_task, achievable_price_usd_per_task.
    """
    scenario = plan.loaded.scenario
    margin = scenario.economics.target_margin
    tokens = task_tokens(scenario, task)
    e = plan.economics
    rows = tokens.merge(e[["model", "quarter", "demand_output_tokens_per_day", "served_fraction",
                           "systems", "cost_basis", "cost_usd_per_m_input",
                           "cost_usd_per_m_output", "price_at_target_margin_usd_per_m_output",
                           "achievable_price_usd_per_m_output"]], on="model")
    rows = rows.merge(list_price_per_task(tokens, plan.demand), on=["model", "task", "quarter"])
    cost = usd_per_task(rows["input_tokens_per_task"], rows["output_tokens_per_task"],
                        rows["cost_usd_per_m_input"], rows["cost_usd_per_m_output"])
    listed = rows["list_usd_per_task"]
    target = rows["price_at_target_margin_usd_per_m_output"]
    rent_factor = rows["achievable_price_usd_per_m_output"] / target.where(target > 0)
    out = pd.DataFrame({
        "task": rows["task"], "model": rows["model"], "quarter": rows["quarter"],
        "input_tokens_per_task": rows["input_tokens_per_task"],
        "output_tokens_per_task": rows["output_tokens_per_task"],
        "demand_output_tokens_per_day": rows["demand_output_tokens_per_day"],
        "served_fraction": rows["served_fraction"], "systems": rows["systems"],
        "cost_basis": rows["cost_basis"], "cost_usd_per_task": cost,
        "list_usd_per_task": listed,
        "gross_margin_per_task": np.where(listed > 0, 1 - cost / listed.where(listed > 0), np.nan),
        "price_at_target_margin_usd_per_task": cost / (1 - margin),
        "achievable_price_usd_per_task": cost / (1 - margin) * rent_factor.fillna(1.0),
    })
    # as the per-token economics: no demand (before launch), no margin or price
    no_demand = ~(out["demand_output_tokens_per_day"] > 0)
    out.loc[no_demand, ["gross_margin_per_task", "price_at_target_margin_usd_per_task",
                        "achievable_price_usd_per_task"]] = np.nan
    out = out.sort_values(["task", "quarter", "model"], kind="stable").reset_index(drop=True)
    out.attrs["units"] = {k: v for k, v in UNITS.items() if k in out}
    return out


def per_task_view(economics: pd.DataFrame, task: str) -> pd.DataFrame:
    """Terminal view of one task: rows quarter, per model its cost and list price per task.

    Quarters before a model's launch (no demand) show '-'.
    """
    rows = economics[economics["task"] == task]
    launched = rows["demand_output_tokens_per_day"] > 0
    rows = rows.assign(cost=rows["cost_usd_per_task"].where(launched),
                       list=rows["list_usd_per_task"].where(launched))
    models = list(dict.fromkeys(rows["model"]))
    wide = rows.pivot_table(index="quarter", columns="model", values=["cost", "list"],
                            aggfunc="first", dropna=False, sort=True)
    out = pd.DataFrame({"quarter": wide.index})
    for model in models:
        for kind in ("cost", "list"):
            values = wide[(kind, model)].to_numpy() if (kind, model) in wide else np.nan
            out[f"{model} {kind}"] = values
    return out


def task_quarters(scenario: Scenario) -> list:
    """Default quarters of the per-task comparison: the horizon's last quarter of each year."""
    from planner.scenario.horizon import horizon_quarters

    quarters = horizon_quarters(scenario)
    return [q for i, q in enumerate(quarters)
            if i + 1 == len(quarters) or quarters[i + 1].year != q.year]


def task_cost_report(scenario: Scenario, costs: pd.DataFrame, task: str, quarters: list,
                     json_keys) -> tuple[list[dict], str]:
    """`planner cost --per-task`: JSON records (the cost rows plus per-task fields) and text.

    ``costs`` is the cost core's table already filtered to the wanted models and systems.
    """
    from demand.timeline import demand_table
    from planner.output.tables import format_table, to_records

    rows = task_costs(costs, scenario, task, demand_table(scenario, quarters))
    if rows.empty:
        having = sorted(set(task_tokens(scenario, task)["model"]))
        raise InputError([Problem("--per-task", None, task, "none of the selected models has "
                                  f"tokens_per_task.{task}; models with it: {', '.join(having)}")])
    full = costs[list(json_keys)].merge(
        rows[["model", "system", "quarter", "task", "input_tokens_per_task",
              "output_tokens_per_task", "usd_per_task", "list_usd_per_task"]],
        on=["model", "system", "quarter"])
    missing = sorted(set(costs["model"]) & set(scenario.demand) - set(rows["model"]))
    title = (f"{task}: $ per task on each system (cost at full utilisation, speed targets met; "
             f"'-' = cannot serve) and list price per task")
    tokens = task_tokens(scenario, task)
    tokens = tokens[tokens["model"].isin(rows["model"])]
    lines = [format_table(task_cost_matrix(rows, task), title), "",
             "tokens per task: " + "; ".join(
                 f"{m} {i:,.0f} in / {o:,.0f} out" for m, i, o in
                 zip(tokens["model"], tokens["input_tokens_per_task"],
                     tokens["output_tokens_per_task"]))]
    if missing:
        lines.append(f"no tokens_per_task.{task}: {', '.join(missing)}")
    return to_records(full), "\n".join(lines)
