"""The planning run: scenario -> cost core -> allocation LP -> per-quarter economics."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from common.quarters import Quarter
from demand.timeline import demand_table, override_prices
from fleets.timeline import fleet_table, power_caps
from planner.errors import RunError
from planner.run.elastic import (demand_steps, elastic_demand, is_elastic, pnl_at_clearing,
                                 with_clearing_prices)
from planner.scenario.horizon import horizon_quarters, serving_efficiency
from planner.scenario.loaded import Loaded


@dataclass
class Plan:
    """Everything a run produced, as tidy DataFrames."""

    loaded: Loaded
    quarters: list[Quarter]
    fleet: pd.DataFrame        # system, quarter: installed/available chips, $/chip-hour
    demand: pd.DataFrame       # model, quarter: demand, prices, revenue, penalty
    costs: pd.DataFrame        # model, system, quarter: cheapest configuration (cost core)
    allocation: pd.DataFrame   # model, system, quarter: chips
    economics: pd.DataFrame    # model, quarter: served, cost, price, margin, achievable price
    utilisation: pd.DataFrame  # system, quarter: used, capacity, shadow price
    power: pd.DataFrame | None  # site, quarter: cap, used MW, shadow price (None without caps)
    pnl: pd.DataFrame          # quarter: revenue, fleet cost split, profit (planner.run.pnl)
    solver_info: dict = field(default_factory=dict)
    timings_s: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # solver, inputs and results (stderr)
    purchases: pd.DataFrame | None = None  # slot: chips bought, capex (planner.run.procurement)
    cost_core: object = None   # the cost core's CostTable behind ``costs`` (frontiers: .pareto)

    @cached_property
    def per_task(self) -> pd.DataFrame:
        """planner.run.tasks.per_task_economics of the plan, computed once for every output."""
        from planner.run.tasks import per_task_economics

        return per_task_economics(self)

    @cached_property
    def headline(self) -> dict:
        """planner.run.headline.headline of the plan, computed once for every output."""
        from planner.run.headline import headline

        return headline(self.economics, self.pnl, self.utilisation, self.fleet)


def cost_table(loaded: Loaded, quarters: list[Quarter] | None = None,
               demand_models_only: bool = False):
    """Run the cost core for every (model, system, quarter) of the scenario (with
    ``demand_models_only``, for the models with a demand series: what a plan needs)."""
    from planner.costcore import evaluate

    scenario = loaded.scenario
    quarters = quarters or horizon_quarters(scenario)
    fleet = fleet_table(scenario, quarters)
    usd = (fleet.pivot(index="system", columns="quarter", values="usd_per_chip_hour")
           .loc[list(scenario.systems), [str(q) for q in quarters]])
    models = ({k: m for k, m in scenario.models.items() if k in scenario.demand}
              if demand_models_only else scenario.models)
    return evaluate(models, scenario.systems, quarters, usd.to_numpy(),
                    serving_efficiency(scenario, quarters)), fleet


def migration_usd_per_chip_hour(scenario) -> float:
    """The scenario's one-off cost per chip moved, spread over the hours of a quarter."""
    from planner.run.pnl import HOURS_PER_QUARTER

    return scenario.economics.migration_penalty_usd_per_chip / HOURS_PER_QUARTER


def m_output_per_chip_hour(output_tokens_per_s_per_chip, input_tokens_per_s_per_chip,
                           input_tokens_per_output_token, peak_to_average):
    """M output tokens a chip serves per hour on average, with each output token's input
    tokens, when sized for the peak hour (arrays, elementwise): the LP's throughput."""
    chip_s_per_output = (1.0 / output_tokens_per_s_per_chip
                         + input_tokens_per_output_token / input_tokens_per_s_per_chip)
    return 3600.0 / chip_s_per_output / 1e6 / peak_to_average


def solver_options(costs: pd.DataFrame, fleet: pd.DataFrame, demand: pd.DataFrame,
                   buyable: set[tuple[str, str]] = frozenset()) -> pd.DataFrame:
    """Feasible (model, system, quarter) options with throughput for the model's demand mix,
    where chips are available or can be bought (``buyable`` (system, quarter) pairs).

    Throughput is what a chip serves on average when sized for the peak hour.
    """
    rows = costs[costs["feasible"]].merge(
        demand[["model", "quarter", "input_tokens_per_output_token", "peak_to_average"]],
        on=["model", "quarter"])
    rows = rows.merge(fleet[["system", "quarter", "site", "available_chips", "kw_per_chip"]],
                      on=["system", "quarter"])
    if buyable:
        pairs = pd.MultiIndex.from_frame(rows[["system", "quarter"]])
        rows = rows[(rows["available_chips"] > 0).to_numpy()
                    | pairs.isin(pd.MultiIndex.from_tuples(sorted(buyable)))]
    else:
        rows = rows[rows["available_chips"] > 0]
    return pd.DataFrame({
        "model": rows["model"], "system": rows["system"], "quarter": rows["quarter"],
        "site": rows["site"],
        "m_output_per_chip_hour": m_output_per_chip_hour(
            rows["output_tokens_per_s_per_chip"].to_numpy(),
            rows["input_tokens_per_s_per_chip"].to_numpy(),
            rows["input_tokens_per_output_token"].to_numpy(), rows["peak_to_average"].to_numpy()),
        "usd_per_chip_hour": rows["usd_per_chip_hour"],
        "replica_chips": rows["replica_chips"].round().astype(int),
        "kw_per_chip": rows["kw_per_chip"],
    }).reset_index(drop=True)


def make_plan(loaded: Loaded, integer: str | None = None, backend: str | None = None,
              time_limit_s: float | None = None, gap: float | None = None,
              price_override: tuple | None = None, without_model: str | None = None) -> Plan:
    """Run the whole plan; ``price_override`` = (model, input price, output price[, cached
    input price[, per task]]), each None = list (see :func:`demand.timeline.override_prices`);
    ``without_model``: plan as if that model had no demand (what it adds is the difference)."""
    from planner.run.economics import economics_table
    from planner.run.numerics import check_problem
    from planner.run.plausibility import grid_edge_warnings, input_warnings, result_warnings
    from planner.run.pnl import fleet_pnl
    from solver import AllocationProblem, SolveOptions, SolverError, solve_allocation

    timings = {}
    start = time.perf_counter()
    scenario = loaded.scenario
    if not scenario.demand:
        from planner.errors import InputError, Problem

        file, line = loaded.doc.where(("demand",))
        raise InputError([Problem(file, line, "demand", "the scenario has no demand series, so "
                                  "there is nothing to plan; add demand.<model> with "
                                  "output_tokens_per_day and price_usd_per_m (`planner cost` "
                                  "needs none)")])
    settings = scenario.solver
    elastic = is_elastic(scenario)
    quarters = horizon_quarters(scenario)
    table, fleet = cost_table(loaded, quarters, demand_models_only=True)
    costs = table.table
    demand = demand_table(scenario, quarters)
    scenario_list = demand["price_usd_per_m_output"].to_numpy(dtype=float)
    if price_override:
        demand = override_prices(demand, scenario, *price_override)
    if elastic:
        demand = elastic_demand(demand, scenario, scenario_list)
    if without_model:
        gone = demand["model"] == without_model
        demand = demand.assign(**{k: demand[k].mask(gone, 0.0) for k in (
            "output_tokens_per_day", "m_output_per_hour", "min_served_fraction")})
    timings["cost_core_s"] = time.perf_counter() - start

    from planner.run import procurement

    slots = procurement.slots_table(scenario, quarters)
    options = solver_options(costs, fleet, demand, procurement.buyable_quarters(slots))
    capacity = pd.DataFrame({"system": fleet["system"], "quarter": fleet["quarter"],
                             "site": fleet["site"], "chips": fleet["available_chips"]})
    problem = AllocationProblem(
        options=options, capacity=capacity,
        demand=pd.DataFrame({
            "model": demand["model"], "quarter": demand["quarter"],
            "m_output_per_hour": demand["m_output_per_hour"],
            "value_usd_per_m_output": demand["value_usd_per_m_output"],
            "unmet_penalty_usd_per_m_output": demand["unmet_penalty_usd_per_m_output"],
            "min_served_fraction": demand["min_served_fraction"]}),
        power_cap=power_caps(scenario, quarters),
        migration_usd_per_chip_hour=migration_usd_per_chip_hour(scenario),
        purchases=slots,
        budget=procurement.budget_table(scenario, quarters) if slots is not None else None,
        demand_steps=demand_steps(demand) if elastic else None)
    span_warnings = check_problem(problem)  # LP coefficients spanning > 1e8: into provenance
    try:
        result = solve_allocation(problem, SolveOptions(
            solver=backend or settings.backend, integer=integer or settings.integer,
            time_limit_s=time_limit_s or settings.time_limit_s, gap=gap or settings.gap))
    except SolverError as exc:
        raise RunError(f"the allocation could not be solved: {exc}") from None
    timings.update({f"solver_{k}": v for k, v in result.timings.items()})

    purchases = None
    if result.purchases is not None:
        purchases = procurement.purchases_frame(result.purchases)
        fleet = procurement.fleet_with_purchases(fleet, result.utilisation)
    economics = economics_table(demand, options, result.allocation, result.utilisation, costs,
                                scenario.economics.target_margin)
    if elastic:
        economics = with_clearing_prices(economics, demand)
    pnl = fleet_pnl(economics, fleet, result.allocation,
                    scenario.economics.migration_penalty_usd_per_chip)
    if elastic:
        pnl = pnl_at_clearing(pnl, economics)
    if purchases is not None:
        pnl = procurement.pnl_with_purchases(pnl, fleet, purchases)
    warnings = (list(result.warnings) + span_warnings + input_warnings(scenario, loaded.doc)
                + result_warnings(economics, result.utilisation)
                + grid_edge_warnings(scenario, table))
    timings["total_s"] = time.perf_counter() - start
    info = {"solver": result.solver, "solver_version": result.solver_version,
            "status": result.status,
            "objective_usd_per_hour": result.objective_usd_per_hour,
            "integer": integer or settings.integer,
            "warnings": list(result.warnings) + span_warnings}
    return Plan(loaded, quarters, fleet, demand, costs, result.allocation, economics,
                result.utilisation, result.power, pnl, info, timings, warnings, purchases, table)
