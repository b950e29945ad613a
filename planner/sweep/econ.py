"""Key outputs of one sample per (model, quarter), as :func:`planner.run.economics.economics_table`
computes them, on arrays; and the sample's ``when`` quarter per model.

* served_fraction = served / demand (NaN with no demand: nothing to serve), margin likewise
* cost_usd_per_m_output_all_in = serving $ / M output served; when nothing is served, the
  cheapest available option's $ per M (NaN when no system can serve the model that quarter)
* gross_margin = 1 - cost / list revenue (NaN without list revenue)
* when: the first quarter from which, in every quarter with demand through the horizon's end,
  served_fraction >= ``WHEN_SHARE`` and the gross margin at list price >= the target margin
  (for a model without list revenue, a free tier, only the served fraction counts); -1 when
  no quarter of the horizon qualifies (planner.queries.servable).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.queries.servable import SERVED_SHARE, first_and_sustained
from planner.sweep.lp import Solved
from demand.timeline import DemandArrays

WHEN_SHARE = SERVED_SHARE
_SERVED_EPS = 1e-12  # as economics_table: below this a model-quarter counts as not served


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
    M, S, Q = n_models, n_systems, n_quarters
    ix, ids, chips = solved.ix, solved.options, solved.chips
    row = (ids // (S * Q)) * Q + ids % Q  # (m, q) id of each option, scenario order
    dem = demand.m_output_per_hour.reshape(-1)
    # served per option: throughput x chips, pro-rated where capacity exceeds demand (as the
    # solver's allocation table)
    out = ix.tput_m_per_chip_hour * chips
    capacity_out = np.bincount(row, weights=out, minlength=M * Q)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(capacity_out > dem,
                         dem / np.where(capacity_out > 0, capacity_out, 1.0), 1.0)
    served_opt = out * scale[row]
    used = chips > 0
    served = np.bincount(row[used], weights=served_opt[used], minlength=M * Q)
    usd_hour = np.bincount(row[used], weights=(ix.usd_per_chip_hour * chips)[used], minlength=M * Q)
    cheapest = np.full(M * Q, np.inf)
    np.minimum.at(cheapest, row, ix.usd_per_chip_hour / ix.tput_m_per_chip_hour)
    cheapest[np.isinf(cheapest)] = np.nan

    is_served = served > _SERVED_EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(dem > 0, served / np.where(dem > 0, dem, 1.0), np.nan)
        cost = np.where(is_served, usd_hour / np.where(is_served, served, 1.0), cheapest)
        revenue = demand.revenue.reshape(-1)
        margin = np.where((revenue > 0) & (dem > 0),
                          1.0 - cost / np.where(revenue > 0, revenue, 1.0), np.nan)

    shape = (M, Q)
    fraction, cost, margin = fraction.reshape(shape), cost.reshape(shape), margin.reshape(shape)
    has_revenue = demand.revenue > 0
    ok = ((demand.m_output_per_hour > 0) & (fraction >= WHEN_SHARE)
          & (~has_revenue | (np.nan_to_num(margin, nan=-np.inf) >= target_margin - 1e-9)))
    when = first_and_sustained(ok, demand.m_output_per_hour > 0)[1]

    served2, dem2 = served.reshape(shape), demand.m_output_per_hour
    spend = np.where(is_served.reshape(shape), usd_hour.reshape(shape), 0.0)
    income = demand.revenue * served2
    with np.errstate(divide="ignore", invalid="ignore"):
        served_share = np.where(dem2.sum(axis=1) > 0,
                                served2.sum(axis=1) / dem2.sum(axis=1), np.nan)
        horizon_margin = np.where(income.sum(axis=1) > 0,
                                  1.0 - spend.sum(axis=1) / income.sum(axis=1), np.nan)
        fleet_margin = (1.0 - spend.sum() / income.sum()) if income.sum() > 0 else np.nan
    return SampleEconomics(fraction, cost, margin, when, served_share, horizon_margin,
                           float(fleet_margin))
