"""The continuous allocation LP as numpy arrays: the rows of ``build.py``, built without PuLP.

Same columns, rows, term order, coefficients and bounds as the PuLP build passed to HiGHS by
``pulp_fast.FastHiGHS`` (a test compares the two models inside HiGHS), so HiGHS returns the
same vertex. Columns: x (chips per option, in ``unit_chips``), u, z, w, y, idle v, g; rows in
families: capacity, demand, power, minimum service, migration, idle, supply, budget, steps.
Each family gives (row, column, coefficient) triples in its row's term order; one stable sort
by row makes the CSR matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import demand_steps as S
from . import purchases as P
from .indexing import IndexedProblem

INF = np.inf


@dataclass
class LpArrays:
    """min cost @ v + offset  s.t.  row_lower <= A v <= row_upper, col_lower <= v <= col_upper.

    ``A`` is CSR (``starts``, ``index``, ``value``). The ``*_rows`` arrays name the problem rows
    each family wrote (rows without terms are not written, as in the PuLP build); ``*_at`` are
    the families' first row in A.
    """

    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    unit_chips: np.ndarray
    z_rows: np.ndarray
    cap_rows: np.ndarray
    pow_rows: np.ndarray
    bud_rows: np.ndarray
    n_u: int
    n_w: int
    n_y: int
    n_v: int
    n_g: int
    pow_at: int
    buy_at: int
    bud_at: int
    tie_break_usd_per_chip_hour: float
    min_service_penalty_usd_per_m: float

    @property
    def n_columns(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    def split(self, v: np.ndarray) -> tuple[np.ndarray, ...]:
        """Column values as (x, u, z, w, y, v, g)."""
        sizes = [len(self.unit_chips), self.n_u, len(self.z_rows), self.n_w, self.n_y,
                 self.n_v, self.n_g]
        return tuple(np.split(np.asarray(v, dtype=float), np.cumsum(sizes)[:-1]))


def _rhs(values) -> np.ndarray:
    """A bound as PuLP stores it: -(0.0 - rhs) (so a zero right-hand side is -0.0)."""
    return -(0.0 - np.asarray(values, dtype=float))


def build_arrays(ix: IndexedProblem, *, tie_break_usd_per_chip_hour: float,
                 min_service_penalty_usd_per_m: float) -> LpArrays:
    """The continuous LP of ``ix`` in chips (the PuLP build with ``replicas=False``)."""
    unit = np.ones(ix.n_options)
    nx, nd = ix.n_options, len(ix.demand_m_per_hour)
    z_rows = np.flatnonzero(ix.min_served_fraction > 0)
    nz, nw = len(z_rows), len(ix.mig_from)
    pu, st = ix.purchases, ix.demand_steps
    idle = pu.idle_rows if pu is not None else np.zeros(0, dtype=np.int64)
    ny, nv = ix.n_purchases, len(idle)
    ng = 0 if st is None else len(st.m_per_hour)
    col_u, col_z, col_w = nx, nx + nd, nx + nd + nz
    col_y = col_w + nw
    col_v, col_g = col_y + ny, col_y + ny + nv
    j = np.arange(nx)
    blocks: list[tuple] = []   # (row, col, value) per family, rows numbered within the family
    bounds: list[tuple] = []   # (lower, upper) per family

    # capacity: options' chips, then bought chips in service (-1 each), <= chips
    cap_row, cap_col, cap_val = ix.option_cap, j, unit
    if pu is not None and len(pu.link_cap):
        cap_row = np.concatenate([cap_row, pu.link_cap])
        cap_col = np.concatenate([j, col_y + pu.link_slot])
        cap_val = np.concatenate([unit, -np.ones(len(pu.link_cap))])
    cap_rows, cap_local = _used_rows(cap_row, len(ix.capacity_chips))
    blocks.append((cap_local, cap_col, cap_val))
    bounds.append((np.full(len(cap_rows), -INF), _rhs(ix.capacity_chips[cap_rows])))

    # demand: served by options, then + u >= demand (every row)
    k = np.arange(nd)
    blocks.append((np.concatenate([ix.option_dem, k]), np.concatenate([j, col_u + k]),
                   np.concatenate([ix.tput_m_per_chip_hour * unit, np.ones(nd)])))
    bounds.append((_rhs(ix.demand_m_per_hour), np.full(nd, INF)))

    # power: chips x kW / 1000 <= MW, rows with options only
    linked = np.flatnonzero(ix.option_pow >= 0)
    pow_rows, pow_local = _used_rows(ix.option_pow[linked], len(ix.power_mw))
    blocks.append((pow_local, linked, (unit * ix.kw_per_chip / 1000.0)[linked]))
    bounds.append((np.full(len(pow_rows), -INF), _rhs(ix.power_mw[pow_rows])))

    # minimum service: u - z <= (1 - fraction) x demand
    zi = np.arange(nz)
    blocks.append((np.repeat(zi, 2), np.column_stack([col_u + z_rows, col_z + zi]).ravel(),
                   np.tile([1.0, -1.0], nz)))
    bounds.append((np.full(nz, -INF),
                   _rhs((1.0 - ix.min_served_fraction[z_rows]) * ix.demand_m_per_hour[z_rows])))

    # migration: x[from] - w - x[to] <= 0 (no x[to] when the successor is absent)
    wi = np.arange(nw)
    frm, to = ix.mig_from, ix.mig_to
    has_to = np.flatnonzero(to >= 0)
    blocks.append((np.concatenate([wi, wi, has_to]),
                   np.concatenate([frm, col_w + wi, to[has_to]]),
                   np.concatenate([unit[frm], -np.ones(nw), -unit[to[has_to]]])))
    bounds.append((np.full(nw, -INF), _rhs(np.zeros(nw))))

    if pu is not None:
        blocks.append(_idle_block(ix, idle, unit, col_y, col_v))
        bounds.append((_rhs(np.zeros(nv)), np.full(nv, INF)))
        b = np.arange(ny)
        blocks.append((b, col_y + b, np.ones(ny)))        # supply: y <= max_chips
        bounds.append((np.full(ny, -INF), _rhs(pu.max_chips)))
        has = np.flatnonzero(pu.budget_row >= 0)          # budget: capex <= budget
        bud_rows, bud_local = _used_rows(pu.budget_row[has], len(pu.budget_usd))
        blocks.append((bud_local, col_y + has, pu.usd_per_chip[has]))
        bounds.append((np.full(len(bud_rows), -INF), _rhs(pu.budget_usd[bud_rows])))
    else:
        bud_rows = np.zeros(0, dtype=np.int64)
    if st is not None:                                    # steps: -g of the row, + u = 0
        stp_rows, stp_local = _used_rows(st.dem_row, nd)
        n_stp = len(stp_rows)
        blocks.append((np.concatenate([stp_local, np.arange(n_stp)]),
                       np.concatenate([col_g + np.arange(ng), col_u + stp_rows]),
                       np.concatenate([-np.ones(ng), np.ones(n_stp)])))
        bounds.append((_rhs(np.zeros(n_stp)), _rhs(np.zeros(n_stp))))

    firsts = np.cumsum([0] + [len(lo) for lo, _ in bounds])
    row = np.concatenate([firsts[f] + blk[0] for f, blk in enumerate(blocks)]).astype(np.int64)
    col = np.concatenate([blk[1] for blk in blocks]).astype(np.int32)
    val = np.concatenate([np.asarray(blk[2], dtype=float) for blk in blocks])
    order = np.argsort(row, kind="stable")
    n_rows = int(firsts[-1])
    starts = np.zeros(n_rows + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=n_rows), out=starts[1:])

    ms = float(min_service_penalty_usd_per_m)
    cost = np.concatenate([(ix.usd_per_chip_hour + tie_break_usd_per_chip_hour) * unit,
                           S.row_values(ix) + ix.penalty_usd_per_m, np.full(nz, ms),
                           np.full(nw, ix.migration_usd_per_chip_hour)]
                          + ([] if pu is None else
                             [tie_break_usd_per_chip_hour * P.quarters_in_service(pu),
                              P.idle_cost(ix)])
                          + ([] if st is None else [st.value_usd_per_m]))
    lower = np.zeros(len(cost))
    upper = np.full(len(cost), INF)
    if pu is not None:
        lower[col_y:col_v] = pu.min_chips
    if st is not None:
        upper[col_g:] = st.m_per_hour
    return LpArrays(
        cost=cost, offset=S.objective_constant(ix), col_lower=lower, col_upper=upper,
        row_lower=np.concatenate([lo for lo, _ in bounds]),
        row_upper=np.concatenate([up for _, up in bounds]),
        starts=starts, index=col[order], value=val[order], unit_chips=unit, z_rows=z_rows,
        cap_rows=cap_rows, pow_rows=pow_rows, bud_rows=bud_rows, n_u=nd, n_w=nw, n_y=ny,
        n_v=nv, n_g=ng, pow_at=int(firsts[2]), buy_at=int(firsts[6]) if pu is not None else 0,
        bud_at=int(firsts[7]) if pu is not None else 0,
        tie_break_usd_per_chip_hour=tie_break_usd_per_chip_hour,
        min_service_penalty_usd_per_m=ms)


def _idle_block(ix: IndexedProblem, idle: np.ndarray, unit: np.ndarray, col_y: int,
                col_v: int) -> tuple:
    """Idle rows (``purchases.idle_constraints``): -bought + used + idle >= 0 per idle row."""
    pu = ix.purchases
    pos = np.full(len(ix.capacity_chips), -1, dtype=np.int64)
    pos[idle] = np.arange(len(idle))
    opt = np.flatnonzero(pos[ix.option_cap] >= 0)
    nv = len(idle)
    return (np.concatenate([pos[pu.link_cap], pos[ix.option_cap[opt]], np.arange(nv)]),
            np.concatenate([col_y + pu.link_slot, opt, col_v + np.arange(nv)]),
            np.concatenate([-np.ones(len(pu.link_cap)), unit[opt], np.ones(nv)]))


def _used_rows(row_of_term: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(problem rows with a term, each term's position among them)."""
    used = np.flatnonzero(np.bincount(row_of_term, minlength=n_rows)) if len(row_of_term) \
        else np.zeros(0, dtype=np.int64)
    pos = np.full(n_rows, -1, dtype=np.int64)
    pos[used] = np.arange(len(used))
    return used, pos[row_of_term]
