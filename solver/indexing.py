"""Turn the problem tables into sorted key tables and flat numpy arrays with integer row links.

Every later step (model build, rounding, results) works on these arrays, never on the raw
frames, so the row order of every output is the sorted key order: same input, same output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .problem import (BUDGET_KEYS, CAPACITY_KEYS, DEMAND_KEYS, OPTION_KEYS, POWER_KEYS,
                      PURCHASE_KEYS, STEP_KEYS, AllocationProblem)


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

    # purchase slots b (sorted by system, site, quarter ordered) and their links: slot
    # buy_link_slot[l] adds its chips to capacity row buy_link_cap[l] (its quarters in service);
    # buy_budget[b] is its budget row (-1 without one). None without purchases.
    purchases: "Purchases | None" = None
    # demand steps s (sorted by model, quarter, step): demand row dem_row[s], its quantity and
    # value (solver/demand_steps.py). None without steps.
    demand_steps: "DemandSteps | None" = None

    @property
    def n_options(self) -> int:
        return len(self.tput_m_per_chip_hour)

    @property
    def n_purchases(self) -> int:
        return 0 if self.purchases is None else len(self.purchases.max_chips)

    @property
    def has_power_caps(self) -> bool:
        return len(self.power_mw) > 0


@dataclass(frozen=True)
class Purchases:
    """Purchase slots b of an IndexedProblem, their capacity links and the budget rows."""

    keys: pd.DataFrame                 # system, site, quarter_ordered, quarter (in service)
    min_chips: np.ndarray
    max_chips: np.ndarray
    domain_chips: np.ndarray
    usd_per_chip: np.ndarray
    committed_usd_per_chip_hour: np.ndarray
    link_slot: np.ndarray              # (slot, capacity row) pairs: the slot's quarters in service
    link_cap: np.ndarray
    budget_row: np.ndarray             # per slot, -1 without a budget row
    budget_keys: pd.DataFrame          # quarter_ordered
    budget_usd: np.ndarray

    @property
    def idle_rows(self) -> np.ndarray:
        """Capacity rows that bought chips can stand in (each gets an idle-chips column)."""
        return np.unique(self.link_cap)


@dataclass(frozen=True)
class DemandSteps:
    """The value steps of price-responsive demand rows."""

    keys: pd.DataFrame                 # model, quarter, step
    dem_row: np.ndarray
    m_per_hour: np.ndarray
    value_usd_per_m: np.ndarray


def _demand_steps(steps: pd.DataFrame, dem: pd.DataFrame) -> DemandSteps:
    st = steps.copy()
    st["step"] = st["step"].astype(int)
    st = st.sort_values(STEP_KEYS, kind="stable").reset_index(drop=True)
    st[DEMAND_KEYS] = st[DEMAND_KEYS].astype(str)
    return DemandSteps(keys=st[STEP_KEYS], dem_row=_link(st, dem, DEMAND_KEYS),
                       m_per_hour=st["m_output_per_hour"].to_numpy(dtype=float),
                       value_usd_per_m=st["value_usd_per_m_output"].to_numpy(dtype=float))


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

    option_dem = _link(opt, dem, DEMAND_KEYS)
    return IndexedProblem(
        option_keys=opt[OPTION_KEYS],
        tput_m_per_chip_hour=opt["m_output_per_chip_hour"].to_numpy(dtype=float),
        usd_per_chip_hour=opt["usd_per_chip_hour"].to_numpy(dtype=float),
        replica_chips=opt["replica_chips"].to_numpy(dtype=float),
        kw_per_chip=opt["kw_per_chip"].to_numpy(dtype=float),
        option_cap=_link(opt, cap, CAPACITY_KEYS),
        option_dem=option_dem,
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
        **(_migration_links(opt, dem, option_dem)
           if problem.migration_usd_per_chip_hour > 0 else {}),
        purchases=(_purchases(problem.purchases, problem.budget, cap)
                   if problem.purchases is not None and len(problem.purchases) else None),
        demand_steps=(_demand_steps(problem.demand_steps, dem)
                      if problem.demand_steps is not None and len(problem.demand_steps)
                      else None),
    )


def _purchases(buy: pd.DataFrame, budget: pd.DataFrame | None, cap: pd.DataFrame) -> Purchases:
    """Sort the slots and link each to the capacity rows of its quarters in service: the
    same (system, site), from its in-service quarter for ``life_quarters`` capacity quarters
    in sorted order."""
    buy = _sorted(buy, PURCHASE_KEYS)
    buy["quarter"] = buy["quarter"].astype(str)
    quarters = sorted(set(cap["quarter"]))
    position = {q: i for i, q in enumerate(quarters)}
    start = buy["quarter"].map(position).to_numpy(dtype=np.int64)
    life = buy["life_quarters"].to_numpy(dtype=np.int64)
    slot = np.repeat(np.arange(len(buy)), life)
    offset = np.arange(len(slot)) - np.repeat(np.cumsum(life) - life, life)
    pos = start[slot] + offset
    keep = pos < len(quarters)
    slot, pos = slot[keep], pos[keep]
    served = pd.DataFrame({"system": buy["system"].to_numpy()[slot],
                           "quarter": np.asarray(quarters, dtype=object)[pos],
                           "site": buy["site"].to_numpy()[slot]})
    link_cap = _link(served, cap, CAPACITY_KEYS)
    slot, link_cap = slot[link_cap >= 0], link_cap[link_cap >= 0]
    committed = buy["committed_usd_per_chip_hour"].to_numpy(dtype=float)
    per_row = pd.Series(committed[slot]).groupby(link_cap).nunique()
    if (per_row > 1).any():
        raise ValueError("purchases: slots of one (system, site) must share "
                         "committed_usd_per_chip_hour (one idle cost per capacity row)")
    if budget is not None and len(budget):
        bud = _sorted(budget, BUDGET_KEYS)
        budget_row = _link(buy, bud, BUDGET_KEYS)
    else:
        bud = pd.DataFrame({"quarter_ordered": pd.Series(dtype=str), "usd": pd.Series(dtype=float)})
        budget_row = np.full(len(buy), -1, dtype=np.int64)
    return Purchases(
        keys=buy[PURCHASE_KEYS + ["quarter"]],
        min_chips=buy["min_chips"].to_numpy(dtype=float),
        max_chips=buy["max_chips"].to_numpy(dtype=float),
        domain_chips=buy["domain_chips"].to_numpy(dtype=float),
        usd_per_chip=buy["usd_per_chip"].to_numpy(dtype=float),
        committed_usd_per_chip_hour=buy["committed_usd_per_chip_hour"].to_numpy(dtype=float),
        link_slot=slot.astype(np.int64), link_cap=link_cap.astype(np.int64),
        budget_row=budget_row, budget_keys=bud[BUDGET_KEYS],
        budget_usd=bud["usd"].to_numpy(dtype=float))


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
    """Row number in ``target`` (whose ``keys`` are unique: ``check_problem``) of each
    option's ``keys`` (-1 when absent); a dict of key tuples, ~10x quicker than a
    MultiIndex lookup on a few thousand rows."""
    row = {key: i for i, key in enumerate(zip(*(target[k].tolist() for k in keys)))}
    return np.fromiter((row.get(key, -1) for key in zip(*(opt[k].tolist() for k in keys))),
                       dtype=np.int64, count=len(opt))
