"""Cost and price per task of a solved plan: per-token figures times the tokens a model takes
for one task.

A task family (``coding-agent``, ``chat``, ``browse``; free names) is defined per model in
``models.<name>.tokens_per_task``: the input and output tokens one task takes on that model.
A larger model often needs fewer tokens for the same task, so per task it can cost the same
as a smaller one at a higher price per token. All functions return tidy DataFrames:

* ``usd_per_task = (input_tokens x $/M input + output_tokens x $/M output) / 1e6`` for costs;
* ``list_usd_per_task`` likewise from the list prices, the input priced at the model's
  cache mix: ``(1 - cache_hit) x input price + cache_hit x cached-input price`` with the
  ``cache_hit`` of the model's workload (the same convention as the per-token revenue).

:func:`per_task_economics` works on a solved plan (costs on the systems used, peak-to-average
included, as in the economics table) and is what ``summary.json`` can carry per task; the
cost core's per-task table (`planner cost --per-task`) is :mod:`planner.queries.tasks`.
"""
from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from demand.timeline import usd_per_task
from planner.errors import InputError, Problem
from planner.run.economics import gross_margin, price_at_margin
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


def per_task_economics(plan, task: str | None = None, margin: float | None = None
                       ) -> pd.DataFrame:
    """Per (task, model, quarter) of a solved plan: tokens, cost, list price, margin, prices.

    Costs are the plan's per-token costs on the systems used (the cheapest available one for
    unserved demand; peak-to-average included), so ``cost_usd_per_task`` = input tokens x
    ``cost_usd_per_m_input`` + output tokens x ``cost_usd_per_m_output``, over 1e6.
    ``gross_margin_per_task`` = 1 - cost / list price per task; ``price_at_target_margin`` =
    cost / (1 - margin) (``margin``: default the scenario's target; the definitions of
    :mod:`planner.run.economics`); ``achievable_price`` adds the scarcity rent in the
    proportion the per-token economics carries it. Only models with demand and
    ``tokens_per_task``.
    Columns: task, model, quarter, input/output_tokens_per_task, served_fraction, systems,
    cost_basis, cost_usd_per_task, list_usd_per_task, gross_margin_per_task,
    price_at_target_margin_usd_per_task, achievable_price_usd_per_task.
    """
    scenario = plan.loaded.scenario
    margin = scenario.economics.target_margin if margin is None else margin
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
        "gross_margin_per_task": gross_margin(cost, listed, True),
        "price_at_target_margin_usd_per_task": price_at_margin(cost, margin),
        "achievable_price_usd_per_task": price_at_margin(cost, margin) * rent_factor.fillna(1.0),
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
    quarters = sorted(set(rows["quarter"]))
    out = {"quarter": quarters}
    for model, model_rows in rows.groupby("model", sort=False):  # one row per (model, quarter)
        by_quarter = model_rows.set_index("quarter")
        for kind in ("cost", "list"):
            out[f"{model} {kind}"] = by_quarter[kind].reindex(quarters).to_numpy(dtype=float)
    return pd.DataFrame(out)
