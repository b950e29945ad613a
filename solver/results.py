"""The solver's result: tidy DataFrames and scalars computed from a plan's chips per option."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .demand_steps import served_value
from .indexing import IndexedProblem


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """Outcome of ``solve_allocation``; every DataFrame is sorted by its keys.

    allocation: model, system, quarter, site, chips, replicas (NaN in LP mode),
        m_output_per_hour (served by that option), usd_per_hour - only options with chips > 0.
    service: model, quarter, demand/served/unmet_m_output_per_hour, served_fraction,
        min_served_fraction, shortfall_m_output_per_hour (below the minimum service level).
    utilisation: system, quarter, site, capacity_chips, used_chips, utilisation,
        shadow_price_usd_per_chip_hour.
    power: site, quarter, cap_mw, used_mw, shadow_price_usd_per_mw_hour (None without caps).
    objective_usd_per_hour: value of served demand - serving cost - unmet penalty - migration cost.
    solver_objective_usd_per_hour: what the solver maximised: the objective less the
        tie-break cost and the minimum-service shortfall penalty.
    status: "optimal" (LP, or MILP within the gap), "rounded" (integer="round") or
        "time_limit" (MILP incumbent, only with SolveOptions.accept_time_limit).
    lp_bound_usd_per_hour, gap: integer modes only; gap = (bound - solver objective) /
        max(|bound|, 1), both in the solver's objective.
    min_service_violations: the service rows with a shortfall (empty when none).
    purchases: system, site, quarter_ordered, quarter (in service), chips, min_chips,
        max_chips, capex_usd, committed_usd_per_chip_hour, quarters_in_service and
        supply_shadow_usd_per_chip_hour: the objective gained ($ per hour, summed over
        quarters) per extra chip of vendor allocation (None without purchases). With
        purchases, ``utilisation.capacity_chips`` includes the bought chips.
    budget: quarter_ordered, budget_usd, capex_usd (spent), budget_shadow_per_usd_hour: the
        objective gained ($ per hour, summed over quarters) per extra $ of budget.
    """

    allocation: pd.DataFrame
    service: pd.DataFrame
    utilisation: pd.DataFrame
    power: pd.DataFrame | None
    objective_usd_per_hour: float
    solver_objective_usd_per_hour: float
    status: str
    solver: str
    solver_version: str
    integer: str
    timings: dict[str, float]
    lp_bound_usd_per_hour: float | None = None
    gap: float | None = None
    min_service_violations: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: tuple[str, ...] = ()
    n_variables: int = 0
    n_constraints: int = 0
    tie_break_usd_per_chip_hour: float = 0.0
    min_service_penalty_usd_per_m_output: float = 0.0
    purchases: pd.DataFrame | None = None
    budget: pd.DataFrame | None = None


def output_capacity(ix: IndexedProblem, chips: np.ndarray) -> np.ndarray:
    """M output tokens/hour the chips could serve, per demand row (may exceed demand)."""
    return np.bincount(ix.option_dem, weights=ix.tput_m_per_chip_hour * chips,
                       minlength=len(ix.demand_m_per_hour))


def served(ix: IndexedProblem, chips: np.ndarray) -> np.ndarray:
    """Served M output tokens/hour per demand row: output capacity, capped at demand."""
    return np.minimum(output_capacity(ix, chips), ix.demand_m_per_hour)


def shortfall(ix: IndexedProblem, chips: np.ndarray) -> np.ndarray:
    """M output tokens/hour below the minimum service level, per demand row."""
    return np.maximum(ix.min_served_fraction * ix.demand_m_per_hour - served(ix, chips), 0.0)


def moved(ix: IndexedProblem, chips: np.ndarray) -> np.ndarray:
    """Chips each migration row loses to the next quarter (0 when it keeps or grows)."""
    after = np.where(ix.mig_to >= 0, chips[np.maximum(ix.mig_to, 0)], 0.0)
    return np.maximum(chips[ix.mig_from] - after, 0.0)


def economic_objective(ix: IndexedProblem, chips: np.ndarray) -> float:
    """Value of served demand - serving cost - unmet penalty - migration cost, in $ per hour
    (on rows with demand steps, the value of the slices served: ``demand_steps.served_value``)."""
    s = served(ix, chips)
    unmet = ix.demand_m_per_hour - s
    value = (float(ix.value_usd_per_m @ s) if ix.demand_steps is None
             else served_value(ix, s, unmet))
    return float(value - ix.usd_per_chip_hour @ chips
                 - ix.penalty_usd_per_m @ unmet
                 - ix.migration_usd_per_chip_hour * moved(ix, chips).sum())


def solver_objective(ix: IndexedProblem, chips: np.ndarray, tie_break: float,
                     ms_penalty: float) -> float:
    """The objective the solver maximises: economic less tie-break and shortfall penalty."""
    return (economic_objective(ix, chips) - tie_break * float(chips.sum())
            - ms_penalty * float(shortfall(ix, chips).sum()))


def served_per_option(ix: IndexedProblem, chips: np.ndarray) -> np.ndarray:
    """M output tokens/hour each option serves: its output capacity, pro-rated where a demand
    row's capacity exceeds its demand."""
    cap_out = output_capacity(ix, chips)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(cap_out > ix.demand_m_per_hour,
                         ix.demand_m_per_hour / np.where(cap_out > 0, cap_out, 1.0), 1.0)
    return ix.tput_m_per_chip_hour * chips * scale[ix.option_dem]


def allocation_table(ix: IndexedProblem, chips: np.ndarray,
                     replicas: np.ndarray | None) -> pd.DataFrame:
    """Options with chips > 0, with what they serve (:func:`served_per_option`) and cost."""
    used = chips > 0
    df = ix.option_keys.loc[used].reset_index(drop=True)
    df["chips"] = chips[used]
    df["replicas"] = replicas[used] if replicas is not None else np.nan
    df["m_output_per_hour"] = served_per_option(ix, chips)[used]
    df["usd_per_hour"] = (ix.usd_per_chip_hour * chips)[used]
    return df


def service_table(ix: IndexedProblem, chips: np.ndarray) -> pd.DataFrame:
    """Demand, served, unmet and served fraction per (model, quarter)."""
    d = ix.demand_m_per_hour
    s = served(ix, chips)
    df = ix.demand_keys.reset_index(drop=True).copy()
    df["demand_m_output_per_hour"] = d
    df["served_m_output_per_hour"] = s
    df["unmet_m_output_per_hour"] = d - s
    with np.errstate(divide="ignore", invalid="ignore"):
        df["served_fraction"] = np.where(d > 0, s / np.where(d > 0, d, 1.0), 1.0)
    df["min_served_fraction"] = ix.min_served_fraction
    df["shortfall_m_output_per_hour"] = shortfall(ix, chips)
    return df


def utilisation_table(ix: IndexedProblem, chips: np.ndarray,
                      shadow_usd_per_chip_hour: np.ndarray) -> pd.DataFrame:
    """Capacity, chips used, utilisation and shadow price per (system, quarter, site)."""
    cap = ix.capacity_chips
    used = np.bincount(ix.option_cap, weights=chips, minlength=len(cap))
    df = ix.capacity_keys.reset_index(drop=True).copy()
    df["capacity_chips"] = cap
    df["used_chips"] = used
    with np.errstate(divide="ignore", invalid="ignore"):
        df["utilisation"] = np.where(cap > 0, used / np.where(cap > 0, cap, 1.0), 0.0)
    df["shadow_price_usd_per_chip_hour"] = shadow_usd_per_chip_hour
    return df


def power_table(ix: IndexedProblem, chips: np.ndarray,
                shadow_usd_per_mw_hour: np.ndarray) -> pd.DataFrame:
    """Cap, MW used and shadow price per (site, quarter) with a power cap."""
    linked = ix.option_pow >= 0
    used = np.bincount(ix.option_pow[linked], weights=(chips * ix.kw_per_chip / 1000.0)[linked],
                       minlength=len(ix.power_mw))
    df = ix.power_keys.reset_index(drop=True).copy()
    df["cap_mw"] = ix.power_mw
    df["used_mw"] = used
    df["shadow_price_usd_per_mw_hour"] = shadow_usd_per_mw_hour
    return df


def violations(service: pd.DataFrame, tol_m_per_hour: float = 1e-6) -> pd.DataFrame:
    """Service rows whose shortfall below the minimum service level exceeds the tolerance."""
    tol = tol_m_per_hour * np.maximum(1.0, service["demand_m_output_per_hour"].to_numpy())
    bad = service["shortfall_m_output_per_hour"].to_numpy() > tol
    cols = ["model", "quarter", "demand_m_output_per_hour", "min_served_fraction",
            "served_fraction", "shortfall_m_output_per_hour"]
    return service.loc[bad, cols].reset_index(drop=True)


def describe_violations(viol: pd.DataFrame, limit: int = 10) -> str:
    """'model m in 2026Q1: needs 99.0 % served, plan serves 80.0 %; ...' for messages."""
    parts = [f"model {r.model} in {r.quarter}: needs {100 * r.min_served_fraction:.1f} % served, "
             f"the best plan serves {100 * r.served_fraction:.1f} %"
             for r in viol.head(limit).itertuples(index=False)]
    more = f"; and {len(viol) - limit} more" if len(viol) > limit else ""
    return "; ".join(parts) + more


def purchase_table(ix: IndexedProblem, bought: np.ndarray, shadow: np.ndarray) -> pd.DataFrame:
    """One row per purchase slot (sorted by system, site, quarter ordered), bought or not."""
    from .purchases import quarters_in_service

    pu = ix.purchases
    df = pu.keys.reset_index(drop=True).copy()
    df["chips"] = bought
    df["min_chips"] = pu.min_chips
    df["max_chips"] = pu.max_chips
    df["capex_usd"] = bought * pu.usd_per_chip
    df["committed_usd_per_chip_hour"] = pu.committed_usd_per_chip_hour
    df["quarters_in_service"] = quarters_in_service(pu)
    df["supply_shadow_usd_per_chip_hour"] = shadow
    return df


def budget_table(ix: IndexedProblem, bought: np.ndarray, shadow: np.ndarray) -> pd.DataFrame:
    """Budget, capex spent and shadow price per quarter ordered."""
    pu = ix.purchases
    spent = np.zeros(len(pu.budget_usd))
    has = pu.budget_row >= 0
    np.add.at(spent, pu.budget_row[has], (bought * pu.usd_per_chip)[has])
    df = pu.budget_keys.reset_index(drop=True).copy()
    df["budget_usd"] = pu.budget_usd
    df["capex_usd"] = spent
    df["budget_shadow_per_usd_hour"] = shadow
    return df
