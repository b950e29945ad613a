"""The continuous (LP) mode: build, solve, polish; one path for ``solve_allocation`` and for
many instances of a sweep (:func:`solve_indexed_lp`).

With HiGHS the LP is built as arrays (``lp_arrays.py``) and passed in one call; CBC and the
integer modes get the PuLP build (``build.py``). Building is cheap either way (milliseconds
on a default-sized instance), so each instance is built afresh: the solver receives exactly
the input of that instance, and a result never depends on what was solved before.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from . import purchases as P
from .build import BuiltModel, build_model, min_service_penalty
from .highs_lp import objective_value, solve_lp_arrays
from .indexing import IndexedProblem
from .lp_arrays import LpArrays, build_arrays
from .polish import polish_lp
from .problem import SolveOptions
from .solve import SolverRun, shadow_prices, solve_model


@dataclass
class Plan:
    """Whole-plan numbers shared by the three modes."""

    chips: np.ndarray
    replicas: np.ndarray | None
    solver_objective: float                 # what the solver maximised
    objective: float                        # the economic objective
    status: str
    cap_pi: np.ndarray
    pow_pi: np.ndarray
    lp_bound: float | None = None           # relaxation, in the solver's objective
    lp_bound_economic: float | None = None  # relaxation, in the economic objective
    bought: np.ndarray | None = None        # chips per purchase slot
    buy_shadow: np.ndarray | None = None    # gain per chip of vendor allocation, per slot
    bud_shadow: np.ndarray | None = None    # gain per $ of budget, per budget row


@dataclass(frozen=True)
class LpSolution:
    """Chips per option of an instance's LP and what building and solving it took."""

    chips: np.ndarray  # per option of the IndexedProblem; values below 1e-9 are 0
    build_s: float
    solve_s: float     # the solver and the polish


def solve_indexed_lp(ix: IndexedProblem, options: SolveOptions | None = None) -> LpSolution:
    """The continuous LP of ``ix`` solved as ``solve_allocation`` solves it in LP mode
    (built, solved, polished): the entry point for many instances (a sweep). Raises
    SolverError without an optimal solution."""
    options = replace(options or SolveOptions(), integer="off")
    ms_penalty = service_penalty(ix, options)
    timings = {"build_s": 0.0, "solve_s": 0.0}
    t0 = time.perf_counter()
    model = build(ix, options, ms_penalty)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    chips = (solve_lp(ix, model, options, timings).chips if model.n_columns
             else np.zeros(len(ix.tput_m_per_chip_hour)))
    return LpSolution(chips, build_s, time.perf_counter() - t1)


def service_penalty(ix: IndexedProblem, options: SolveOptions) -> float:
    """The minimum-service shortfall penalty: the options' own, else one that dominates
    (``build.min_service_penalty``)."""
    if options.min_service_penalty_usd_per_m_output is not None:
        return options.min_service_penalty_usd_per_m_output
    return min_service_penalty(ix)


def build(ix: IndexedProblem, options: SolveOptions, ms_penalty: float
          ) -> LpArrays | BuiltModel:
    """The model of ``ix`` for the options' mode: arrays for the LP with HiGHS, else PuLP."""
    if options.integer == "off" and options.solver == "highs":
        return build_arrays(ix, tie_break_usd_per_chip_hour=options.tie_break_usd_per_chip_hour,
                            min_service_penalty_usd_per_m=ms_penalty)
    return build_model(ix, replicas=options.integer != "off", integer=options.integer == "exact",
                       tie_break_usd_per_chip_hour=options.tie_break_usd_per_chip_hour,
                       min_service_penalty_usd_per_m=ms_penalty)


def solve_lp(ix: IndexedProblem, model: LpArrays | BuiltModel, options: SolveOptions,
             timings: dict) -> Plan:
    """LP mode: one solve; chips are continuous; duals from the LP. The solution is polished
    (re-derived exactly from its active set, see ``polish.py``) so that solvers agree bit for
    bit on a unique optimum; whatever cannot be polished safely keeps the solver's values."""
    if isinstance(model, LpArrays):
        run = solve_lp_arrays(model, time_limit_s=options.time_limit_s,
                              presolve=options.presolve)
        timings["solve_s"] += run.seconds
        cost, offset = model.cost, model.offset
    else:
        run = timed_solve(model, options, timings, mip=False, time_limit_s=options.time_limit_s)
        cost, offset = model.objective_arrays()
    if ix.purchases is None and ix.demand_steps is None:
        # the polish knows no purchase or step columns: otherwise HiGHS's values stand
        polished = polish_lp(ix, model, run)
        timings["polish_s"] = polished.seconds
        run = polished.run
    chips = model.unit_chips * clean(run.x)
    solver_obj = -objective_value(cost, offset, run.col_values)
    plan = Plan(chips, None, solver_obj, economic(ix, model, run, solver_obj), "optimal",
                run.cap_pi, run.pow_pi)
    if ix.purchases is not None:
        plan.bought = clean(run.y)
        plan.buy_shadow = shadow_prices(run.buy_pi)
        plan.bud_shadow = scatter(len(ix.purchases.budget_usd), model.bud_rows,
                                  shadow_prices(run.bud_pi))
    return plan


def timed_solve(model: BuiltModel, options: SolveOptions, timings: dict, *, mip: bool,
                time_limit_s: float, start: np.ndarray | None = None) -> SolverRun:
    """``solve_model`` with its seconds added to ``timings["solve_s"]``."""
    run = solve_model(model, options.solver, mip=mip, time_limit_s=time_limit_s, gap=options.gap,
                      start=start)
    timings["solve_s"] += run.seconds
    return run


def economic(ix: IndexedProblem, model: LpArrays | BuiltModel, run: SolverRun,
             solver_objective: float) -> float:
    """The economic objective of a solver run: its objective with tie-break and shortfall
    penalty added back, from the solver's own values (so it reconciles with PuLP exactly)."""
    bought_tie = 0.0
    if len(run.y):
        bought_tie = float(P.quarters_in_service(ix.purchases) @ run.y)
    return (solver_objective
            + model.tie_break_usd_per_chip_hour * (float(model.unit_chips @ run.x) + bought_tie)
            + model.min_service_penalty_usd_per_m * float(run.z.sum()))


def clean(values: np.ndarray) -> np.ndarray:
    """Zero solver noise: negative or below 1e-9."""
    out = np.asarray(values, dtype=float).copy()
    out[out < 1e-9] = 0.0
    return out


def scatter(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Length-``n`` zeros with ``values`` at ``rows``."""
    out = np.zeros(n)
    out[rows] = values
    return out
