"""Two speed-ups over PuLP 3.3's per-object paths, both checked against the plain ones in tests.

* ``make_variables``: creating 160k ``LpVariable`` objects through ``prob.add_variable`` costs
  ~0.3 s (name sanitising, bound checks, deprecation plumbing per call). Cloning the attribute
  dict of one variable made by ``add_variable`` is ~3x faster and gives identical objects. If
  PuLP's variable layout ever differs from the one this was written against, it falls back to
  ``add_variable`` (and the tests compare both).
* ``FastHiGHS``: ``pulp.HiGHS`` moves the model into highspy one column and one row at a time
  and walks every constraint three times to list the variables (~1.5 s of a 3 s solve at 160k
  columns). This subclass passes the columns it is given and the rows in one ``addCols`` and
  one ``addRows``, reads the solution back as arrays, and can hand HiGHS a MILP start. It is
  what pulp-notes section 3 measured, and what PuLP 4 does upstream.
"""

from __future__ import annotations

import re

import numpy as np
import pulp

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LAYOUT = {"_LpElement__name", "hash", "modified", "_lowbound_original", "lowBound",
           "_upbound_original", "upBound", "cat", "varValue", "dj"}


def make_variables(prob: pulp.LpProblem, names: list[str], low: float | None = 0.0,
                   cat: str = pulp.LpContinuous, *, fast: bool = True) -> list[pulp.LpVariable]:
    """Variables ``names`` (plain identifiers) with lower bound ``low``, no upper bound."""
    if not names:
        return []
    first = prob.add_variable(names[0], low, None, cat)
    template = dict(first.__dict__)
    if not fast or set(template) != _LAYOUT or not all(map(_PLAIN_NAME.match, names)):
        return [first] + [prob.add_variable(n, low, None, cat) for n in names[1:]]
    new, cls, update = object.__new__, pulp.LpVariable, dict.update
    out = [first]
    append = out.append
    for name in names[1:]:
        v = new(cls)
        d = v.__dict__
        update(d, template)
        d["_LpElement__name"] = name
        d["hash"] = id(v)
        append(v)
    return out


class FastHiGHS(pulp.HiGHS):
    """``pulp.HiGHS`` with a bulk model transfer over the given ``columns``.

    ``columns`` must list every variable of the problem exactly once (the model builder knows
    them, so nothing is rediscovered by walking the rows). ``start`` (values in column order)
    is passed to HiGHS as a starting solution for a MILP.
    """

    def __init__(self, columns: list[pulp.LpVariable], start: np.ndarray | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.columns = columns
        self.start = start

    def actualSolve(self, lp: pulp.LpProblem):  # noqa: N802 (PuLP's name)
        import highspy

        self.createAndConfigureSolver(lp)
        h = lp.solverModel
        cols = self.columns
        n = len(cols)
        for i, v in enumerate(cols):
            v.index = i
        inf = highspy.kHighsInf
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        obj = lp.objective
        cost = np.array([obj.get(v, 0.0) for v in cols], dtype=float) * sign
        lower = np.array([-inf if v.lowBound is None else v.lowBound for v in cols], dtype=float)
        upper = np.array([inf if v.upBound is None else v.upBound for v in cols], dtype=float)
        empty_i, empty_f = np.zeros(0, dtype=np.int32), np.zeros(0)
        h.addCols(n, cost, lower, upper, 0, empty_i, empty_i, empty_f)
        if self.mip:
            ints = np.array([i for i, v in enumerate(cols) if v.cat == pulp.LpInteger],
                            dtype=np.int32)
            if len(ints):
                kind = np.full(len(ints), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
                h.changeColsIntegrality(len(ints), ints, kind)

        cons = list(lp._constraints.values())
        index, value, starts = [], [], []
        for c in cons:
            starts.append(len(index))
            index.extend([v.index for v in c.expr])
            value.extend(c.expr.values())
        row_lo = np.array([-inf if c.getLb() is None else c.getLb() for c in cons], dtype=float)
        row_up = np.array([inf if c.getUb() is None else c.getUb() for c in cons], dtype=float)
        h.addRows(len(cons), row_lo, row_up, len(index), np.array(starts, dtype=np.int32),
                  np.array(index, dtype=np.int32), np.array(value, dtype=float))
        if self.mip and self.start is not None:
            h.setSolution(n, np.arange(n, dtype=np.int32), np.asarray(self.start, dtype=float))

        h.run()
        status, sol_status = self._status(h, highspy)
        if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            solution = h.getSolution()
            for v, x, dj in zip(cols, solution.col_value, solution.col_dual):
                v.varValue, v.dj = x, dj * sign
            for c, pi in zip(cons, solution.row_dual):
                c.pi = pi * sign
        for v in cols:
            v.modified = False
        for c in cons:
            c.modifier = False
        lp.assignStatus(status, sol_status)
        return status

    def _status(self, h, highspy) -> tuple[int, int]:
        ms = highspy.HighsModelStatus
        status = h.getModelStatus()
        if status == ms.kOptimal:
            return pulp.LpStatusOptimal, pulp.LpSolutionOptimal
        if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            return pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible
        if status == ms.kUnbounded:
            return pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded
        stopped = (ms.kTimeLimit, ms.kIterationLimit, ms.kInterrupt, ms.kObjectiveBound,
                   ms.kObjectiveTarget)
        if (status in stopped and self.mip
                and h.getInfo().primal_solution_status == highspy.kSolutionStatusFeasible):
            return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
        return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound
