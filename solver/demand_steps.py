"""Price-responsive demand in the allocation LP: a demand row as a staircase of value steps.

A demand row k with steps s (``AllocationProblem.demand_steps``: model, quarter, step) demands
the sum of its steps' quantities q_s, and each slice has its own value v_s ($ per M output:
what that slice of the demand is willing to pay). Its unmet demand u[k] is split into
g_s in [0, q_s] by one link row ``u[k] - sum_s g_s = 0``; in the objective u[k] keeps only the
row's unmet penalty, each g_s carries v_s, and the constant is ``-sum_s v_s q_s`` instead of
``-value_k * demand_k``. The LP leaves the lowest-valued slices unmet first, so the demand
row's dual is the value of the marginal slice (plus the penalty): what one more M tokens of
that demand would pay. Minimum-service rows and the results read u as before.

In the integer modes the same rule values a plan's unmet demand: :func:`unmet_per_step`
leaves the lowest-valued slices unmet first (what the LP would do at those chips), the
rounding's top-up credits a replica with the value of the slices it serves
(:class:`RowSteps`), and the MILP start carries the implied g. The polish, which knows the
columns x, u, z, w only, leaves a model with steps at the solver's values.
"""

from __future__ import annotations

import numpy as np
import pulp

from .constraints import _variables, grouped_expressions
from .indexing import IndexedProblem


def step_variables(prob: pulp.LpProblem, ix: IndexedProblem) -> np.ndarray:
    """Unmet demand g[s] in [0, q_s] per step (empty without steps)."""
    st = ix.demand_steps
    if st is None:
        return np.zeros(0, dtype=object)
    n = len(st.m_per_hour)
    g = _variables(prob, "g", range(n), n)
    for v, q in zip(g.tolist(), st.m_per_hour.tolist()):
        v.upBound = q
    return g


def link_constraints(ix: IndexedProblem, u: np.ndarray,
                     g: np.ndarray) -> dict[str, pulp.LpConstraint]:
    """``u[k] - sum of the row's g = 0`` per demand row with steps."""
    st = ix.demand_steps
    if st is None:
        return {}
    rows, exprs = grouped_expressions(st.dem_row, len(ix.demand_m_per_hour), g,
                                      -np.ones(len(g)))
    cons = {}
    for k, e in zip(rows.tolist(), exprs):
        e[u[k]] = 1.0
        cons[f"stp{k:06d}"] = pulp.LpConstraint(e, pulp.LpConstraintEQ, f"stp{k:06d}", 0.0)
    return cons


def row_values(ix: IndexedProblem) -> np.ndarray:
    """The value each demand row's u carries: 0 on rows with steps (the steps carry it)."""
    value = np.array(ix.value_usd_per_m, dtype=float)
    if ix.demand_steps is not None:
        value[ix.demand_steps.dem_row] = 0.0
    return value


def objective_constant(ix: IndexedProblem) -> float:
    """Minus the value of all demand served: the rows' value x demand, the steps' v x q."""
    total = float(np.dot(row_values(ix), ix.demand_m_per_hour))
    if ix.demand_steps is not None:
        st = ix.demand_steps
        total += float(np.dot(st.value_usd_per_m, st.m_per_hour))
    return -total


def highest_values(ix: IndexedProblem) -> np.ndarray:
    """Per demand row, the highest value one of its M tokens can have (for penalty bounds)."""
    value = np.array(ix.value_usd_per_m, dtype=float)
    st = ix.demand_steps
    if st is not None:
        np.maximum.at(value, st.dem_row, st.value_usd_per_m)
    return value


def _fill_order(ix: IndexedProblem) -> np.ndarray:
    """Step indices grouped by demand row, lowest value first (ties: step order)."""
    st = ix.demand_steps
    return np.lexsort((np.arange(len(st.dem_row)), st.value_usd_per_m, st.dem_row))


def unmet_per_step(ix: IndexedProblem, unmet: np.ndarray) -> np.ndarray:
    """g per step for unmet demand ``unmet`` per row: the lowest-valued slices unmet first."""
    st = ix.demand_steps
    if st is None:
        return np.zeros(0)
    order = _fill_order(ix)
    rows, q = st.dem_row[order], st.m_per_hour[order]
    cum = np.cumsum(q)
    first = np.r_[True, rows[1:] != rows[:-1]]
    before = cum - q - np.maximum.accumulate(np.where(first, cum - q, 0.0))
    g = np.empty(len(q))
    g[order] = np.clip(np.asarray(unmet, dtype=float)[rows] - before, 0.0, q)
    return g


def served_value(ix: IndexedProblem, served: np.ndarray, unmet: np.ndarray) -> float:
    """$ per hour of the served demand: each row's value x served, or on rows with steps the
    value of the slices served (all but the lowest-valued ``unmet``)."""
    total = float(row_values(ix) @ served)
    st = ix.demand_steps
    if st is not None:
        total += float(st.value_usd_per_m @ (st.m_per_hour - unmet_per_step(ix, unmet)))
    return total


class RowSteps:
    """Per demand row with steps, its slices lowest value first, as plain lists (for the
    rounding's scalar loop): the value of serving more when ``unmet`` is left."""

    def __init__(self, ix: IndexedProblem):
        self.values: dict[int, list[float]] = {}
        self.sizes: dict[int, list[float]] = {}
        st = ix.demand_steps
        if st is None:
            return
        order = _fill_order(ix)
        for k, v, q in zip(st.dem_row[order].tolist(), st.value_usd_per_m[order].tolist(),
                           st.m_per_hour[order].tolist()):
            self.values.setdefault(k, []).append(v)
            self.sizes.setdefault(k, []).append(q)

    def __contains__(self, k: int) -> bool:
        return k in self.values

    def gain(self, k: int, unmet: float, load: float) -> float:
        """Value of serving ``load`` of row k's ``unmet`` demand: the slices between
        unmet - load and unmet in fill order (the most valued of those left unmet)."""
        lo, hi, start, total = unmet - load, unmet, 0.0, 0.0
        for v, q in zip(self.values[k], self.sizes[k]):
            end = start + q
            total += v * max(min(end, hi) - max(start, lo), 0.0)
            if end >= hi:
                break
            start = end
        return total
