"""`planner when`: the earliest quarter a model's demand can be served at a price and margin.

The plan is re-solved with the model sold at the asked price, so the model competes for the
fleet with every other model's claims. A quarter qualifies when (checked in this order):
1. some system available that quarter fits the model and meets its speed target;
2. the cost of the cheapest such system leaves the margin at the price;
3. the allocation serves at least ``share`` of the model's demand;
4. the margin on the systems actually used holds.
The first check that fails is the quarter's binding reason. The earliest quarter is sustained:
from it on, every quarter with demand through the horizon's end qualifies (planner.queries.servable);
a first qualifying quarter that does not last is reported apart (``first_quarter``).

Per task (``task``, a family of the model's ``tokens_per_task``): the table adds the tokens,
cost, price, margin and lowest price (cost / (1 - margin)) per task; the answer is unchanged.
With ``price_per_task`` the model is sold at that price per task: its whole rate card (input,
cached input, output) is scaled in every price period so that one task costs exactly that,
and checks 2 and 4 hold the margin on the task (1 - cost per task / price per task).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.queries.servable import first_and_sustained, quarter_status
from planner.run.economics import output_price_scale, price_at_margin
from planner.run.plan import make_plan
from planner.scenario.loaded import Loaded


@dataclass
class WhenAnswer:
    model: str
    price_output: float | None
    price_input: float | None
    price_cached_input: float | None
    margin: float
    share: float
    earliest_quarter: str | None
    reason: str
    quarters: pd.DataFrame
    task: str | None = None
    price_per_task: float | None = None
    first_quarter: str | None = None  # first ok quarter, sustained or not
    purchases: pd.DataFrame | None = None  # the plan's purchases (procurement), else None
    orders_added: pd.DataFrame | None = None  # per system: this plan's orders minus those
    # of the plan without the model's demand (procurement.orders_added)
    nvl72_share: pd.DataFrame | None = None  # per quarter: NVL72-class share of available
    # chips, with_model and without_model (procurement.nvl72_class_share)

    @property
    def sustained(self) -> bool:
        return self.first_quarter is not None and self.first_quarter == self.earliest_quarter

    def to_json(self) -> dict:
        from planner.output.tables import to_records
        from planner.run.procurement import purchases_summary

        return {"model": self.model, "price_output": self.price_output,
                "price_input": self.price_input, "price_cached_input": self.price_cached_input,
                "margin": self.margin, "share": self.share,
                "task": self.task, "price_per_task": self.price_per_task,
                "earliest_quarter": self.earliest_quarter, "first_quarter": self.first_quarter,
                "reason": self.reason,
                "quarters": to_records(self.quarters),
                **({"purchases": purchases_summary(self.purchases),
                    "orders_added": to_records(self.orders_added),
                    "nvl72_class_share": to_records(self.nvl72_share)}
                   if self.purchases is not None else {})}


def check_model(loaded: Loaded, model: str) -> None:
    s = loaded.scenario
    if model not in s.models:
        raise InputError([Problem("--model", None, model, "unknown model; known: "
                                  + ", ".join(sorted(s.models)))])
    if model not in s.demand:
        raise InputError([Problem("--model", None, model, "has no demand series in the scenario; "
                                  f"add demand.{model} to ask when it can be served")])


def check_task(loaded: Loaded, model: str, task: str) -> None:
    """The model must define ``tokens_per_task.<task>``."""
    from planner.run.tasks import check_task as check_family

    check_family(loaded.scenario, task)
    known = loaded.scenario.models[model].tokens_per_task
    if task not in known:
        raise InputError([Problem("--per-task", None, task, f"model '{model}' has no "
                                  f"tokens_per_task.{task}; its task families: "
                                  + (", ".join(sorted(known)) or "none"))])


def check_task_prices(loaded: Loaded, model: str, task: str) -> None:
    """Raise when a price period of ``model`` prices one ``task`` at zero: a rate card that
    cannot be scaled to a price per task."""
    from demand.timeline import usd_per_task

    m, d = loaded.scenario.models[model], loaded.scenario.demand[model]
    tokens, hit = m.tokens_per_task[task], m.workload.cache_hit
    for prices in (d.price_usd_per_m, *d.price_changes.values()):
        cached = prices.cached_input if prices.cached_input is not None else prices.input
        if usd_per_task(tokens.input_tokens, tokens.output_tokens,
                        (1 - hit) * prices.input + hit * cached, prices.output) <= 0:
            raise InputError([Problem("--price-per-task", None, model, "the list prices are "
                                      "zero, so they cannot be scaled to a price per task; use "
                                      "--price-output and --price-input")])


def when(loaded: Loaded, model: str, price_output: float | None, price_input: float | None = None,
         margin: float | None = None, share: float = 1.0, task: str | None = None,
         price_per_task: float | None = None, price_cached: float | None = None,
         **solver_args) -> WhenAnswer:
    """Answer "when can we serve ``model`` at ``price_output``" quarter by quarter.

    ``price_input``/``price_cached``: input prices (None: the list's; a new input price alone
    keeps the list cache discount). Without ``price_output`` the table gives, per quarter, the
    lowest output list price at ``margin`` with the input prices moved in proportion: the
    same definition as `planner run`'s price at target margin.
    ``task``: add per-task columns; ``price_per_task`` (needs ``task``, excludes the per-token
    prices): sell the model at that price per task (see the module notes).
    """
    check_model(loaded, model)
    if price_per_task is not None and task is None:
        raise InputError([Problem("--price-per-task", None, "", "needs --per-task TASK "
                                  "(the task family the price is for)")])
    if price_per_task is not None and (price_output is not None or price_input is not None
                                       or price_cached is not None):
        raise InputError([Problem("--price-per-task", None, "", "give either a price per task "
                                  "or --price-output/--price-input, not both")])
    if task is not None:
        check_task(loaded, model, task)
    margin = loaded.scenario.economics.target_margin if margin is None else margin
    override = (model, price_input, price_output, price_cached)
    if price_per_task is not None:  # the rate card scaled per price period; a curve's
        check_task_prices(loaded, model, task)  # reference stays the scenario's list
        tokens = loaded.scenario.models[model].tokens_per_task[task]
        override += ((tokens.input_tokens, tokens.output_tokens, price_per_task),)
    plan = make_plan(loaded, price_override=override, **solver_args)
    e = plan.economics[plan.economics["model"] == model].reset_index(drop=True)
    d = plan.demand[plan.demand["model"] == model].reset_index(drop=True)
    costs = plan.costs[plan.costs["model"] == model]
    fleet = plan.fleet[plan.fleet["available_chips"] > 0]
    available = costs.merge(fleet[["system", "quarter"]], on=["system", "quarter"])

    cost, revenue = e["cost_usd_per_m_output_all_in"], d["revenue_usd_per_m_output"]
    if price_input is None and price_cached is None:
        # the rate card scaled (--price-output alone scales the card too): run's price at
        # target margin, at this margin
        lowest_price = pd.Series(price_at_margin(cost, margin, output_price_scale(
            d["price_usd_per_m_output"], revenue)))
    else:  # input prices held: the output price that leaves the margin (0: input covers it)
        input_revenue = revenue - d["price_usd_per_m_output"]
        lowest_price = (price_at_margin(cost, margin) - input_revenue).clip(lower=0.0)
    has_demand = d["m_output_per_hour"] > 0  # before launch: no margin, no lowest price
    lowest_price = lowest_price.where(has_demand)
    achieved_margin = e["gross_margin"].to_numpy()  # at the price asked: the plan's
    per_task = _per_task_columns(plan, model, task, margin) if task else None
    if price_per_task is not None:  # the price and margin that count are the task's
        check = (np.full(len(e), price_per_task), per_task["lowest_price_usd_per_task"],
                 per_task["margin_per_task"], " per task")
    elif price_output is not None:
        check = (np.full(len(e), price_output), lowest_price, achieved_margin, "/M output")
    else:
        check = None

    binding, ok = [], []
    for i, quarter in enumerate(e["quarter"]):
        priced = None if check is None else tuple(np.asarray(c)[i] for c in check[:3]) + check[3:]
        reason = _binding(available[available["quarter"] == quarter], e.loc[i], d.loc[i],
                          priced, margin, share)
        binding.append(reason)
        ok.append(reason == "")
    table = pd.DataFrame({
        "quarter": e["quarter"], "demand_output_tokens_per_day": e["demand_output_tokens_per_day"],
        "served_fraction": e["served_fraction"], "systems": e["systems"],
        "cost_usd_per_m_output": e["cost_usd_per_m_output"],
        "cost_usd_per_m_output_all_in": cost, "price_usd_per_m_input": d["price_usd_per_m_input"],
        "price_usd_per_m_cached_input": d["price_usd_per_m_cached_input"],
        "price_usd_per_m_output": d["price_usd_per_m_output"],
        "revenue_usd_per_m_output": revenue,
        "margin": achieved_margin, "lowest_price_output_usd_per_m": lowest_price})
    if "clearing_price_usd_per_m_output" in e.columns:  # price-responsive demand
        table["clearing_price_usd_per_m_output"] = e["clearing_price_usd_per_m_output"]
    if per_task is not None:
        table = pd.concat([table, per_task], axis=1)
    table["ok"] = ok
    table["binding"] = [b or "ok" for b in binding]
    first_i, from_i = (int(i[0]) for i in first_and_sustained(
        np.array(ok), (d["m_output_per_hour"] > 0).to_numpy()))
    quarters = list(table["quarter"])
    # no answer: the last failing quarter with demand says why (the last quarter without any)
    bad = [i for i, good in enumerate(ok) if not good and d["m_output_per_hour"].iloc[i] > 0]
    last = bad[-1] if bad else len(quarters) - 1
    reason = f"{quarters[last]}: {binding[last]}" if from_i < 0 else ""
    earliest = quarters[from_i] if from_i >= 0 else None
    added = share_of_rack = None
    if plan.purchases is not None:  # what the model adds: against the plan without its demand
        from planner.run.procurement import nvl72_class_share, orders_added

        base = make_plan(loaded, price_override=override, without_model=model, **solver_args)
        added = orders_added(plan.purchases, base.purchases)
        systems = loaded.scenario.systems
        share_of_rack = pd.DataFrame({
            "quarter": quarters,
            "with_model": nvl72_class_share(plan.fleet, systems).reindex(quarters).to_numpy(),
            "without_model": nvl72_class_share(base.fleet, systems).reindex(quarters).to_numpy()})
    return WhenAnswer(model, price_output, price_input, price_cached, margin, share, earliest,
                      reason, table, task, price_per_task,
                      quarters[first_i] if first_i >= 0 else None, plan.purchases, added,
                      share_of_rack)


def _per_task_columns(plan, model: str, task: str, margin: float) -> pd.DataFrame:
    """Tokens, cost, price, margin and lowest price (at ``margin``) per task, per quarter of
    ``model``: :func:`planner.run.tasks.per_task_economics` of the plan."""
    from planner.run.tasks import per_task_economics

    rows = per_task_economics(plan, task, margin)
    quarters = plan.economics.loc[plan.economics["model"] == model, "quarter"]
    rows = rows[rows["model"] == model].set_index("quarter").reindex(quarters)
    return pd.DataFrame({
        "input_tokens_per_task": rows["input_tokens_per_task"],
        "output_tokens_per_task": rows["output_tokens_per_task"],
        "cost_usd_per_task": rows["cost_usd_per_task"],
        "price_usd_per_task": rows["list_usd_per_task"],
        "margin_per_task": rows["gross_margin_per_task"],
        "lowest_price_usd_per_task": rows["price_at_target_margin_usd_per_task"],
    }).reset_index(drop=True)


def _binding(available: pd.DataFrame, econ: pd.Series, dem: pd.Series, priced, margin: float,
             share: float) -> str:
    """``priced``: None (no price asked) or (price, lowest price, achieved margin, unit); the
    cascade of planner.queries.servable, with the reasons no available system fits."""
    if available.empty:
        no_fit = "no system available this quarter"
    elif not available["feasible"].any():
        no_fit = "no system fits: " + "; ".join(sorted(set(available["reason"]))[:2])
    else:
        no_fit = ""
    _, lowest_price, achieved_margin, unit = priced if priced is not None else (None,) * 4
    return quarter_status(
        has_demand=dem["m_output_per_hour"] > 0, no_fit=no_fit,
        served=econ["cost_basis"] == "served", served_fraction=econ["served_fraction"],
        margin=None if priced is None else float(achieved_margin), target_margin=margin,
        needs_price=lowest_price, unit=unit or "/M output", share=share)


def _percent(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "-" if pd.isna(v) else f"{v:.0%}")


def terminal_view(table: pd.DataFrame, per_task: bool) -> pd.DataFrame:
    """The terminal table of `when`: demand in B output tokens a day, served and margin in %,
    $ per M tokens (or per task with ``per_task``); the systems last (cut to fit)."""
    view = {"quarter": table["quarter"],
            "demand_B/day": table["demand_output_tokens_per_day"] / 1e9,
            "served": table["served_fraction"].map(
                lambda f: "no demand" if pd.isna(f) else f"{f:.0%}")}
    if per_task:
        view.update({"out": table["price_usd_per_m_output"],
                     "cost/task": table["cost_usd_per_task"],
                     "price/task": table["price_usd_per_task"],
                     "margin": _percent(table["margin_per_task"]),
                     "lowest/task": table["lowest_price_usd_per_task"]})
    else:
        view.update({"cost_all_in": table["cost_usd_per_m_output_all_in"],
                     "in": table["price_usd_per_m_input"],
                     "cached": table["price_usd_per_m_cached_input"],
                     "out": table["price_usd_per_m_output"],
                     "revenue": table["revenue_usd_per_m_output"],
                     "margin": _percent(table["margin"]),
                     "lowest_out": table["lowest_price_output_usd_per_m"]})
    if "clearing_price_usd_per_m_output" in table.columns:
        view["clearing_out"] = table["clearing_price_usd_per_m_output"]
    view.update({"binding": table["binding"], "systems": table["systems"]})
    return pd.DataFrame(view)
