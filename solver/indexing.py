"""Turn the problem tables into sorted key tables and flat numpy arrays with integer row links.

Every later step (model build, rounding, results) works on these arrays, never on the raw
frames, so the row order of every output is the sorted key order: same input, same output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .problem import (CAPACITY_KEYS, DEMAND_KEYS, OPTION_KEYS, POWER_KEYS, AllocationProblem)


@dataclass(frozen=True)
class IndexedProblem:
    """Sorted keys and value arrays of an AllocationProblem.

    Options j, capacity rows i, demand rows k and power rows p are numbered in sorted key
    order. ``option_cap[j]``, ``option_dem[j]`` and ``option_pow[j]`` link an option to its
    capacity, demand and power row (``option_pow`` is -1 when its site-quarter has no cap).
    """

    option_keys: pd.DataFrame          # model, system, quarter, site
    tput_m_per_chip_hour: np.ndarray
    usd_per_chip_hour: np.ndarray
    replica_chips: np.ndarray          # float array of whole numbers
    kw_per_chip: np.ndarray
    option_cap: np.ndarray
    option_dem: np.ndarray
    option_pow: np.ndarray

    capacity_keys: pd.DataFrame        # system, quarter, site
    capacity_chips: np.ndarray

    demand_keys: pd.DataFrame          # model, quarter
    demand_m_per_hour: np.ndarray
    value_usd_per_m: np.ndarray
    penalty_usd_per_m: np.ndarray
    min_served_fraction: np.ndarray

    power_keys: pd.DataFrame           # site, quarter (empty without caps)
    power_mw: np.ndarray

    # migration rows i: option mig_from[i] of a quarter and mig_to[i], the same model, system
    # and site in the next quarter (-1 when that option does not exist); none without a cost
    migration_usd_per_chip_hour: float = 0.0
    mig_from: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    mig_to: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_options(self) -> int:
        return len(self.tput_m_per_chip_hour)

    @property
    def has_power_caps(self) -> bool:
        return len(self.power_mw) > 0


def index_problem(problem: AllocationProblem) -> IndexedProblem:
    """Sort every table by its keys and link options to their rows with integer codes."""
    opt = _sorted(problem.options, OPTION_KEYS)
    cap = _sorted(problem.capacity, CAPACITY_KEYS)
    dem = _sorted(problem.demand, DEMAND_KEYS)
    if problem.power_cap is not None:
        pw = _sorted(problem.power_cap, POWER_KEYS)
    else:
        pw = pd.DataFrame({"site": pd.Series(dtype=str), "quarter": pd.Series(dtype=str),
                           "mw": pd.Series(dtype=float)})

    if "min_served_fraction" in dem.columns:
        min_frac = dem["min_served_fraction"].to_numpy(dtype=float)
    else:
        min_frac = np.zeros(len(dem))

    return IndexedProblem(
        option_keys=opt[OPTION_KEYS],
        tput_m_per_chip_hour=opt["m_output_per_chip_hour"].to_numpy(dtype=float),
        usd_per_chip_hour=opt["usd_per_chip_hour"].to_numpy(dtype=float),
        replica_chips=opt["replica_chips"].to_numpy(dtype=float),
        kw_per_chip=opt["kw_per_chip"].to_numpy(dtype=float),
        option_cap=_link(opt, cap, CAPACITY_KEYS),
        option_dem=_link(opt, dem, DEMAND_KEYS),
        option_pow=_link(opt, pw, POWER_KEYS),
        capacity_keys=cap[CAPACITY_KEYS],
        capacity_chips=cap["chips"].to_numpy(dtype=float),
        demand_keys=dem[DEMAND_KEYS],
        demand_m_per_hour=dem["m_output_per_hour"].to_numpy(dtype=float),
        value_usd_per_m=dem["value_usd_per_m_output"].to_numpy(dtype=float),
        penalty_usd_per_m=dem["unmet_penalty_usd_per_m_output"].to_numpy(dtype=float),
        min_served_fraction=min_frac,
        power_keys=pw[POWER_KEYS],
        power_mw=pw["mw"].to_numpy(dtype=float),
        migration_usd_per_chip_hour=float(problem.migration_usd_per_chip_hour),
        **(_migration_links(opt, dem, _link(opt, dem, DEMAND_KEYS))
           if problem.migration_usd_per_chip_hour > 0 else {}),
    )


def _migration_links(opt: pd.DataFrame, dem: pd.DataFrame,
                     option_dem: np.ndarray) -> dict[str, np.ndarray]:
    """Each option of a quarter before the last whose model has demand that quarter, and its
    successor in the next quarter (same model, system and site; -1 when absent). An option
    without demand never gets chips, so it needs no row."""
    quarters = sorted(set(dem["quarter"]) | set(opt["quarter"]))
    nxt = dict(zip(quarters[:-1], quarters[1:]))
    has_next = opt["quarter"].map(nxt).notna().to_numpy()
    demanded = dem["m_output_per_hour"].to_numpy(dtype=float)[option_dem] > 0
    src = np.flatnonzero(has_next & demanded)
    succ = opt.iloc[src].assign(quarter=opt["quarter"].iloc[src].map(nxt).to_numpy())
    to = _link(succ.reset_index(drop=True), opt, OPTION_KEYS) if len(src) else src
    return {"mig_from": src.astype(np.int64), "mig_to": np.asarray(to, dtype=np.int64)}


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Keys as str, rows sorted by keys, fresh RangeIndex."""
    out = df.copy()
    out[keys] = out[keys].astype(str)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _link(opt: pd.DataFrame, target: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Row number in ``target`` of each option's ``keys`` (-1 when absent)."""
    if len(opt) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(target) == 0:
        return np.full(len(opt), -1, dtype=np.int64)
    tindex = pd.MultiIndex.from_frame(target[keys])
    return tindex.get_indexer(pd.MultiIndex.from_frame(opt[keys])).astype(np.int64)
