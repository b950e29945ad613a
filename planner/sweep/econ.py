"""Key outputs of one sample per (model, quarter), on arrays, by the run's own definitions:
the served output per option is the solver's (:func:`solver.results.served_per_option`, as in
the allocation table), served share, all-in cost and gross margin are
:mod:`planner.run.economics`'s functions, and ``when`` is :mod:`planner.queries.servable`'s
sustained-from rule (served share >= ``WHEN_SHARE`` and the margin at list price >= the target
margin in every quarter with demand through the horizon's end; a free tier needs the share
only; -1 when no quarter of the horizon qualifies)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demand.timeline import DemandArrays
from planner.queries.servable import SERVED_SHARE, first_and_sustained
from planner.run.economics import SERVED_EPS, gross_margin, per_m_served, served_fraction
from planner.sweep.lp import Solved
from solver.results import served_per_option

WHEN_SHARE = SERVED_SHARE


@dataclass
class SampleEconomics:
    served_fraction: np.ndarray  # (M, Q)
    cost: np.ndarray  # (M, Q) $ per M output tokens, all in
    margin: np.ndarray  # (M, Q)
    when: np.ndarray  # (M,) quarter position, -1 = never in the horizon
    served_share: np.ndarray  # (M,) served / demand over the horizon
    horizon_margin: np.ndarray  # (M,) 1 - cost / revenue of what is served over the horizon
    fleet_margin: float  # the same over every model


def sample_economics(solved: Solved, demand: DemandArrays, n_models: int, n_systems: int,
                     n_quarters: int, target_margin: float) -> SampleEconomics:
    """A sample's key outputs from its solved LP, by the run's definitions."""
    M, S, Q = n_models, n_systems, n_quarters
    ix, ids, chips = solved.ix, solved.options, solved.chips
    row = (ids // (S * Q)) * Q + ids % Q  # (m, q) id of each option, scenario order
    dem = demand.m_output_per_hour.reshape(-1)
    used = chips > 0
    served = np.bincount(row[used], weights=served_per_option(ix, chips)[used], minlength=M * Q)
    usd_hour = np.bincount(row[used], weights=(ix.usd_per_chip_hour * chips)[used], minlength=M * Q)
    cheapest = np.full(M * Q, np.inf)
    np.minimum.at(cheapest, row, ix.usd_per_chip_hour / ix.tput_m_per_chip_hour)
    cheapest[np.isinf(cheapest)] = np.nan

    fraction = served_fraction(served, dem)
    cost = per_m_served(usd_hour, served, cheapest)
    margin = gross_margin(cost, demand.revenue.reshape(-1), dem > 0)

    shape = (M, Q)
    fraction, cost, margin = fraction.reshape(shape), cost.reshape(shape), margin.reshape(shape)
    has_revenue = demand.revenue > 0
    ok = ((demand.m_output_per_hour > 0) & (fraction >= WHEN_SHARE)
          & (~has_revenue | (np.nan_to_num(margin, nan=-np.inf) >= target_margin - 1e-9)))
    when = first_and_sustained(ok, demand.m_output_per_hour > 0)[1]

    served2, dem2 = served.reshape(shape), demand.m_output_per_hour
    spend = np.where(served2 > SERVED_EPS, usd_hour.reshape(shape), 0.0)
    income = demand.revenue * served2
    served_share = served_fraction(served2.sum(axis=1), dem2.sum(axis=1))
    horizon_margin = gross_margin(spend.sum(axis=1), income.sum(axis=1), True)
    fleet_margin = gross_margin(spend.sum(), income.sum(), True)
    return SampleEconomics(fraction, cost, margin, when, served_share, horizon_margin,
                           float(fleet_margin))
