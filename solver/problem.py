"""Inputs of the allocation solver: the problem tables, the solve options and their checks.

Everything here is plain pandas; the solver knows nothing about scenarios or YAML. Input-shape
problems (missing columns, NaN, negative capacity, duplicate keys, dangling references) are
programmer errors, because the planner validates scenarios upstream: they raise ``ValueError``
with a message naming the table, the column and a few offending rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["AllocationProblem", "SolveOptions", "SolverError"]

OPTION_KEYS = ["model", "system", "quarter", "site"]
CAPACITY_KEYS = ["system", "quarter", "site"]
DEMAND_KEYS = ["model", "quarter"]
POWER_KEYS = ["site", "quarter"]
PURCHASE_KEYS = ["system", "site", "quarter_ordered"]
BUDGET_KEYS = ["quarter_ordered"]
STEP_KEYS = ["model", "quarter", "step"]

OPTION_VALUES = ["m_output_per_chip_hour", "usd_per_chip_hour", "replica_chips", "kw_per_chip"]
CAPACITY_VALUES = ["chips"]
DEMAND_VALUES = ["m_output_per_hour", "value_usd_per_m_output", "unmet_penalty_usd_per_m_output"]
POWER_VALUES = ["mw"]
PURCHASE_VALUES = ["life_quarters", "min_chips", "max_chips", "domain_chips", "usd_per_chip",
                   "committed_usd_per_chip_hour"]
BUDGET_VALUES = ["usd"]
STEP_VALUES = ["m_output_per_hour", "value_usd_per_m_output"]


class SolverError(RuntimeError):
    """The solver could not produce a usable plan (failure, infeasible, unbounded, time-out).

    The message is meant for the user as is; the planner maps it to exit code 1.
    """


@dataclass(frozen=True)
class SolveOptions:
    """How to solve an :class:`AllocationProblem`.

    solver: ``"highs"`` (highspy, in-process, default) or ``"cbc"`` (fallback).
    integer: ``"off"`` (LP, chips are continuous), ``"round"`` (LP rounded down to whole replicas
        and topped up greedily; gap to the LP bound reported) or ``"exact"`` (MILP in replicas).
    time_limit_s: wall-clock limit of each solver call.
    gap: relative MILP gap target (``"exact"`` only).
    tie_break_usd_per_chip_hour: tiny cost added to every chip-hour so that zero-cost options are
        not used wastefully and the plan uses no more chips than needed. Not part of the reported
        economic objective.
    min_service: ``"soft"`` (default) - a minimum served fraction that capacity cannot meet is
        reported as a violation in the result; ``"hard"`` - it raises :class:`SolverError`
        naming the (model, quarter) rows.
    min_service_penalty_usd_per_m_output: penalty on a minimum-service shortfall; ``None`` picks
        one large enough to dominate any value a chip can earn (see ``build.min_service_penalty``).
    accept_time_limit: in ``"exact"`` mode, return the incumbent (status ``"time_limit"``) when the
        time limit stops the MILP before the gap is reached, instead of raising SolverError.
    presolve: HiGHS's presolve in the LP mode (on by default). A sweep turns it off: on its
        sample-sized LPs it costs more than it saves (default scenario: 9-15 ms a solve with
        it, 3-4 ms without, the same vertex to 1e-14), and a sweep reports primal values
        only, while the duals of a degenerate LP (shadow prices) may move with it.
    """

    solver: Literal["highs", "cbc"] = "highs"
    integer: Literal["off", "round", "exact"] = "off"
    time_limit_s: float = 60.0
    gap: float = 1e-4
    tie_break_usd_per_chip_hour: float = 1e-6
    min_service: Literal["soft", "hard"] = "soft"
    min_service_penalty_usd_per_m_output: float | None = None
    accept_time_limit: bool = False
    presolve: bool = True

    def __post_init__(self) -> None:
        if self.solver not in ("highs", "cbc"):
            raise ValueError(f"SolveOptions.solver must be 'highs' or 'cbc', got {self.solver!r}")
        if self.integer not in ("off", "round", "exact"):
            raise ValueError(
                f"SolveOptions.integer must be 'off', 'round' or 'exact', got {self.integer!r}"
            )
        if self.min_service not in ("soft", "hard"):
            raise ValueError(
                f"SolveOptions.min_service must be 'soft' or 'hard', got {self.min_service!r}"
            )
        if not (np.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise ValueError(f"SolveOptions.time_limit_s must be > 0, got {self.time_limit_s!r}")
        if not (np.isfinite(self.gap) and 0 <= self.gap < 1):
            raise ValueError(f"SolveOptions.gap must be in [0, 1), got {self.gap!r}")
        if not (np.isfinite(self.tie_break_usd_per_chip_hour)
                and self.tie_break_usd_per_chip_hour >= 0):
            raise ValueError("SolveOptions.tie_break_usd_per_chip_hour must be finite and >= 0")
        pen = self.min_service_penalty_usd_per_m_output
        if pen is not None and not (np.isfinite(pen) and pen > 0):
            raise ValueError("SolveOptions.min_service_penalty_usd_per_m_output must be > 0")


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """The allocation LP's data, as tidy DataFrames (see the package docstring for columns).

    options:   one row per feasible (model, system, quarter, site) option.
    capacity:  (system, quarter, site) -> chips available after reservations.
    demand:    (model, quarter) -> demand rate, value, unmet penalty, optional min_served_fraction.
    power_cap: optional (site, quarter) -> mw.
    migration_usd_per_chip_hour: cost of each chip a model loses on a (system, site) from one
        quarter to the next (quarters in sorted order), per hour of the later quarter: a
        one-off cost per chip moved, spread over that quarter; 0 = no such cost.
    purchases: optional (system, site, quarter_ordered) -> chips that may be bought: column
        ``quarter`` (in service, a capacity quarter), ``life_quarters`` (capacity quarters in
        sorted order it serves, from ``quarter`` on), ``min_chips`` / ``max_chips`` (contracted
        and vendor limits), ``domain_chips`` (whole-purchase unit of the integer modes),
        ``usd_per_chip`` (capex counted against the budget) and
        ``committed_usd_per_chip_hour`` (what a bought chip costs per hour in service whether
        used or idle: capital and fixed opex, or rent). See ``solver/purchases.py``.
    budget: optional quarter_ordered -> usd: capex of all purchases ordered that quarter.
    demand_steps: optional (model, quarter, step) -> m_output_per_hour, value_usd_per_m_output:
        price-responsive demand. A demand row with steps demands the sum of its steps (its
        m_output_per_hour must equal it) and an unmet slice loses that step's value instead of
        the row's value_usd_per_m_output (``solver/demand_steps.py``). LP mode only.

    Construction checks the tables and raises ValueError on any shape problem.
    """

    options: pd.DataFrame
    capacity: pd.DataFrame
    demand: pd.DataFrame
    power_cap: pd.DataFrame | None = None
    migration_usd_per_chip_hour: float = 0.0
    purchases: pd.DataFrame | None = None
    budget: pd.DataFrame | None = None
    demand_steps: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        check_problem(self)


def check_problem(problem: AllocationProblem) -> None:
    """Raise ValueError describing the first table that is malformed."""
    _check_table("options", problem.options, OPTION_KEYS, OPTION_VALUES)
    _check_table("capacity", problem.capacity, CAPACITY_KEYS, CAPACITY_VALUES)
    _check_table("demand", problem.demand, DEMAND_KEYS, DEMAND_VALUES)
    opt, cap, dem = problem.options, problem.capacity, problem.demand
    mig = problem.migration_usd_per_chip_hour
    if not (isinstance(mig, (int, float)) and np.isfinite(mig) and mig >= 0):
        raise ValueError(f"migration_usd_per_chip_hour must be finite and >= 0, got {mig!r}")

    _require("options", "m_output_per_chip_hour", opt, opt["m_output_per_chip_hour"] > 0, "> 0")
    _require("options", "usd_per_chip_hour", opt, opt["usd_per_chip_hour"] >= 0, ">= 0")
    _require("options", "kw_per_chip", opt, opt["kw_per_chip"] >= 0, ">= 0")
    rc = opt["replica_chips"]
    _require("options", "replica_chips", opt, (rc >= 1) & (rc == np.floor(rc)),
             "a whole number >= 1")
    _require("capacity", "chips", cap, cap["chips"] >= 0, ">= 0")
    _require("demand", "m_output_per_hour", dem, dem["m_output_per_hour"] >= 0, ">= 0")
    _require("demand", "value_usd_per_m_output", dem, dem["value_usd_per_m_output"] >= 0, ">= 0")
    _require("demand", "unmet_penalty_usd_per_m_output", dem,
             dem["unmet_penalty_usd_per_m_output"] >= 0, ">= 0")
    if "min_served_fraction" in dem.columns:
        f = _numeric("demand", "min_served_fraction", dem)
        _require("demand", "min_served_fraction", dem, (f >= 0) & (f <= 1), "in [0, 1]")

    _check_references("options", opt, CAPACITY_KEYS, "capacity", cap)
    _check_references("options", opt, DEMAND_KEYS, "demand", dem)
    if problem.power_cap is not None:
        pc = problem.power_cap
        _check_table("power_cap", pc, POWER_KEYS, POWER_VALUES)
        _require("power_cap", "mw", pc, pc["mw"] >= 0, ">= 0")
    if problem.purchases is not None:
        _check_purchases(problem.purchases, cap)
    if problem.budget is not None:
        _check_table("budget", problem.budget, BUDGET_KEYS, BUDGET_VALUES)
        _require("budget", "usd", problem.budget, problem.budget["usd"] >= 0, ">= 0")
    if problem.demand_steps is not None:
        _check_steps(problem.demand_steps, dem)


def _check_steps(steps: pd.DataFrame, dem: pd.DataFrame) -> None:
    """Shape, signs, links and totals of the demand steps (see AllocationProblem)."""
    _check_table("demand_steps", steps, STEP_KEYS, STEP_VALUES)
    for col in STEP_VALUES:
        _require("demand_steps", col, steps, steps[col] >= 0, ">= 0")
    _check_references("demand_steps", steps, DEMAND_KEYS, "demand", dem, STEP_KEYS)
    dem_keys = list(zip(*(dem[k].astype(str).tolist() for k in DEMAND_KEYS)))
    row = {key: i for i, key in enumerate(dem_keys)}  # every step's row exists (just checked)
    at = np.array([row[key] for key in zip(*(steps[k].astype(str).tolist()
                                             for k in DEMAND_KEYS))], dtype=np.int64)
    total = np.bincount(at, weights=steps["m_output_per_hour"].to_numpy(dtype=float),
                        minlength=len(dem))
    want = dem["m_output_per_hour"].to_numpy(dtype=float)
    off = np.zeros(len(dem), dtype=bool)
    off[at] = (np.abs(total - want) > 1e-9 * np.maximum(1.0, np.abs(want)))[at]
    if off.any():
        bad = sorted(dem_keys[i] for i in np.flatnonzero(off))
        raise ValueError("demand_steps must sum to their demand row's m_output_per_hour; "
                         f"they do not for {bad[:5]}")


def _check_purchases(buy: pd.DataFrame, cap: pd.DataFrame) -> None:
    """Shape, signs and links of the purchase table (see AllocationProblem)."""
    _check_table("purchases", buy, PURCHASE_KEYS + ["quarter"], PURCHASE_VALUES)
    for col in ("life_quarters", "domain_chips"):
        v = buy[col]
        _require("purchases", col, buy, (v >= 1) & (v == np.floor(v)), "a whole number >= 1")
    _require("purchases", "min_chips", buy, buy["min_chips"] >= 0, ">= 0")
    _require("purchases", "max_chips", buy, buy["max_chips"] >= buy["min_chips"], ">= min_chips")
    for col in ("usd_per_chip", "committed_usd_per_chip_hour"):
        _require("purchases", col, buy, buy[col] >= 0, ">= 0")
    _check_references("purchases", buy, CAPACITY_KEYS, "capacity", cap,
                      PURCHASE_KEYS + ["quarter"])


def _check_table(table: str, df: pd.DataFrame, keys: list[str], values: list[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{table} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in keys + values if c not in df.columns]
    if missing:
        raise ValueError(f"{table} is missing column(s) {missing}; has {list(df.columns)}")
    for c in keys:
        bad = df[c].isna()
        if bad.any():
            raise ValueError(f"{table}.{c} has missing keys in rows {_rows(df, bad)}")
    for c in values:
        _numeric(table, c, df)
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        raise ValueError(f"{table} has duplicate {tuple(keys)} keys: {_rows(df, dup, keys)}")


def _numeric(table: str, col: str, df: pd.DataFrame) -> pd.Series:
    s = df[col]
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        raise ValueError(f"{table}.{col} must be numeric, got dtype {s.dtype}")
    bad = ~np.isfinite(s.to_numpy(dtype=float))
    if bad.any():
        raise ValueError(f"{table}.{col} has NaN or infinite values in rows {_rows(df, bad)}")
    return s


def _require(table: str, col: str, df: pd.DataFrame, ok, what: str) -> None:
    bad = ~np.asarray(ok, dtype=bool)
    if bad.any():
        raise ValueError(f"{table}.{col} must be {what}; offending rows {_rows(df, bad)}")


def _check_references(table: str, df: pd.DataFrame, keys: list[str], target: str,
                      tdf: pd.DataFrame, shown: list[str] = OPTION_KEYS) -> None:
    """Every ``keys`` tuple of ``df`` must be a row of ``tdf``; ``shown`` columns name the
    offending rows."""
    if df.empty:
        return
    have = set(zip(*(tdf[k].astype(str).tolist() for k in keys)))
    bad = np.fromiter((key not in have for key in zip(*(df[k].astype(str).tolist() for k in keys))),
                      dtype=bool, count=len(df))
    if bad.any():
        raise ValueError(
            f"{table} rows reference {tuple(keys)} keys absent from {target}: "
            f"{_rows(df, bad, shown)}"
        )


def _rows(df: pd.DataFrame, mask, cols: list[str] | None = None, limit: int = 5) -> str:
    """A short listing of the first offending rows (index label or key tuple)."""
    mask = np.asarray(mask, dtype=bool)
    sub = df.loc[mask]
    items = (list(sub[cols].astype(str).itertuples(index=False, name=None)) if cols
             else list(sub.index))
    more = f" (+{mask.sum() - limit} more)" if mask.sum() > limit else ""
    return ", ".join(str(i) for i in items[:limit]) + more
