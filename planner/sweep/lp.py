"""The allocation LP of one sample as the solver's indexed problem.

``planner.run.plan.make_plan`` goes through the solver's DataFrame interface (checks, sorting,
merges); a sweep builds the solver's :class:`~solver.indexing.IndexedProblem` directly in the
same sorted key order, so the LP is the one ``make_plan`` would solve for that scenario, and
``solver.solve_indexed_lp`` solves it the way ``make_plan``'s LP mode does (built afresh per
sample, solved, polished): a sample's result does not depend on which samples a process ran
before, so the sweep stays reproducible whatever the workers.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from fleets.timeline import SITE
from solver import IndexedProblem
from solver.indexing import DemandSteps


@dataclass(frozen=True)
class Layout:
    """Sorted key orders of the candidate options, capacity rows and demand rows.

    Candidates are every (demand model m, system s, quarter q), numbered ``(m * S + s) * Q + q``
    in scenario order; the solver numbers rows in sorted key order (as strings).
    """

    models: tuple[str, ...]
    systems: tuple[str, ...]
    quarters: tuple[str, ...]
    option_order: np.ndarray  # candidate ids in sorted (model, system, quarter) order
    cap_row: np.ndarray  # (S * Q,) sorted row of (s, q)
    dem_row: np.ndarray  # (M * Q,) sorted row of (m, q)
    cap_order: np.ndarray  # (S * Q,) (s, q) ids in sorted order
    dem_order: np.ndarray  # (M * Q,) (m, q) ids in sorted order
    capacity_keys: pd.DataFrame
    demand_keys: pd.DataFrame

    @classmethod
    def of(cls, models, systems, quarters) -> "Layout":
        M, S, Q = len(models), len(systems), len(quarters)
        option_order = np.array(sorted(range(M * S * Q), key=lambda c: (
            models[c // (S * Q)], systems[c // Q % S], quarters[c % Q])), dtype=np.int64)
        cap_order = np.array(sorted(range(S * Q), key=lambda c: (systems[c // Q], quarters[c % Q])),
                             dtype=np.int64)
        dem_order = np.array(sorted(range(M * Q), key=lambda c: (models[c // Q], quarters[c % Q])),
                             dtype=np.int64)
        cap_row, dem_row = np.empty_like(cap_order), np.empty_like(dem_order)
        cap_row[cap_order] = np.arange(S * Q)
        dem_row[dem_order] = np.arange(M * Q)
        capacity_keys = pd.DataFrame({"system": [systems[c // Q] for c in cap_order],
                                      "quarter": [quarters[c % Q] for c in cap_order],
                                      "site": SITE})
        demand_keys = pd.DataFrame({"model": [models[c // Q] for c in dem_order],
                                    "quarter": [quarters[c % Q] for c in dem_order]})
        return cls(tuple(models), tuple(systems), tuple(quarters), option_order, cap_row, dem_row,
                   cap_order, dem_order, capacity_keys, demand_keys)


@dataclass
class Solved:
    """The LP's answer for a sample, per option in sorted order."""

    ix: IndexedProblem
    options: np.ndarray  # candidate ids of the options
    chips: np.ndarray


def indexed_problem(layout: Layout, option_ids: np.ndarray, tput: np.ndarray, usd: np.ndarray,
                    replica_chips: np.ndarray, kw: np.ndarray, capacity: np.ndarray,
                    demand: np.ndarray, value: np.ndarray, penalty: np.ndarray,
                    min_served: np.ndarray, power: "PowerRows | None" = None,
                    migration_usd_per_chip_hour: float = 0.0,
                    steps: tuple | None = None) -> IndexedProblem:
    """The solver's IndexedProblem; option arrays are per option, the rest per (s, q) / (m, q)
    id in scenario order (they are put in sorted row order here); ``power``: the site caps;
    with a migration cost, each option before the last quarter is linked to its successor (as
    ``solver.index_problem`` links them); ``steps``: (rows, quantity, value) of
    :func:`planner.run.elastic.step_slices` over the (m, q) ids, for price-responsive rows."""
    S, Q = len(layout.systems), len(layout.quarters)
    m, s, q = option_ids // (S * Q), option_ids // Q % S, option_ids % Q
    links = {}
    if migration_usd_per_chip_hour > 0:
        position = np.full(len(layout.models) * S * Q, -1, dtype=np.int64)
        position[option_ids] = np.arange(len(option_ids))
        src = np.flatnonzero((q < Q - 1) & (demand[m * Q + q] > 0))  # as the solver links
        links = {"mig_from": src.astype(np.int64), "mig_to": position[option_ids[src] + 1]}
    return IndexedProblem(
        option_keys=_Lazy(partial(_option_keys, layout, option_ids), len(option_ids)),
        tput_m_per_chip_hour=tput, usd_per_chip_hour=usd, replica_chips=replica_chips,
        kw_per_chip=kw, option_cap=layout.cap_row[s * Q + q], option_dem=layout.dem_row[m * Q + q],
        option_pow=(power.row[s, q] if power is not None
                    else np.full(len(option_ids), -1, dtype=np.int64)),
        capacity_keys=layout.capacity_keys, capacity_chips=capacity[layout.cap_order],
        demand_keys=layout.demand_keys, demand_m_per_hour=demand[layout.dem_order],
        value_usd_per_m=value[layout.dem_order], penalty_usd_per_m=penalty[layout.dem_order],
        min_served_fraction=min_served[layout.dem_order],
        power_keys=power.keys if power is not None else _NO_POWER,
        power_mw=power.mw if power is not None else np.zeros(0),
        migration_usd_per_chip_hour=migration_usd_per_chip_hour,
        demand_steps=_steps(layout, steps), **links)


def _steps(layout: Layout, steps: tuple | None) -> DemandSteps | None:
    """Price steps in the solver's (model, quarter, step) order; None without any."""
    if steps is None or not steps[0].any():
        return None
    rows, quantity, value = steps
    n = quantity.shape[1]
    ids = np.flatnonzero(rows)
    order = np.argsort(layout.dem_row[ids], kind="stable")
    ids = ids[order]
    return DemandSteps(_Lazy(partial(_step_keys, layout, ids, n), len(ids) * n),
                       np.repeat(layout.dem_row[ids], n), quantity[order].ravel(),
                       value[order].ravel())


def _step_keys(layout: Layout, ids: np.ndarray, n: int) -> pd.DataFrame:
    Q = len(layout.quarters)
    return pd.DataFrame({"model": np.repeat(np.array(layout.models, dtype=object)[ids // Q], n),
                         "quarter": np.repeat(np.array(layout.quarters, dtype=object)[ids % Q], n),
                         "step": np.tile(np.arange(n), len(ids))})


@dataclass(frozen=True)
class PowerRows:
    """Power cap rows in sorted (site, quarter) order and each (system, quarter)'s row (-1: none)."""

    keys: pd.DataFrame
    mw: np.ndarray
    row: np.ndarray  # (S, Q)

    @classmethod
    def of(cls, caps: pd.DataFrame | None, sites: tuple[str, ...], quarters: tuple[str, ...]
           ) -> "PowerRows | None":
        """From ``fleets.timeline.power_caps``; ``sites[s]`` is system s's site."""
        if caps is None or len(caps) == 0:
            return None
        caps = caps.sort_values(["site", "quarter"], kind="stable").reset_index(drop=True)
        where = {(a, b): i for i, (a, b) in enumerate(zip(caps["site"], caps["quarter"]))}
        row = np.array([[where.get((site, q), -1) for q in quarters] for site in sites],
                       dtype=np.int64).reshape(len(sites), len(quarters))
        return cls(caps[["site", "quarter"]], caps["mw"].to_numpy(dtype=float), row)


_NO_POWER = pd.DataFrame({"site": [], "quarter": []})  # the power keys without caps


def _option_keys(layout: Layout, ids: np.ndarray) -> pd.DataFrame:
    S, Q = len(layout.systems), len(layout.quarters)
    return pd.DataFrame({"model": np.array(layout.models, dtype=object)[ids // (S * Q)],
                         "system": np.array(layout.systems, dtype=object)[ids // Q % S],
                         "quarter": np.array(layout.quarters, dtype=object)[ids % Q],
                         "site": SITE})


class _Lazy:
    """Key columns as a DataFrame only if something asks (the LP build and solve do not)."""

    def __init__(self, make, rows: int):
        self._make, self._rows, self._frame = make, rows, None

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self._make()
        return self._frame

    def __getattr__(self, name):
        return getattr(self.frame(), name)

    def __getitem__(self, key):
        return self.frame()[key]

    def __len__(self) -> int:
        return self._rows
