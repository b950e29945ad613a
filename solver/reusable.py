"""A built allocation LP that is re-solved with new coefficients: the sweep's entry point.

Build once from an :class:`~solver.indexing.IndexedProblem`, then for each new instance with
the same structure (:func:`structure_key`: which options exist and which rows they touch,
which demand rows have a service floor, which have price steps) call
:meth:`ReusableProblem.update` and :meth:`ReusableProblem.solve`. The LP is held as arrays
(``lp_arrays.py``) that ``update`` rebuilds from the new instance, so the solver receives
exactly the input of a fresh build: results do not depend on what was solved before. CBC
gets a fresh PuLP build of the current instance.
"""
from __future__ import annotations

import numpy as np

from .build import build_model, min_service_penalty
from .highs_lp import solve_lp_arrays
from .indexing import IndexedProblem
from .lp_arrays import LpArrays, build_arrays
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
        self.tie_break_usd_per_chip_hour = tie_break_usd_per_chip_hour
        self._take(ix)

    def update(self, ix: IndexedProblem) -> None:
        """Take the coefficients and right-hand sides of ``ix`` (same structure_key)."""
        if structure_key(ix) != self.key:
            raise ValueError("update needs an instance with the same structure")
        self._take(ix)

    def _take(self, ix: IndexedProblem) -> None:
        self.ix = ix
        self.lp: LpArrays = build_arrays(
            ix, tie_break_usd_per_chip_hour=self.tie_break_usd_per_chip_hour,
            min_service_penalty_usd_per_m=min_service_penalty(ix))

    def solve(self, backend: str = "highs", time_limit_s: float = 60.0) -> SolverRun:
        """Solve the LP; raises SolverError without an optimal solution."""
        if backend == "highs":
            return solve_lp_arrays(self.lp, time_limit_s=time_limit_s)
        model = build_model(self.ix, replicas=False, integer=False,
                            tie_break_usd_per_chip_hour=self.tie_break_usd_per_chip_hour,
                            min_service_penalty_usd_per_m=self.lp.min_service_penalty_usd_per_m)
        return solve_model(model, backend, mip=False, time_limit_s=time_limit_s, gap=1e-4)

    def chips(self, run: SolverRun) -> np.ndarray:
        """Chips per option of a solve, with values below 1e-9 cleaned to 0 (as the results)."""
        x = np.asarray(run.x, dtype=float).copy()
        x[x < 1e-9] = 0.0
        return self.lp.unit_chips * x
