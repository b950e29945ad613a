"""A built allocation LP that is re-solved with new coefficients: the sweep's entry point.

Build once from an :class:`~solver.indexing.IndexedProblem`, then for each new instance with
the same structure (:func:`structure_key`: which options exist and which rows they touch,
which demand rows have a service floor, which have price steps) call :meth:`ReusableProblem.update` and
:meth:`ReusableProblem.solve`. ``update`` rewrites the objective (price steps' values included), the
capacity, demand, power and minimum-service coefficients and right-hand sides, the steps'
quantities exactly as a fresh build writes them, so
the solver receives the same input as a fresh build: results do not depend on what was solved
before. The problem keeps its own row handles; nothing outside looks rows up by name.
"""
from __future__ import annotations

import numpy as np

from .build import BuiltModel, build_model, min_service_penalty, objective_expression
from .indexing import IndexedProblem
from .problem import SolveOptions
from .solve import SolverRun, solve_model

TIE_BREAK = SolveOptions().tie_break_usd_per_chip_hour


def structure_key(ix: IndexedProblem) -> bytes:
    """Bytes equal for two instances exactly when one built problem can serve both."""
    z_rows = np.flatnonzero(ix.min_served_fraction > 0)
    sizes = np.array([len(ix.capacity_chips), len(ix.demand_m_per_hour), len(ix.power_mw)])
    step_rows = ix.demand_steps.dem_row if ix.demand_steps is not None else np.zeros(0)
    return b"|".join(np.asarray(a, dtype=np.int64).tobytes() for a in (
        sizes, ix.option_cap, ix.option_dem, ix.option_pow, z_rows, ix.mig_from, ix.mig_to,
        [ix.demand_steps is not None], step_rows))


class ReusableProblem:
    """The continuous allocation LP of ``ix`` (chips per option), updatable in place."""

    def __init__(self, ix: IndexedProblem, tie_break_usd_per_chip_hour: float = TIE_BREAK):
        if ix.purchases is not None:
            raise ValueError("ReusableProblem does not update purchase rows; solve problems "
                             "with purchases through solve_allocation")
        self.key = structure_key(ix)
        self.ix = ix
        self.model: BuiltModel = build_model(ix, replicas=False, integer=False,
                                             tie_break_usd_per_chip_hour=tie_break_usd_per_chip_hour)

    def update(self, ix: IndexedProblem) -> None:
        """Take the coefficients and right-hand sides of ``ix`` (same structure_key)."""
        if structure_key(ix) != self.key:
            raise ValueError("update needs an instance with the same structure")
        model, self.ix = self.model, ix
        ms_penalty = min_service_penalty(ix)
        model.min_service_penalty_usd_per_m = ms_penalty
        model.prob.setObjective(objective_expression(
            ix, model.x, model.unit_chips, model.u, model.z, model.w,
            model.tie_break_usd_per_chip_hour, ms_penalty, g=model.g))
        if ix.demand_steps is not None:
            for var, quantity in zip(model.g.tolist(), ix.demand_steps.m_per_hour.tolist()):
                var.upBound = quantity
        _set_rhs(model.cap_cons, ix.capacity_chips[model.cap_rows])
        xs = model.x.tolist()
        coef = (ix.tput_m_per_chip_hour * model.unit_chips).tolist()
        dem = model.dem_cons
        for j, k in enumerate(ix.option_dem.tolist()):
            dem[k].expr[xs[j]] = coef[j]
        _set_rhs(dem, ix.demand_m_per_hour)
        linked = np.flatnonzero(ix.option_pow >= 0)
        if len(linked):
            pos = np.full(len(ix.power_mw), -1, dtype=np.int64)
            pos[model.pow_rows] = np.arange(len(model.pow_rows))
            kw = (model.unit_chips * ix.kw_per_chip / 1000.0).tolist()
            for j, p in zip(linked.tolist(), pos[ix.option_pow[linked]].tolist()):
                model.pow_cons[p].expr[xs[j]] = kw[j]
        _set_rhs(model.pow_cons, ix.power_mw[model.pow_rows])
        z = model.z_rows
        _set_rhs(model.min_cons, (1.0 - ix.min_served_fraction[z]) * ix.demand_m_per_hour[z])

    def solve(self, backend: str = "highs", time_limit_s: float = 60.0) -> SolverRun:
        """Solve the LP; raises SolverError without an optimal solution."""
        return solve_model(self.model, backend, mip=False, time_limit_s=time_limit_s, gap=1e-4)

    def chips(self, run: SolverRun) -> np.ndarray:
        """Chips per option of a solve, with values below 1e-9 cleaned to 0 (as the results)."""
        x = np.asarray(run.x, dtype=float).copy()
        x[x < 1e-9] = 0.0
        return self.model.unit_chips * x


def _set_rhs(cons: list, rhs: np.ndarray) -> None:
    """Right-hand sides of ``expr (<=|>=) rhs`` rows (PuLP stores them as -constant)."""
    for con, value in zip(cons, np.asarray(rhs, dtype=float).tolist()):
        con.constant = con.expr.constant - value

