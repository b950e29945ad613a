"""The allocation model's variable and constraint families, one documented function each.

Conventions shared by every function:

* ``x[j]`` is the decision variable of option j, in *units* of ``unit_chips[j]`` chips: one chip
  in LP mode, one replica (``replica_chips``) in the integer modes. Chips = unit_chips * x.
* ``u[k]`` is unmet demand of demand row k (M output tokens / hour), ``z`` the shortfall below a
  minimum service level of the demand rows that have one.
* Rows are returned as ``{name: LpConstraint}`` in row order, built in bulk from (variable,
  coefficient) pairs grouped with numpy; no expression is grown term by term.
* Names come from zero-padded integer ids (``cap000012``), never from labels, so PuLP's name
  sanitising cannot make two rows collide and the column order is stable.
"""

from __future__ import annotations

import numpy as np
import pulp

from .indexing import IndexedProblem
from .pulp_fast import make_variables


def option_variables(prob: pulp.LpProblem, ix: IndexedProblem, integer: bool,
                     fast: bool = True) -> np.ndarray:
    """Feasibility: one variable per *feasible* option, and none for any other pair.

    A model can only use a system (in a quarter, at a site) when the caller listed that option;
    absent pairs get no column at all, so they can never receive chips. Integer variables count
    whole replicas (used by the ``exact`` mode; relaxations ignore the category).
    """
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    return _variables(prob, "x", range(ix.n_options), ix.n_options, cat, fast)


def _variables(prob: pulp.LpProblem, prefix: str, ids, id_count: int,
               cat: str = pulp.LpContinuous, fast: bool = True) -> np.ndarray:
    """Variables >= 0 named ``prefix`` + id, zero-padded to the width of ``id_count - 1``."""
    width = len(str(max(id_count - 1, 0)))
    out = np.empty(len(ids), dtype=object)
    out[:] = make_variables(prob, [f"{prefix}{i:0{width}d}" for i in ids], 0.0, cat, fast=fast)
    return out


def unmet_variables(prob: pulp.LpProblem, ix: IndexedProblem) -> np.ndarray:
    """Unmet demand u[k] >= 0 per (model, quarter): keeps the plan feasible in any shortage."""
    n = len(ix.demand_m_per_hour)
    return _variables(prob, "u", range(n), n)


def shortfall_variables(prob: pulp.LpProblem, ix: IndexedProblem) -> tuple[np.ndarray, np.ndarray]:
    """Shortfall z >= 0 below the minimum service level, for demand rows with a level > 0.

    Returns (demand row ids, variables). Soft constraint: z is heavily penalised in the
    objective and reported as a violation when positive.
    """
    rows = np.flatnonzero(ix.min_served_fraction > 0)
    return rows, _variables(prob, "z", rows.tolist(), len(ix.demand_m_per_hour))


def capacity_constraints(ix: IndexedProblem, x: np.ndarray, unit_chips: np.ndarray,
                         extra_terms: tuple | None = None
                         ) -> tuple[np.ndarray, dict[str, pulp.LpConstraint]]:
    """Capacity per (system, quarter, site): sum of chips of its options <= chips available.

    ``capacity_chips`` is already net of training/RL reservations. ``extra_terms`` = (rows,
    variables, coefficients) adds terms such as bought chips (-1 each). Rows without any term
    are not written (their shadow price is 0). Returns (capacity row ids, constraints).
    """
    term_row, terms, coefs = ix.option_cap, x, unit_chips
    if extra_terms is not None and len(extra_terms[0]):
        term_row = np.concatenate([ix.option_cap, extra_terms[0]])
        terms = np.concatenate([x, extra_terms[1]])
        coefs = np.concatenate([unit_chips, extra_terms[2]])
    rows, exprs = grouped_expressions(term_row, len(ix.capacity_chips), terms, coefs)
    cons = {f"cap{i:06d}": pulp.LpConstraint(e, pulp.LpConstraintLE, f"cap{i:06d}",
                                             float(ix.capacity_chips[i]))
            for i, e in zip(rows.tolist(), exprs)}
    return rows, cons


def demand_constraints(ix: IndexedProblem, x: np.ndarray, unit_chips: np.ndarray,
                       u: np.ndarray) -> dict[str, pulp.LpConstraint]:
    """Demand balance per (model, quarter): served by options + unmet >= demand.

    Served output is ``m_output_per_chip_hour * chips`` summed over the model's options (the
    throughput already accounts for the model's input tokens). Written as ``>=`` so that whole
    replicas may carry spare throughput; since chips cost (at least the tie-break) and served
    output beyond demand earns nothing, the LP optimum has served + unmet = demand exactly.
    """
    n = len(ix.demand_m_per_hour)
    coef = ix.tput_m_per_chip_hour * unit_chips
    rows, exprs = grouped_expressions(ix.option_dem, n, x, coef, extra_vars=u)
    return {f"dem{k:06d}": pulp.LpConstraint(e, pulp.LpConstraintGE, f"dem{k:06d}",
                                             float(ix.demand_m_per_hour[k]))
            for k, e in zip(rows.tolist(), exprs)}


def power_constraints(ix: IndexedProblem, x: np.ndarray, unit_chips: np.ndarray
                      ) -> tuple[np.ndarray, dict[str, pulp.LpConstraint]]:
    """Power cap per (site, quarter): sum of chips * kw_per_chip / 1000 <= cap in MW.

    Options at a site-quarter without a cap row are unconstrained. Returns (power row ids,
    constraints); rows without options are not written.
    """
    linked = ix.option_pow >= 0
    coef = unit_chips * ix.kw_per_chip / 1000.0
    rows, exprs = grouped_expressions(ix.option_pow[linked], len(ix.power_mw), x[linked],
                                      coef[linked])
    cons = {f"pow{p:06d}": pulp.LpConstraint(e, pulp.LpConstraintLE, f"pow{p:06d}",
                                             float(ix.power_mw[p]))
            for p, e in zip(rows.tolist(), exprs)}
    return rows, cons


def min_service_constraints(ix: IndexedProblem, u: np.ndarray, z_rows: np.ndarray,
                            z: np.ndarray) -> dict[str, pulp.LpConstraint]:
    """Minimum service per (model, quarter): unmet - shortfall <= (1 - min_served_fraction) * demand.

    Together with the demand balance this is served >= fraction * demand - shortfall. Written on
    u (two terms per row) rather than on the options, to stay sparse. Soft: see
    ``shortfall_variables``.
    """
    cons = {}
    for k, zk in zip(z_rows.tolist(), z.tolist()):
        rhs = float((1.0 - ix.min_served_fraction[k]) * ix.demand_m_per_hour[k])
        expr = pulp.LpAffineExpression([(u[k], 1.0), (zk, -1.0)])
        cons[f"min{k:06d}"] = pulp.LpConstraint(expr, pulp.LpConstraintLE, f"min{k:06d}", rhs)
    return cons


def migration_variables(prob: pulp.LpProblem, ix: IndexedProblem) -> np.ndarray:
    """Chips moved w[i] >= 0 per migration row (see ``migration_constraints``)."""
    n = len(ix.mig_from)
    return _variables(prob, "w", range(n), n)


def migration_constraints(ix: IndexedProblem, x: np.ndarray, unit_chips: np.ndarray,
                          w: np.ndarray) -> dict[str, pulp.LpConstraint]:
    """Chips moved: w[i] >= chips of option ``mig_from[i]`` - chips of its successor next
    quarter (``mig_to[i]``; 0 chips when absent). With a cost on w, the plan keeps a model
    on the systems it uses unless moving earns more than the move costs; growth is free."""
    frm, to = ix.mig_from.tolist(), ix.mig_to.tolist()
    xs, unit = x.tolist(), unit_chips.tolist()
    cons = {}
    AE = pulp.LpAffineExpression
    for i, (p, j, wi) in enumerate(zip(frm, to, w.tolist())):
        terms = [(xs[p], unit[p]), (wi, -1.0)] + ([(xs[j], -unit[j])] if j >= 0 else [])
        cons[f"mig{i:06d}"] = pulp.LpConstraint(AE(terms), pulp.LpConstraintLE, f"mig{i:06d}", 0.0)
    return cons


def grouped_expressions(row_of_term: np.ndarray, n_rows: int, variables: np.ndarray,
                        coefs: np.ndarray, extra_vars: np.ndarray | None = None
                        ) -> tuple[np.ndarray, list[pulp.LpAffineExpression]]:
    """One LpAffineExpression per row from (row, variable, coefficient) triples, in bulk.

    Terms are sorted by row once with numpy and each row is a single
    ``LpAffineExpression(zip(vars, coefs))`` over a slice (each variable appears at most once per
    row, which PuLP's pair constructor requires). ``extra_vars[r]`` (coefficient 1) is appended
    to every row r, and then every row is returned; otherwise only rows with terms are.
    """
    order = np.argsort(row_of_term, kind="stable")
    counts = np.bincount(row_of_term, minlength=n_rows) if len(row_of_term) else \
        np.zeros(n_rows, dtype=np.int64)
    ends = np.cumsum(counts).tolist()
    starts = [0] + ends[:-1]
    var_list = variables[order].tolist()
    coef_list = np.asarray(coefs, dtype=float)[order].tolist()
    rows = np.arange(n_rows) if extra_vars is not None else np.flatnonzero(counts)
    exprs = []
    AE = pulp.LpAffineExpression
    for r in rows.tolist():
        a, b = starts[r], ends[r]
        expr = AE(zip(var_list[a:b], coef_list[a:b]))
        if extra_vars is not None:
            expr[extra_vars[r]] = 1.0
        exprs.append(expr)
    return rows, exprs
