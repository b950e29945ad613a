"""A sample's inputs as arrays: fleet (S, Q), demand (M, Q) and the cost core's choice (M, S, Q).

The fleet and demand arrays compute what :func:`planner.timeline.fleet_table` and
:func:`planner.timeline.demand_table` compute, with the same functions and formulas, as plain
arrays (a sample needs a few hundred numbers; the DataFrames cost more than the physics);
``tests/test_sweep_engine.py`` checks them against the originals. The physics is the cost
core's own entry point, :func:`planner.costcore.evaluate`, so it follows every change to it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demand.forecast import m_tokens_per_hour
from fleets.capacity import available_chips
from planner.costcore import evaluate
from planner.costcore.efficiency import EfficiencyTable
from planner.schema import Scenario
from planner.timeline import (model_demand, serving_efficiency, system_chips, system_kw_per_chip,
                              system_usd_per_chip_hour)


@dataclass(frozen=True)
class FleetArrays:
    """Per system (scenario order) and quarter: chips available; per system: $ and kW per chip."""

    available_chips: np.ndarray  # (S, Q)
    usd_per_chip_hour: np.ndarray  # (S,)
    kw_per_chip: np.ndarray  # (S,)


def fleet_arrays(scenario: Scenario, qidx: np.ndarray) -> FleetArrays:
    """As ``fleet_table``: deliveries within their life, less the reserved fraction."""
    avail = np.zeros((len(scenario.systems), len(qidx)))
    for i, key in enumerate(scenario.systems):
        avail[i] = available_chips(*system_chips(scenario, key, qidx))
    systems = scenario.systems.values()
    return FleetArrays(avail, np.array([system_usd_per_chip_hour(s) for s in systems], dtype=float),
                       np.array([system_kw_per_chip(s) for s in systems], dtype=float))


@dataclass(frozen=True)
class DemandArrays:
    """Per demand series (scenario order) and quarter, as the columns of ``demand_table``."""

    m_output_per_hour: np.ndarray  # (M, Q)
    input_per_output: np.ndarray  # (M,)
    peak_to_average: np.ndarray  # (M,)
    price_output: np.ndarray  # (M, Q) list $ per M output tokens
    revenue: np.ndarray  # (M, Q) list revenue per M output tokens with their input
    value: np.ndarray  # (M, Q) what the allocation values them at: revenue + imputed value
    penalty: np.ndarray  # (M, Q) unmet penalty per M output tokens
    min_served_fraction: np.ndarray  # (M,)


def demand_arrays(scenario: Scenario, qidx: np.ndarray) -> DemandArrays:
    """As ``demand_table`` (the same :func:`planner.timeline.model_demand`), as arrays."""
    rows = []
    for key, d in scenario.demand.items():
        series = model_demand(scenario, key, qidx)
        rows.append((m_tokens_per_hour(series["output_tokens_per_day"]),
                     series["input_tokens_per_output_token"], d.peak_to_average,
                     np.broadcast_to(series["price_output"], qidx.shape),
                     np.broadcast_to(np.asarray(series["revenue"], dtype=float), qidx.shape),
                     np.broadcast_to(np.asarray(series["value"], dtype=float), qidx.shape),
                     series["penalty"], d.min_served_fraction))
    cols = list(zip(*rows)) if rows else [[]] * 8
    return DemandArrays(*(np.array(c, dtype=float) for c in cols))


@dataclass(frozen=True)
class Physics:
    """The cost core's cheapest configuration per (demand model, system, quarter).

    Only what the plan needs: whether a configuration meets the speed targets, its replica
    size and its per-chip throughputs (cost per chip-hour enters later, per sample).
    """

    feasible: np.ndarray  # (M, S, Q) bool
    replica_chips: np.ndarray  # (M, S, Q)
    output_tokens_per_s_per_chip: np.ndarray  # (M, S, Q)
    input_tokens_per_s_per_chip: np.ndarray  # (M, S, Q)


def physics(scenario: Scenario, quarters: tuple[str, ...], qlist,
            efficiency: EfficiencyTable, systems_used: np.ndarray | None = None) -> Physics:
    """The cost core (:func:`planner.costcore.evaluate`, as ``planner run`` calls it) for the
    demand models on the systems in ``systems_used`` (S,) bool (default: all); the other
    systems are reported infeasible (a sample leaves them out when it has no chips of them).

    Prices do not enter the cost core's choice (it minimises chip-seconds per output token),
    so it runs at $1 per chip-hour and the sample's prices are applied by the plan.
    """
    models = {k: scenario.models[k] for k in scenario.demand}
    S, Q, M = len(scenario.systems), len(quarters), len(models)
    keep = np.ones(S, dtype=bool) if systems_used is None else np.asarray(systems_used, bool)
    systems = {k: v for (k, v), kept in zip(scenario.systems.items(), keep) if kept}
    shape = (M, S, Q)
    out = Physics(np.zeros(shape, dtype=bool), np.zeros(shape), np.zeros(shape), np.zeros(shape))
    if not systems or not models:
        return out
    table = evaluate(models, systems, quarters, np.ones((len(systems), Q)),
                     serving_efficiency(scenario, qlist), efficiency).table
    sub = (M, len(systems), Q)  # the table's rows are in (model, system, quarter) order
    out.feasible[:, keep] = table["feasible"].to_numpy(dtype=bool).reshape(sub)
    for name in ("replica_chips", "output_tokens_per_s_per_chip", "input_tokens_per_s_per_chip"):
        getattr(out, name)[:, keep] = table[name].to_numpy(dtype=float).reshape(sub)
    return out
