"""`planner cost --per-task`: the cost core's cost per task on each system (at full
utilisation, speed targets met) against the list price per task. The per-task definitions
and a plan's per-task economics are :mod:`planner.run.tasks`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demand.timeline import usd_per_task
from planner.errors import InputError, Problem
from planner.run.tasks import UNITS, list_price_per_task, task_tokens
from planner.scenario.schema import Scenario


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
