"""Assemble the allocation LP/MILP in PuLP from an IndexedProblem, in bulk (for CBC and the
integer modes; the LP with HiGHS is built as arrays by ``lp_arrays.py``, row for row the same).

The model is written as a *minimisation* of

    sum_j (usd_per_chip_hour_j + tie_break) * chips_j
  + sum_k (value_k + penalty_k) * unmet_k
  + min_service_penalty * sum_k shortfall_k
  + migration_usd_per_chip_hour * sum_i moved_i
  + sum_r committed_r * idle_bought_r + tie_break * chip-quarters bought   (purchases.py)
  + sum_s value_s * unmet_s, with u of those rows at penalty only      (demand_steps.py)
  - sum_k value_k * demand_k  (- sum_s value_s * quantity_s for rows with steps; constant)

which is minus the economic objective (value of served demand - serving cost - unmet penalty),
less the tie-break and shortfall terms. Minimising keeps PuLP's dual signs the same for HiGHS
and CBC (pulp-notes section 6). Substituting served = demand - unmet puts the value on u, so an
unserved M token costs value + penalty: in a shortage the LP serves first what earns most per
chip, and the planner's tier penalties order the tiers.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import numpy as np
import pulp

from . import constraints as C
from . import demand_steps as S
from . import purchases as P
from .indexing import IndexedProblem


@dataclass
class BuiltModel:
    """A PuLP model plus the arrays that tie its variables and rows back to the problem."""

    prob: pulp.LpProblem
    unit_chips: np.ndarray            # chips per unit of x[j]
    x: np.ndarray                     # option variables (object array)
    u: np.ndarray                     # unmet variables per demand row
    z_rows: np.ndarray                # demand rows with a minimum service level
    z: np.ndarray                     # their shortfall variables
    cap_rows: np.ndarray              # capacity row ids that have a constraint
    cap_cons: list[pulp.LpConstraint]
    pow_rows: np.ndarray
    pow_cons: list[pulp.LpConstraint]
    w: np.ndarray                     # chips moved per migration row (ix.mig_from)
    tie_break_usd_per_chip_hour: float
    min_service_penalty_usd_per_m: float
    y: np.ndarray                     # chips bought per purchase slot (ix.purchases)
    v: np.ndarray                     # idle bought chips per row of ix.purchases.idle_rows
    buy_cons: list[pulp.LpConstraint]  # supply limit per slot
    bud_cons: list[pulp.LpConstraint]  # budget per quarter ordered (rows with slots)
    bud_rows: np.ndarray
    g: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # unmet per step

    @property
    def columns(self) -> list[pulp.LpVariable]:
        """Every variable once, in column order: options, unmet, shortfall, moved, bought, idle,
        unmet per demand step."""
        return (self.x.tolist() + self.u.tolist() + self.z.tolist() + self.w.tolist()
                + self.y.tolist() + self.v.tolist() + self.g.tolist())

    @property
    def n_rows(self) -> int:
        return len(self.prob._constraints)

    def objective_arrays(self) -> tuple[np.ndarray, float]:
        """(cost per column in column order, constant) of the objective."""
        obj = self.prob.objective
        return np.array([obj.get(v, 0.0) for v in self.columns], dtype=float), obj.constant

    @property
    def n_columns(self) -> int:
        return (len(self.x) + len(self.u) + len(self.z) + len(self.w) + len(self.y)
                + len(self.v) + len(self.g))


def build_model(ix: IndexedProblem, *, replicas: bool, integer: bool,
                tie_break_usd_per_chip_hour: float,
                min_service_penalty_usd_per_m: float | None = None,
                fast: bool = True) -> BuiltModel:
    """Build the model; x counts replicas when ``replicas`` (integer-typed when ``integer``).

    The garbage collector is paused during the build: PuLP creates ~10 objects per column and
    the collector's passes over them cost 15-40 % of the build time for nothing. ``fast=False``
    creates the variables through ``prob.add_variable`` (for tests of the fast path).
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(ix, replicas, integer, tie_break_usd_per_chip_hour,
                      min_service_penalty_usd_per_m, fast)
    finally:
        if gc_was_enabled:
            gc.enable()


def _build(ix, replicas, integer, tie_break, ms_penalty, fast) -> BuiltModel:
    prob = pulp.LpProblem("allocation", pulp.LpMinimize)
    unit_chips = ix.replica_chips.copy() if replicas else np.ones(ix.n_options)
    x = C.option_variables(prob, ix, integer, fast)
    u = C.unmet_variables(prob, ix)
    z_rows, z = C.shortfall_variables(prob, ix)
    w = C.migration_variables(prob, ix)
    y, v = P.purchase_variables(prob, ix)
    g = S.step_variables(prob, ix)
    if ms_penalty is None:
        ms_penalty = min_service_penalty(ix)

    cap_rows, cap = C.capacity_constraints(ix, x, unit_chips, P.capacity_terms(ix, y))
    dem = C.demand_constraints(ix, x, unit_chips, u)
    pow_rows, pw = C.power_constraints(ix, x, unit_chips)
    mins = C.min_service_constraints(ix, u, z_rows, z)
    mig = C.migration_constraints(ix, x, unit_chips, w)
    idle = P.idle_constraints(ix, x, unit_chips, y, v)
    buy = P.supply_constraints(ix, y)
    bud = P.budget_constraints(ix, y)
    steps = S.link_constraints(ix, u, g)
    for rows in (cap, dem, pw, mins, mig, idle, buy, bud, steps):
        prob.extend(rows)

    prob.setObjective(objective_expression(ix, x, unit_chips, u, z, w, tie_break, ms_penalty,
                                           y, v, g))
    bud_rows = np.array([int(name[3:]) for name in bud], dtype=np.int64)
    return BuiltModel(prob, unit_chips, x, u, z_rows, z, cap_rows, list(cap.values()),
                      pow_rows, list(pw.values()), w, tie_break, ms_penalty, y, v,
                      list(buy.values()), list(bud.values()), bud_rows, g)


def objective_expression(ix: IndexedProblem, x: np.ndarray, unit_chips: np.ndarray,
                         u: np.ndarray, z: np.ndarray, w: np.ndarray, tie_break: float,
                         ms_penalty: float, y: np.ndarray | None = None,
                         v: np.ndarray | None = None,
                         g: np.ndarray | None = None) -> pulp.LpAffineExpression:
    """The minimisation objective above, as one pair-built expression with its constant
    (plus the purchase terms of ``solver/purchases.py`` when ``y`` and ``v`` are given, and
    the demand steps' values of ``solver/demand_steps.py`` when ``g`` is)."""
    x_cost = (ix.usd_per_chip_hour + tie_break) * unit_chips
    u_cost = S.row_values(ix) + ix.penalty_usd_per_m
    buy_vars, buy_costs = (P.objective_terms(ix, y, v, tie_break) if y is not None else ([], []))
    step_vars, step_costs = ([], []) if g is None or not len(g) else (
        g.tolist(), ix.demand_steps.value_usd_per_m.tolist())
    variables = x.tolist() + u.tolist() + z.tolist() + w.tolist() + buy_vars + step_vars
    coefs = (x_cost.tolist() + u_cost.tolist() + [float(ms_penalty)] * len(z)
             + [ix.migration_usd_per_chip_hour] * len(w) + buy_costs + step_costs)
    constant = S.objective_constant(ix)
    return pulp.LpAffineExpression(zip(variables, coefs), constant=constant)


def min_service_penalty(ix: IndexedProblem) -> float:
    """A shortfall penalty ($ per M output) that dominates anything capacity could earn instead.

    An extra M token of a model needs at most 1/min(throughput) chip-hours; taking them from any
    other use forgoes at most max((value + penalty) * throughput + cost) per chip-hour, scaled by
    the largest kW ratio when power is capped (freeing power may need more chips elsewhere).
    Times 1000 for margin. Returns 1.0 when no option exists.
    """
    if ix.n_options == 0:
        return 1.0
    tput = ix.tput_m_per_chip_hour
    earn = (S.highest_values(ix) + ix.penalty_usd_per_m)[ix.option_dem] * tput \
        + ix.usd_per_chip_hour
    per_m = max(float(earn.max()), 1.0) / float(tput.min())
    kw = ix.kw_per_chip[ix.option_pow >= 0]
    if ix.has_power_caps and len(kw) and (kw > 0).any():
        per_m *= float(kw.max() / kw[kw > 0].min())
    return 1000.0 * per_m
