"""Solve an :class:`~solver.lp_arrays.LpArrays` LP in HiGHS: one ``passModel``, arrays back.

The HiGHS rules of ``solve.py`` hold: the banner is swallowed, ``threads`` is never set, and
success is judged by HiGHS's model status. Options are the ones ``pulp.HiGHS`` sets for an LP
(output off, the time limit), so HiGHS sees what the PuLP path gave it.
"""

from __future__ import annotations

import time

import numpy as np

from .lp_arrays import LpArrays
from .problem import SolverError
from .solve import PURCHASE_HIGHS_OPTIONS, SolverRun, _swallow_highs_banner, failure_message


def solve_lp_arrays(lp: LpArrays, *, time_limit_s: float, presolve: bool = True) -> SolverRun:
    """Solve the LP (``presolve``: HiGHS's, as ``SolveOptions.presolve``); raise SolverError
    (with HiGHS's status) unless it is optimal."""
    import highspy

    _swallow_highs_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    if not presolve:
        h.setOptionValue("presolve", "off")
    for key, value in (PURCHASE_HIGHS_OPTIONS if lp.n_y else {}).items():
        h.setOptionValue(key, value)
    t0 = time.perf_counter()
    try:
        if pass_model(h, lp) == highspy.HighsStatus.kError:
            raise SolverError("highs failed: the model was refused")
        h.run()
    except SolverError:
        raise
    except Exception as exc:  # noqa: BLE001 - highspy's own failures, as the PuLP path words them
        raise SolverError(f"highs failed: {exc}") from None
    seconds = time.perf_counter() - t0
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(failure_message("highs", False, h.modelStatusToString(status),
                                          seconds, time_limit_s))
    solution = h.getSolution()
    x, u, z, w, y, _, _ = lp.split(solution.col_value)
    pi = np.asarray(solution.row_dual, dtype=float)
    n_cap, n_pow = len(lp.cap_rows), len(lp.pow_rows)
    return SolverRun("optimal", x, u, z, w, pi[:n_cap], pi[lp.pow_at:lp.pow_at + n_pow],
                     seconds, y, pi[lp.buy_at:lp.buy_at + lp.n_y],
                     pi[lp.bud_at:lp.bud_at + len(lp.bud_rows)], row_pi=pi,
                     col_values=np.asarray(solution.col_value, dtype=float))


def pass_model(h, lp: LpArrays):
    """Pass ``lp`` to the ``highspy.Highs`` ``h`` (minimisation, row-wise matrix, no offset:
    the PuLP path passes none either) straight from the arrays, as HiGHS's C API takes them
    (a ``HighsLp`` built attribute by attribute copied them through Python first: 0.6 ms on
    a default-sized LP); its status."""
    import highspy

    return h.passModel(
        lp.n_columns, lp.n_rows, len(lp.value), int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize), 0.0, *(np.ascontiguousarray(a, dtype=np.float64) for a in (
            lp.cost, lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper)),
        np.ascontiguousarray(lp.starts, dtype=np.int32),
        np.ascontiguousarray(lp.index, dtype=np.int32),
        np.ascontiguousarray(lp.value, dtype=np.float64),
        np.zeros(lp.n_columns, dtype=np.int32))  # integrality: every column continuous


def objective_value(cost: np.ndarray, offset: float, values: np.ndarray) -> float:
    """offset + cost @ values summed left to right, as PuLP's ``LpAffineExpression.value``
    does (so both paths report the same bits)."""
    terms = np.concatenate([[offset], np.asarray(cost, dtype=float) * values])
    return float(np.add.accumulate(terms)[-1])
