"""Purchase variables: chips bought for later quarters, their limits, budget and idle cost.

A purchase slot b (system, site, quarter ordered) has chips y[b] >= min_chips[b] that stand
in its capacity rows (``Purchases.link_cap``) for its quarters in service. The model charges:

* a used chip its option's ``usd_per_chip_hour`` (as for every installed chip), and
* a bought chip that stands idle its ``committed_usd_per_chip_hour`` (capital and fixed opex,
  or rent), through idle[r] >= bought chips in service at row r - chips used at row r.

Together that is exactly committed cost x bought chips + variable cost x chips used, the real
cost of a purchase, under the model's convention that using an installed chip costs its full
rate. A bought chip therefore earns its keep only where its use is worth its full cost in
every quarter it stands idle too. A tie-break per chip-quarter in service stops the solver
from swapping installed chips for bought ones at equal cost. Supply (``y <= max_chips``) and
budget rows carry the duals that say what one more unit of vendor allocation or budget is
worth.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pulp

from .constraints import _variables, grouped_expressions
from .indexing import IndexedProblem, Purchases


def purchase_variables(prob: pulp.LpProblem, ix: IndexedProblem) -> tuple[np.ndarray, np.ndarray]:
    """(y per slot, idle chips per idle row); y's lower bound is the slot's contracted chips."""
    pu = ix.purchases
    if pu is None:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=object)
    n = len(pu.max_chips)
    y = _variables(prob, "y", range(n), n)
    for v, low in zip(y.tolist(), pu.min_chips.tolist()):
        v.lowBound = low
    idle = pu.idle_rows
    return y, _variables(prob, "v", idle.tolist(), len(ix.capacity_chips))


def capacity_terms(ix: IndexedProblem, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(capacity row, variable, coefficient) of the bought chips: -1 per chip in service."""
    pu = ix.purchases
    if pu is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0)
    return pu.link_cap, y[pu.link_slot], -np.ones(len(pu.link_cap))


def idle_constraints(ix: IndexedProblem, x: np.ndarray, unit_chips: np.ndarray, y: np.ndarray,
                     v: np.ndarray) -> dict[str, pulp.LpConstraint]:
    """Idle bought chips per capacity row r: bought in service - used - idle[r] <= 0."""
    pu = ix.purchases
    if pu is None:
        return {}
    rows = pu.idle_rows
    pos = np.full(len(ix.capacity_chips), -1, dtype=np.int64)
    pos[rows] = np.arange(len(rows))
    opt = np.flatnonzero(pos[ix.option_cap] >= 0)
    term_row = np.concatenate([pos[pu.link_cap], pos[ix.option_cap[opt]]])
    terms = np.concatenate([y[pu.link_slot], x[opt]])
    coefs = np.concatenate([np.ones(len(pu.link_cap)), -unit_chips[opt]])
    _, exprs = grouped_expressions(term_row, len(rows), terms, -coefs, extra_vars=v)
    cons = {}
    for r, e in zip(rows.tolist(), exprs):  # built as used - bought + idle >= 0
        cons[f"idl{r:06d}"] = pulp.LpConstraint(e, pulp.LpConstraintGE, f"idl{r:06d}", 0.0)
    return cons


def supply_constraints(ix: IndexedProblem, y: np.ndarray) -> dict[str, pulp.LpConstraint]:
    """Vendor allocation per slot: y[b] <= max_chips[b] (a row, for its dual)."""
    pu = ix.purchases
    if pu is None:
        return {}
    AE = pulp.LpAffineExpression
    return {f"buy{b:06d}": pulp.LpConstraint(AE([(yb, 1.0)]), pulp.LpConstraintLE,
                                             f"buy{b:06d}", m)
            for b, (yb, m) in enumerate(zip(y.tolist(), pu.max_chips.tolist()))}


def budget_constraints(ix: IndexedProblem, y: np.ndarray) -> dict[str, pulp.LpConstraint]:
    """Budget per quarter ordered: sum of capex of the chips ordered <= budget."""
    pu = ix.purchases
    if pu is None or not len(pu.budget_usd):
        return {}
    linked = np.flatnonzero(pu.budget_row >= 0)
    rows, exprs = grouped_expressions(pu.budget_row[linked], len(pu.budget_usd), y[linked],
                                      pu.usd_per_chip[linked])
    return {f"bud{g:06d}": pulp.LpConstraint(e, pulp.LpConstraintLE, f"bud{g:06d}",
                                             float(pu.budget_usd[g]))
            for g, e in zip(rows.tolist(), exprs)}


def objective_terms(ix: IndexedProblem, y: np.ndarray, v: np.ndarray,
                    tie_break: float) -> tuple[list, list]:
    """(variables, costs): the tie-break per chip-quarter in service, committed cost of idle."""
    pu = ix.purchases
    if pu is None:
        return [], []
    return (y.tolist() + v.tolist(),
            (tie_break * quarters_in_service(pu)).tolist() + idle_cost(ix).tolist())


def quarters_in_service(pu: Purchases) -> np.ndarray:
    """Capacity quarters each slot's chips stand in (within the horizon)."""
    return np.bincount(pu.link_slot, minlength=len(pu.max_chips)).astype(float)


def idle_cost(ix: IndexedProblem) -> np.ndarray:
    """Committed $ per idle chip-hour of each idle row (one value per (system, site))."""
    pu = ix.purchases
    cost = np.zeros(len(ix.capacity_chips))
    cost[pu.link_cap] = pu.committed_usd_per_chip_hour[pu.link_slot]
    return cost[pu.idle_rows]


def bought_in_service(ix: IndexedProblem, bought: np.ndarray) -> np.ndarray:
    """Bought chips standing in each capacity row."""
    pu = ix.purchases
    if pu is None:
        return np.zeros(len(ix.capacity_chips))
    return np.bincount(pu.link_cap, weights=bought[pu.link_slot],
                       minlength=len(ix.capacity_chips))


def idle_bought_cost_usd_per_hour(ix: IndexedProblem, chips: np.ndarray,
                                  bought: np.ndarray) -> float:
    """Committed cost of bought chips left idle, summed over rows ($ per hour, summed)."""
    pu = ix.purchases
    if pu is None:
        return 0.0
    used = np.bincount(ix.option_cap, weights=chips, minlength=len(ix.capacity_chips))
    idle = np.maximum(bought_in_service(ix, bought) - used, 0.0)[pu.idle_rows]
    return float(idle_cost(ix) @ idle)


def round_to_domains(ix: IndexedProblem, bought: np.ndarray) -> np.ndarray:
    """Whole domains per slot: the LP's chips rounded down, then up where the supply limit
    and the budget allow (largest fractions first; ties to the lower slot), never below the
    contracted minimum rounded up to whole domains (capped at the supply limit)."""
    pu = ix.purchases
    d = pu.domain_chips
    floor = np.floor(np.maximum(bought, 0.0) / d + 1e-9) * d
    low = np.minimum(np.ceil(pu.min_chips / d - 1e-9) * d, np.floor(pu.max_chips / d + 1e-9) * d)
    out = np.maximum(floor, low)
    spent = np.zeros(len(pu.budget_usd))
    has = pu.budget_row >= 0
    np.add.at(spent, pu.budget_row[has], (out * pu.usd_per_chip)[has])
    frac = bought - out
    for b in np.lexsort((np.arange(len(frac)), -frac)).tolist():
        if frac[b] <= 1e-9 or out[b] + d[b] > pu.max_chips[b] + 1e-9:
            continue
        g, add = pu.budget_row[b], d[b] * pu.usd_per_chip[b]
        if g >= 0 and spent[g] + add > pu.budget_usd[g] * (1 + 1e-12):
            continue
        out[b] += d[b]
        if g >= 0:
            spent[g] += add
    return out


def with_bought(ix: IndexedProblem, bought: np.ndarray) -> IndexedProblem:
    """``ix`` with the bought chips added to the capacity of their quarters in service."""
    return replace(ix, capacity_chips=ix.capacity_chips + bought_in_service(ix, bought))
