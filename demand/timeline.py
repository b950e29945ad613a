"""Demand over time, per (model, quarter): token volumes between forecast points, the input
mix, list prices (with their changes), revenue, imputed value and the unmet penalty per M
output tokens; as arrays (:func:`demand_arrays`, a sweep sample) and as the run's table
(:func:`demand_table`), both from :func:`model_demand`.

``scenario`` is a validated scenario (anything with ``demand`` and ``models``).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from common.quarters import Quarter, quarter_indices, step_values
from demand.forecast import interpolate_volume, m_tokens_per_hour, revenue_usd_per_m_output

PRIORITY_LEVELS = 9


def unmet_penalty(value_usd_per_m: np.ndarray, priority: int, explicit: float | None) -> np.ndarray:
    """Cost of leaving 1 M output tokens unserved beyond the lost revenue.

    Explicit if given; else lost goodwill of (priority - 1) / 8 x the token's value (list
    revenue plus any imputed value), so serving a priority-9 token is worth twice its value
    and a priority-1 token its value alone. The
    objective and the shadow prices stay in dollars; in a shortage the allocation serves the
    most valuable tokens per chip-hour, tilted towards higher priorities.
    """
    if explicit is not None:
        return np.full_like(value_usd_per_m, explicit, dtype=float)
    return (priority - 1) / (PRIORITY_LEVELS - 1) * np.asarray(value_usd_per_m, dtype=float)


def model_demand(scenario, key: str, q: np.ndarray) -> dict[str, np.ndarray | float]:
    """Demand series ``key`` at quarter indices ``q``: volume, input mix, list prices per
    quarter, revenue and unmet penalty per M output tokens."""
    d, model = scenario.demand[key], scenario.models[key]
    ratio = (d.input_tokens_per_output_token if d.input_tokens_per_output_token is not None
             else model.workload.input_tokens / model.workload.output_tokens)
    per_day = interpolate_volume(quarter_indices(d.output_tokens_per_day),
                                 np.array(list(d.output_tokens_per_day.values())), q,
                                 d.growth_per_year)
    changes = quarter_indices(d.price_changes)
    prices = {name: step_values(changes, np.array([_price(p, name) for p in d.price_changes.values()]),
                                q, before=_price(d.price_usd_per_m, name))
              for name in ("input", "output", "cached_input")}
    revenue = revenue_usd_per_m_output(prices["input"], prices["output"], prices["cached_input"],
                                       ratio, model.workload.cache_hit)
    imputed = imputed_value_usd_per_m_output(d, ratio, model.workload.cache_hit)
    return {"output_tokens_per_day": per_day, "input_tokens_per_output_token": ratio,
            "price_input": prices["input"], "price_output": prices["output"],
            "price_cached_input": prices["cached_input"], "revenue": revenue,
            "imputed": imputed, "value": revenue + imputed,
            "penalty": unmet_penalty(revenue + imputed, d.priority,
                                     d.unmet_penalty_usd_per_m_output)}


def imputed_value_usd_per_m_output(d, input_per_output: float, cache_hit: float) -> float:
    """Imputed (non-revenue) value of 1 M output tokens with their input; 0 when none is set."""
    v = d.imputed_value_usd_per_m
    if v is None:
        return 0.0
    return float(revenue_usd_per_m_output(v.input, v.output, _price(v, "cached_input"),
                                          input_per_output, cache_hit))


@dataclass(frozen=True)
class DemandArrays:
    """Per demand series (scenario order) and quarter, as the columns of :func:`demand_table`."""

    m_output_per_hour: np.ndarray  # (M, Q)
    input_per_output: np.ndarray  # (M,)
    peak_to_average: np.ndarray  # (M,)
    price_output: np.ndarray  # (M, Q) list $ per M output tokens
    revenue: np.ndarray  # (M, Q) list revenue per M output tokens with their input
    value: np.ndarray  # (M, Q) what the allocation values them at: revenue + imputed value
    penalty: np.ndarray  # (M, Q) unmet penalty per M output tokens
    min_served_fraction: np.ndarray  # (M,)


def demand_arrays(scenario, q: np.ndarray, like: tuple | None = None) -> DemandArrays:
    """The demand series at quarter indices ``q`` (:func:`model_demand` of each), as arrays.

    ``like``: (another scenario, its DemandArrays at the same ``q``): the rows of the series
    whose demand entry and model are that scenario's own objects are copied from its arrays
    (a sweep sample shares its untouched parts with its base scenario)."""
    if like is not None and list(like[0].demand) != list(scenario.demand):
        like = None
    rows = []
    for i, (key, d) in enumerate(scenario.demand.items()):
        if like is not None and d is like[0].demand[key] \
                and scenario.models[key] is like[0].models[key]:
            rows.append(tuple(getattr(like[1], f.name)[i] for f in fields(DemandArrays)))
            continue
        series = model_demand(scenario, key, q)
        rows.append((m_tokens_per_hour(series["output_tokens_per_day"]),
                     series["input_tokens_per_output_token"], d.peak_to_average,
                     np.broadcast_to(series["price_output"], q.shape),
                     np.broadcast_to(np.asarray(series["revenue"], dtype=float), q.shape),
                     np.broadcast_to(np.asarray(series["value"], dtype=float), q.shape),
                     series["penalty"], d.min_served_fraction))
    cols = list(zip(*rows)) if rows else [[]] * 8
    return DemandArrays(*(np.array(c, dtype=float) for c in cols))


def demand_table(scenario, quarters: list[Quarter]) -> pd.DataFrame:
    """Per (model, quarter): demand, input mix, list prices, revenue and penalty per M output."""
    q = quarter_indices(quarters)
    frames = []
    for key, d in scenario.demand.items():
        series = model_demand(scenario, key, q)
        frames.append(pd.DataFrame({
            "model": key, "quarter": [str(x) for x in quarters], "tier": scenario.models[key].tier,
            "output_tokens_per_day": series["output_tokens_per_day"],
            "m_output_per_hour": m_tokens_per_hour(series["output_tokens_per_day"]),
            "input_tokens_per_output_token": series["input_tokens_per_output_token"],
            "peak_to_average": d.peak_to_average,
            "price_usd_per_m_input": series["price_input"],
            "price_usd_per_m_output": series["price_output"],
            "price_usd_per_m_cached_input": series["price_cached_input"],
            "revenue_usd_per_m_output": series["revenue"],
            "imputed_value_usd_per_m_output": series["imputed"],
            "value_usd_per_m_output": series["value"], "priority": d.priority,
            "unmet_penalty_usd_per_m_output": series["penalty"],
            "min_served_fraction": d.min_served_fraction,
        }))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def usd_per_task(input_tokens, output_tokens, usd_per_m_input, usd_per_m_output):
    """$ per task from $ per million input and output tokens (arrays broadcast)."""
    return (np.asarray(input_tokens) * np.asarray(usd_per_m_input)
            + np.asarray(output_tokens) * np.asarray(usd_per_m_output)) / 1e6


def override_prices(demand: pd.DataFrame, scenario, model: str,
                    price_input: float | None, price_output: float | None,
                    price_cached: float | None = None,
                    per_task: tuple[float, float, float] | None = None) -> pd.DataFrame:
    """Copy of ``demand`` with ``model`` sold at the given prices (None keeps the list price).

    An output price alone scales the whole list rate card (input and cached input too) to it
    in every quarter (a list without an output price keeps its input prices). A new input
    price without a cached-input price keeps the list cache discount: the cached price moves
    in proportion (list cached x new input / list input). ``per_task`` = (input tokens,
    output tokens, $ per task) instead scales the rate card quarter by quarter so that one
    task, its input at the model's cache mix, costs that price. Revenue and the
    priority-based unmet penalty follow the new prices; an explicit penalty is kept.
    """
    out = demand.copy()
    rows = out["model"] == model
    card = ("price_usd_per_m_input", "price_usd_per_m_cached_input", "price_usd_per_m_output")
    if per_task is not None:
        tokens_in, tokens_out, usd = per_task
        hit = scenario.models[model].workload.cache_hit
        p_in, p_cached, p_out = (out.loc[rows, c].to_numpy(dtype=float) for c in card)
        listed = usd_per_task(tokens_in, tokens_out, (1 - hit) * p_in + hit * p_cached, p_out)
        scale = np.where(listed > 0, usd / np.where(listed > 0, listed, 1.0), 1.0)
        for column, price in zip(card, (p_in, p_cached, p_out)):
            out.loc[rows, column] = price * scale
    if price_output is not None and price_input is None and price_cached is None:
        # the output price alone: the list rate card scaled to it, quarter by quarter
        listed = out.loc[rows, "price_usd_per_m_output"].to_numpy(dtype=float)
        scale = np.where(listed > 0, price_output / np.where(listed > 0, listed, 1.0), 1.0)
        for column in ("price_usd_per_m_input", "price_usd_per_m_cached_input"):
            out.loc[rows, column] = out.loc[rows, column].to_numpy(dtype=float) * scale
    if price_input is not None:
        listed = out.loc[rows, "price_usd_per_m_input"].to_numpy(dtype=float)
        cached = out.loc[rows, "price_usd_per_m_cached_input"].to_numpy(dtype=float)
        ratio = np.where(listed > 0, cached / np.where(listed > 0, listed, 1.0), 1.0)
        out.loc[rows, "price_usd_per_m_input"] = price_input
        out.loc[rows, "price_usd_per_m_cached_input"] = price_input * ratio
    if price_cached is not None:
        out.loc[rows, "price_usd_per_m_cached_input"] = price_cached
    if price_output is not None:
        out.loc[rows, "price_usd_per_m_output"] = price_output
    d, m = scenario.demand[model], scenario.models[model]
    revenue = revenue_usd_per_m_output(out.loc[rows, "price_usd_per_m_input"].to_numpy(),
                                       out.loc[rows, "price_usd_per_m_output"].to_numpy(),
                                       out.loc[rows, "price_usd_per_m_cached_input"].to_numpy(),
                                       out.loc[rows, "input_tokens_per_output_token"].to_numpy(),
                                       m.workload.cache_hit)
    value = revenue + out.loc[rows, "imputed_value_usd_per_m_output"].to_numpy()
    out.loc[rows, "revenue_usd_per_m_output"] = revenue
    out.loc[rows, "value_usd_per_m_output"] = value
    out.loc[rows, "unmet_penalty_usd_per_m_output"] = unmet_penalty(
        value, d.priority, d.unmet_penalty_usd_per_m_output)
    return out


def _price(prices, name: str) -> float:
    if name == "cached_input" and prices.cached_input is None:
        return prices.input
    return getattr(prices, name)
