"""Polish an LP solution: re-derive the vertex exactly from its active set, solver-independently.

HiGHS returns doubles; PuLP's CBC reads a text solution file with about 8 significant digits.
On an LP with a unique optimum both describe the same vertex, but their numbers differ from
the 9th digit on, and so would every published table. ``polish_lp`` takes the solver's
solution, reads off its active set (which variables are nonzero, which rows bind) and solves
the binding equalities for the nonzero variables with numpy. The result depends only on the
problem data and the active set, so two solvers that find the same vertex publish the same
bits. Duals are re-derived the same way (reduced cost zero on the nonzero variables).

Everything is checked before it is used; whatever fails a check keeps the solver's values:

* The system splits into independent blocks (connected components of binding rows and nonzero
  variables; quarters never interact, for instance). A block is polished only if it determines
  its variables uniquely: square and well-conditioned, or with more rows than variables and
  full column rank with a least-squares residual within tolerance (degenerate vertex). A block
  with fewer rows than variables (a face of optima, ties) keeps the solver's values.
* A polished block must have no value below -tol (tiny negatives are clipped to 0) and must
  move no value by more than ``max_change`` relative to its scale.
* The whole polished vector must satisfy every row within tolerance and its objective must not
  be worse than the solver's by more than ``obj_rel_tol`` of the objective's scale; otherwise
  nothing is polished.
* Duals are taken from the square blocks only; other blocks keep the solver's. The combined
  duals must have the right signs and non-negative reduced costs (within tolerance), or the
  solver's duals are kept as they are (rounded nowhere).

Tolerances are relative to each row's or variable's scale (capacity in chips, demand in M
output/h, cap in MW): a row binds when its slack is below ``rel_tol`` x max(1, |rhs|, |terms|).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from .build import BuiltModel
from .coo import Coo, bipartite_components, block_members, local_index
from .indexing import IndexedProblem
from .lp_arrays import LpArrays
from .solve import SolverRun


@dataclass
class PolishOutcome:
    """What ``polish_lp`` did. ``run`` is the polished run (or the solver's, unchanged)."""

    run: SolverRun
    applied: bool               # primal values replaced (in all blocks or some)
    duals_applied: bool         # duals replaced (in the square blocks)
    n_blocks: int = 0
    n_skipped: int = 0          # blocks that kept the solver's values
    note: str = ""
    seconds: float = 0.0


@dataclass
class _LP:
    """The model as arrays: min c.v + const, A v (<= or >=) b, v >= 0; columns x, u, z, w."""

    A: Coo
    b: np.ndarray
    le: np.ndarray              # True for <= rows, False for >= rows
    c: np.ndarray
    col_scale: np.ndarray
    n_cap: int
    n_dem: int
    n_pow: int


_ONE_BLAS_THREAD = threading.Lock()


def polish_lp(ix: IndexedProblem, model: LpArrays | BuiltModel, run: SolverRun,
              **tolerances: float) -> PolishOutcome:
    """Re-solve the binding equalities of an optimal LP solution exactly (see module doc).

    ``run`` must come from an LP (not MILP) solve of ``model`` (columns x, u, z, w only; rows
    in the order of ``_arrays``). A variable counts as nonzero above ``zero_tol`` x its scale,
    a row binds within ``rel_tol`` x its scale (``tolerances``: see :func:`_polish`). Never
    raises on numerical trouble: the outcome says whether anything was replaced, and why not.

    The linear algebra runs on one BLAS thread: multi-threaded OpenBLAS gives results that
    differ in their last bits with the machine's thread count (so would the published
    tables), and on a busy machine it was measured 10-50x slower on these small blocks. The
    limit is process-wide, so polishes in threads of one process (Dask) take turns.
    """
    from threadpoolctl import threadpool_limits  # here: most runs (price steps) never polish

    with _ONE_BLAS_THREAD, threadpool_limits(limits=1, user_api="blas"):
        return _polish(ix, model, run, **tolerances)


def _polish(ix: IndexedProblem, model: LpArrays | BuiltModel, run: SolverRun, *,
            rel_tol: float = 1e-7, zero_tol: float = 1e-9, max_change: float = 1e-6,
            obj_rel_tol: float = 1e-9, max_cond: float = 1e10) -> PolishOutcome:
    t0 = time.perf_counter()

    def done(new_run, applied, duals_applied, n_blocks=0, n_skipped=0, note=""):
        return PolishOutcome(new_run, applied, duals_applied, n_blocks, n_skipped, note,
                             time.perf_counter() - t0)

    lp = _arrays(ix, model)
    v0 = np.concatenate([run.x, run.u, run.z, run.w]).astype(float)
    if not np.all(np.isfinite(v0)) or len(v0) != lp.A.shape[1]:
        return done(run, False, False, note="solver values not usable")

    absA = abs(lp.A)
    row_scale = np.maximum.reduce([np.ones(len(lp.b)), np.abs(lp.b), absA @ np.abs(v0)])
    row_tol = rel_tol * row_scale
    col_tol = zero_tol * lp.col_scale
    activity = lp.A @ v0
    slack = np.where(lp.le, lp.b - activity, activity - lp.b)
    binding = slack <= row_tol
    nonzero = v0 > col_tol

    rows = np.flatnonzero(binding)
    cols = np.flatnonzero(nonzero)
    S = lp.A.sub(rows, cols)
    nb = len(rows)
    n_blocks, labels = bipartite_components(S)
    row_lab, col_lab = labels[:nb], labels[nb:]

    # local index of each row / column within its block (blocks keep the original order)
    row_loc, row_count = local_index(row_lab, n_blocks)
    col_loc, col_count = local_index(col_lab, n_blocks)
    ent_blk = row_lab[S.row]
    ent_order = np.argsort(ent_blk, kind="stable")
    ent_start = np.searchsorted(ent_blk[ent_order], np.arange(n_blocks + 1))
    row_members = block_members(row_lab, n_blocks)
    col_members = block_members(col_lab, n_blocks)

    v1 = np.where(nonzero, v0, 0.0)
    y_blocks: dict[int, np.ndarray] = {}
    primal_ok = np.zeros(n_blocks, dtype=bool)
    c_sub, b_sub = lp.c[cols], lp.b[rows]
    tol_sub, ctol_sub, cscale_sub = row_tol[rows], col_tol[cols], lp.col_scale[cols]
    for blk in range(n_blocks):
        r_idx, c_idx = row_members[blk], col_members[blk]
        m, n = len(r_idx), len(c_idx)
        if n == 0:                       # a binding row on zero variables only: 0 = b
            primal_ok[blk] = bool(np.all(np.abs(b_sub[r_idx]) <= tol_sub[r_idx]))
            continue
        if m < n:                        # not a unique vertex (tie or interior of a face)
            continue
        e = ent_order[ent_start[blk]:ent_start[blk + 1]]
        M = np.zeros((m, n))
        M[row_loc[S.row[e]], col_loc[S.col[e]]] = S.data[e]
        rhs = b_sub[r_idx]
        try:
            if m == n:
                if m == 1:
                    if M[0, 0] == 0.0:
                        continue
                    sol = rhs / M[0, 0]
                else:
                    if not np.isfinite(cond := np.linalg.cond(M)) or cond > max_cond:
                        continue
                    sol = np.linalg.solve(M, rhs)
            else:
                sol, _, rank, _ = np.linalg.lstsq(M, rhs, rcond=None)
                if rank < n or np.any(np.abs(M @ sol - rhs) > tol_sub[r_idx]):
                    continue
        except np.linalg.LinAlgError:
            continue
        if not np.all(np.isfinite(sol)) or np.any(sol < -ctol_sub[c_idx]):
            continue
        sol = np.maximum(sol, 0.0)
        if np.any(np.abs(sol - v0[cols[c_idx]]) > max_change * cscale_sub[c_idx]):
            continue
        v1[cols[c_idx]] = sol
        primal_ok[blk] = True
        if m == n:
            y_blocks[blk] = (c_sub[c_idx] / M[0, 0] if m == 1
                             else np.linalg.solve(M.T, c_sub[c_idx]))

    n_skipped = int(n_blocks - primal_ok.sum())
    if not primal_ok.any():
        return done(run, False, False, n_blocks, n_skipped, "no block could be polished")

    # whole-solution checks: feasibility and objective
    act1 = lp.A @ v1
    viol = np.where(lp.le, act1 - lp.b, lp.b - act1)
    if np.any(viol > row_tol):
        return done(run, False, False, n_blocks, n_skipped,
                    f"polished solution violates {int((viol > row_tol).sum())} rows")
    # The solver's own point may be slightly infeasible (CBC's 8 printed digits), and then
    # slightly better than any feasible point: by at most sum |pi| x violation (weak duality).
    solver_pi = np.asarray(run.row_pi, dtype=float)
    viol0 = np.maximum(np.where(lp.le, activity - lp.b, lp.b - activity), 0.0)
    allowance = float(np.nan_to_num(np.abs(solver_pi), nan=0.0) @ viol0)
    obj0, obj1 = float(lp.c @ v0), float(lp.c @ v1)
    obj_scale = max(1.0, abs(obj0), float(np.abs(lp.c) @ np.abs(v0)))
    if obj1 > obj0 + obj_rel_tol * obj_scale + allowance:
        return done(run, False, False, n_blocks, n_skipped,
                    f"polished objective worse by {obj1 - obj0:.3g}")

    nx, nu, nz = len(run.x), len(run.u), len(run.z)
    new_run = replace(run, x=v1[:nx], u=v1[nx:nx + nu], z=v1[nx + nu:nx + nu + nz],
                      w=v1[nx + nu + nz:], col_values=v1)
    pi = _polished_duals(lp, solver_pi, rows, row_members, y_blocks, binding, absA)
    duals_applied = pi is not None
    if duals_applied:  # every row's dual, and the capacity and power rows' views of them
        new_run.row_pi, new_run.cap_pi = pi, pi[:lp.n_cap]
        new_run.pow_pi = pi[lp.n_cap + lp.n_dem:lp.n_cap + lp.n_dem + lp.n_pow]
    note = "" if not n_skipped else f"{n_skipped} of {n_blocks} blocks kept the solver's values"
    return done(new_run, True, duals_applied, n_blocks, n_skipped, note)


def _polished_duals(lp: _LP, solver_pi: np.ndarray, rows: np.ndarray, row_members: list,
                    y_blocks: dict[int, np.ndarray], binding: np.ndarray,
                    absA: Coo) -> np.ndarray | None:
    """Row duals (PuLP's sign convention) from the square blocks, the solver's elsewhere;
    None when they fail dual feasibility or a needed solver dual is missing."""
    if not y_blocks:
        return None
    pi = np.zeros(len(lp.b))
    polished = np.zeros(len(lp.b), dtype=bool)
    for blk, y in y_blocks.items():
        pi[rows[row_members[blk]]] = y
        polished[rows[row_members[blk]]] = True
    other = np.flatnonzero(binding & ~polished)
    pi[other] = solver_pi[other]
    if not np.all(np.isfinite(pi)):
        return None
    scale = np.maximum(1.0, np.abs(pi))
    wrong = np.where(lp.le, pi, -pi)             # <= rows need pi <= 0, >= rows pi >= 0
    if np.any(wrong > 1e-9 * scale):
        return None
    pi = np.where(wrong > 0, 0.0, pi)
    reduced = lp.c - lp.A.rmatvec(pi)
    red_scale = np.maximum.reduce([np.ones(len(lp.c)), np.abs(lp.c), absA.rmatvec(np.abs(pi))])
    if np.any(reduced < -1e-9 * red_scale):
        return None
    return pi


def _arrays(ix: IndexedProblem, model: LpArrays | BuiltModel) -> _LP:
    """The model's rows and objective rebuilt from the arrays it was built from (same floats).

    Rows: capacity (``model.cap_rows``), demand (every row), power (``model.pow_rows``),
    minimum service (``model.z_rows``), migration (every ``ix.mig_from``). Columns: x, u, z, w,
    the model's first ones.
    """
    n_x, n_d, n_z, n_w = ix.n_options, len(ix.demand_m_per_hour), len(model.z_rows), \
        len(ix.mig_from)
    unit = model.unit_chips
    cap_pos = np.full(len(ix.capacity_chips), -1)
    cap_pos[model.cap_rows] = np.arange(len(model.cap_rows))
    pow_pos = np.full(len(ix.power_mw), -1)
    pow_pos[model.pow_rows] = np.arange(len(model.pow_rows))
    n_cap, n_pow = len(model.cap_rows), len(model.pow_rows)
    o_dem, o_pow, o_min = n_cap, n_cap + n_d, n_cap + n_d + n_pow
    o_mig = o_min + n_z

    j = np.arange(n_x)
    k = np.arange(n_d)
    linked = np.flatnonzero(ix.option_pow >= 0)
    zc = n_x + n_d + np.arange(n_z)
    wc = n_x + n_d + n_z + np.arange(n_w)
    frm, to = ix.mig_from, ix.mig_to
    has_to = np.flatnonzero(to >= 0)
    r = np.concatenate([cap_pos[ix.option_cap], o_dem + ix.option_dem, o_dem + k,
                        o_pow + pow_pos[ix.option_pow[linked]], o_min + np.arange(n_z),
                        o_min + np.arange(n_z), o_mig + np.arange(n_w), o_mig + has_to,
                        o_mig + np.arange(n_w)])
    c = np.concatenate([j, j, n_x + k, linked, n_x + model.z_rows, zc, frm, to[has_to], wc])
    data = np.concatenate([unit, ix.tput_m_per_chip_hour * unit, np.ones(n_d),
                           (unit * ix.kw_per_chip / 1000.0)[linked], np.ones(n_z), -np.ones(n_z),
                           unit[frm], -unit[to[has_to]], -np.ones(n_w)])
    shape = (o_mig + n_w, n_x + n_d + n_z + n_w)
    A = Coo(r, c, data, shape)
    b = np.concatenate([ix.capacity_chips[model.cap_rows], ix.demand_m_per_hour,
                        ix.power_mw[model.pow_rows],
                        (1.0 - ix.min_served_fraction[model.z_rows])
                        * ix.demand_m_per_hour[model.z_rows], np.zeros(n_w)])
    le = np.ones(shape[0], dtype=bool)
    le[o_dem:o_pow] = False
    cost = np.concatenate([(ix.usd_per_chip_hour + model.tie_break_usd_per_chip_hour) * unit,
                           ix.value_usd_per_m + ix.penalty_usd_per_m,
                           np.full(n_z, float(model.min_service_penalty_usd_per_m)),
                           np.full(n_w, ix.migration_usd_per_chip_hour)])
    col_scale = np.concatenate([np.maximum(1.0, ix.capacity_chips[ix.option_cap] / unit),
                                np.maximum(1.0, ix.demand_m_per_hour),
                                np.maximum(1.0, ix.demand_m_per_hour[model.z_rows]),
                                np.maximum(1.0, ix.capacity_chips[ix.option_cap[frm]])])
    return _LP(A, b, le, cost, col_scale, n_cap, n_d, n_pow)
