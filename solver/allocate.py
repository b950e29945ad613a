"""``solve_allocation``: index, build, solve (LP, rounded or MILP), read duals, tabulate."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from . import purchases as P
from . import results as R
from .build import BuiltModel
from .indexing import IndexedProblem, index_problem
from .lp_mode import Plan, build, clean, economic, scatter, service_penalty, solve_lp, timed_solve
from .problem import AllocationProblem, SolveOptions, SolverError
from .results import AllocationResult
from .rounding import round_replicas
from .solve import shadow_prices, solve_model, solver_version


def solve_allocation(problem: AllocationProblem,
                     options: SolveOptions | None = None) -> AllocationResult:
    """Allocate chips to models per quarter and site, maximising value - cost - unmet penalty.

    Raises SolverError when no usable plan comes back (solver failure, time limit without an
    acceptable solution, or an unmeetable minimum service level with ``min_service="hard"``);
    nothing partial is returned and nothing is printed.
    """
    options = options or SolveOptions()
    t_start = time.perf_counter()
    timings = {"build_s": 0.0, "solve_s": 0.0, "duals_s": 0.0}

    ix = index_problem(problem)
    ms_penalty = service_penalty(ix, options)
    timings["build_s"] = time.perf_counter() - t_start
    warnings: list[str] = []
    deadline = t_start + options.time_limit_s
    if ix.purchases is not None and options.integer != "off":
        plan, model, ix = _solve_whole_purchases(ix, options, ms_penalty, timings, deadline,
                                                 warnings)
    else:
        plan, model = _build_and_solve(ix, options, ms_penalty, timings, deadline, warnings)
    report_ix = ix if plan.bought is None else P.with_bought(ix, plan.bought)

    service = R.service_table(ix, plan.chips)
    viol = R.violations(service)
    if len(viol):
        text = R.describe_violations(viol)
        if options.min_service == "hard":
            raise SolverError(f"minimum service level cannot be met: {text}")
        warnings.append(f"minimum service level not met: {text}")

    t0 = time.perf_counter()
    cap_shadow = scatter(len(ix.capacity_chips), model.cap_rows, shadow_prices(plan.cap_pi))
    util = R.utilisation_table(report_ix, plan.chips, cap_shadow)
    power = (R.power_table(ix, plan.chips, scatter(len(ix.power_mw), model.pow_rows,
                                                   shadow_prices(plan.pow_pi)))
             if problem.power_cap is not None else None)
    timings["duals_s"] += time.perf_counter() - t0

    gap = None
    if plan.lp_bound is not None:
        gap = max(plan.lp_bound - plan.solver_objective, 0.0) / max(abs(plan.lp_bound), 1.0)
    timings["total_s"] = time.perf_counter() - t_start
    return AllocationResult(
        allocation=R.allocation_table(ix, plan.chips, plan.replicas),
        service=service,
        utilisation=util,
        power=power,
        objective_usd_per_hour=plan.objective,
        solver_objective_usd_per_hour=plan.solver_objective,
        status=plan.status,
        solver=options.solver,
        solver_version=solver_version(options.solver),
        integer=options.integer,
        timings=timings,
        lp_bound_usd_per_hour=plan.lp_bound_economic,
        gap=gap,
        min_service_violations=viol,
        warnings=tuple(warnings),
        n_variables=model.n_columns,
        n_constraints=model.n_rows,
        tie_break_usd_per_chip_hour=options.tie_break_usd_per_chip_hour,
        min_service_penalty_usd_per_m_output=ms_penalty,
        purchases=(R.purchase_table(ix, plan.bought, plan.buy_shadow)
                   if plan.bought is not None else None),
        budget=(R.budget_table(ix, plan.bought, plan.bud_shadow)
                if plan.bought is not None else None),
    )


def _build_and_solve(ix: IndexedProblem, options: SolveOptions, ms_penalty: float,
                     timings: dict, deadline: float, warnings: list[str]
                     ) -> tuple[Plan, BuiltModel]:
    """Build the model of ``ix`` for the options' integer mode and solve it: the LP with
    HiGHS as arrays (``lp_arrays.py``), CBC and the integer modes in PuLP."""
    t0 = time.perf_counter()
    model = build(ix, options, ms_penalty)
    timings["build_s"] += time.perf_counter() - t0
    if model.n_columns == 0:
        plan = Plan(np.zeros(0), None, 0.0, 0.0, "optimal", np.zeros(0), np.zeros(0))
    elif options.integer == "off":
        plan = solve_lp(ix, model, options, timings)
    else:
        plan = _solve_integer(ix, model, options, timings, deadline, warnings)
    return plan, model


def _solve_whole_purchases(ix: IndexedProblem, options: SolveOptions, ms_penalty: float,
                           timings: dict, deadline: float, warnings: list[str]
                           ) -> tuple[Plan, BuiltModel, IndexedProblem]:
    """Integer modes with purchases: the LP decides what to buy, the purchases are rounded to
    whole domains (``purchases.round_to_domains``), and the integer allocation runs on the
    fleet with those chips installed. Supply and budget duals are the LP's; the objective
    charges the committed cost of bought chips left idle. Returns the plan, the model of the
    second stage and the problem with the purchases fixed (for the tables)."""
    lp, _ = _build_and_solve(ix, replace(options, integer="off"), ms_penalty, timings,
                             deadline, warnings)
    bought = P.round_to_domains(ix, lp.bought if lp.bought is not None
                                else np.zeros(ix.n_purchases))
    fixed = replace(P.with_bought(ix, bought), purchases=None)
    plan, model = _build_and_solve(fixed, options, ms_penalty, timings, deadline, warnings)
    idle_cost = P.idle_bought_cost_usd_per_hour(ix, plan.chips, bought)
    tie = options.tie_break_usd_per_chip_hour * float(P.quarters_in_service(ix.purchases) @ bought)
    bound = {} if plan.lp_bound is None else {
        "lp_bound": plan.lp_bound - idle_cost - tie,
        "lp_bound_economic": plan.lp_bound_economic - idle_cost}
    plan = replace(plan, bought=bought, buy_shadow=lp.buy_shadow, bud_shadow=lp.bud_shadow,
                   objective=plan.objective - idle_cost,
                   solver_objective=plan.solver_objective - idle_cost - tie, **bound)
    return plan, model, ix


def _solve_integer(ix: IndexedProblem, model: BuiltModel, options: SolveOptions,
                   timings: dict, deadline: float, warnings: list[str]) -> Plan:
    """Integer modes: LP bound, whole replicas (rounded or MILP), then duals at the plan.

    Shadow prices come from the LP in which every option keeps at least the plan's replicas
    (lower bounds) and may add fractional ones: the value of one more chip-hour given the
    integer plan that will be run. If that LP fails, the relaxation's duals are used instead
    and a warning says so.
    """
    relax = timed_solve(model, options, timings, mip=False, time_limit_s=options.time_limit_s)
    lp_bound = _pulp_objective(model)
    lp_bound_economic = economic(ix, model, relax, lp_bound)
    t0 = time.perf_counter()
    replicas = round_replicas(ix, clean(relax.x), model.tie_break_usd_per_chip_hour,
                              model.min_service_penalty_usd_per_m)
    timings["round_s"] = time.perf_counter() - t0
    status = "rounded"
    if options.integer == "exact":
        remaining = max(deadline - time.perf_counter(), 0.1 * options.time_limit_s)
        # no MIP start with demand steps: HiGHS 1.16's presolve can take such a start for
        # optimal in its reduced space and return it unimproved (a random small case: 6.0 $/h
        # returned as optimal where whole replicas reach 6.5)
        start = None if ix.demand_steps is not None else _start_values(ix, model, replicas)
        run = timed_solve(model, options, timings, mip=True, time_limit_s=remaining, start=start)
        # the MILP stops within its gap, so its incumbent can fall short of the rounded
        # plan, which is feasible too: the better of the two is the plan
        milp = np.round(run.x)
        if _worth(ix, model, milp) >= _worth(ix, model, replicas):
            replicas = milp
        status = "optimal"
    chips = replicas * model.unit_chips
    objective = _worth(ix, model, replicas)
    if options.integer == "exact" and run.status != "optimal":
        gap = max(lp_bound - objective, 0.0) / max(abs(lp_bound), 1.0)
        if not options.accept_time_limit:
            raise SolverError(
                f"{options.solver}: the MILP stopped at the time limit before reaching the "
                f"gap target {options.gap:g} (incumbent {objective:.6g} $/h, "
                f"{100 * gap:.3g} % below the LP bound); raise the time limit or the gap, "
                f"or use integer mode 'round'")
        status = "time_limit"

    t0 = time.perf_counter()
    cap_pi, pow_pi = relax.cap_pi, relax.pow_pi
    for v, lb in zip(model.x.tolist(), replicas.tolist()):
        v.lowBound = lb
    try:
        fixed = solve_model(model, options.solver, mip=False, time_limit_s=options.time_limit_s,
                            gap=options.gap)
        cap_pi, pow_pi = fixed.cap_pi, fixed.pow_pi
    except SolverError as exc:
        warnings.append(f"shadow prices are the LP relaxation's: the LP at the integer plan "
                        f"failed ({exc})")
    timings["duals_s"] += time.perf_counter() - t0
    return Plan(chips, replicas, objective, R.economic_objective(ix, chips), status, cap_pi,
                pow_pi, lp_bound, lp_bound_economic)


def _worth(ix: IndexedProblem, model: BuiltModel, replicas: np.ndarray) -> float:
    """The solver objective (maximised) of whole replicas."""
    return R.solver_objective(ix, replicas * model.unit_chips, model.tie_break_usd_per_chip_hour,
                              model.min_service_penalty_usd_per_m)


def _start_values(ix: IndexedProblem, model: BuiltModel, replicas: np.ndarray) -> np.ndarray:
    """A feasible MILP start in column order: the replicas, and the unmet, shortfall and
    moved chips they imply (not used with demand steps, see ``_solve_integer``)."""
    chips = replicas * model.unit_chips
    unmet = ix.demand_m_per_hour - R.served(ix, chips)
    short = R.shortfall(ix, chips)[model.z_rows]
    return np.concatenate([replicas, unmet, short, R.moved(ix, chips)])


def _pulp_objective(model: BuiltModel) -> float:
    """PuLP's own objective value of the current solution, in the maximised sense."""
    return -float(model.prob.objective.value())
