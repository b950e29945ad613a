"""Outcome changes between two plans that matter for a review, beyond set thresholds.

* served: a model-quarter whose served share moved by at least ``served`` (fraction of demand),
  or whose served or unmet tokens moved by at least ``served`` x its (larger) demand;
* cost: all-in cost per M output tokens moved by at least ``cost`` (relative), or the gross
  margin by at least ``margin`` (absolute, 0.01 = one point);
* when: the first quarter a model is servable at its list price and target margin moved, or
  the number of such quarters changed (see planner.report.findings);
* shadow: a system-quarter's shadow price moved by at least ``shadow`` (relative) and
  ``shadow_floor_usd`` $/chip-hour.
Rows present on one side only (a model or system added or removed) always count.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from planner.report import findings


@dataclass(frozen=True)
class Thresholds:
    served: float = 0.01
    cost: float = 0.05
    margin: float = 0.01
    shadow: float = 0.05
    shadow_floor_usd: float = 0.01

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Outcome:
    """The frames one side of a diff needs: economics, utilisation and the target margin."""

    economics: pd.DataFrame
    utilisation: pd.DataFrame
    target_margin: float


def _pair(old: pd.DataFrame, new: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    merged = old[keys + columns].merge(new[keys + columns], on=keys, how="outer",
                                       suffixes=("_old", "_new"), indicator=True)
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)


def _moved(old: pd.Series, new: pd.Series, tolerance) -> pd.Series:
    """|new - old| >= tolerance, or exactly one side missing."""
    one_missing = old.isna() != new.isna()
    return one_missing | ((new - old).abs() >= tolerance - 1e-12)


def served_changes(base: Outcome, proposed: Outcome, t: Thresholds) -> pd.DataFrame:
    cols = ["demand_output_tokens_per_day", "served_output_tokens_per_day",
            "unmet_output_tokens_per_day", "served_fraction"]
    p = _pair(base.economics, proposed.economics, ["model", "quarter"], cols)
    scale = np.fmax(p["demand_output_tokens_per_day_old"].fillna(0),
                    p["demand_output_tokens_per_day_new"].fillna(0))
    tokens = t.served * scale.where(scale > 0, np.inf)
    flag = (_moved(p["served_fraction_old"], p["served_fraction_new"], t.served)
            | _moved(p["served_output_tokens_per_day_old"], p["served_output_tokens_per_day_new"], tokens)
            | _moved(p["unmet_output_tokens_per_day_old"], p["unmet_output_tokens_per_day_new"], tokens)
            | (p["_merge"] != "both"))
    return p[flag].drop(columns="_merge").reset_index(drop=True)


def cost_changes(base: Outcome, proposed: Outcome, t: Thresholds) -> pd.DataFrame:
    cols = ["cost_usd_per_m_output_all_in", "gross_margin", "cost_basis"]
    p = _pair(base.economics, proposed.economics, ["model", "quarter"], cols)
    old, new = p["cost_usd_per_m_output_all_in_old"], p["cost_usd_per_m_output_all_in_new"]
    relative = (new / old.where(old > 0) - 1.0)
    flag = (_moved(old, new, np.inf) | (relative.abs() >= t.cost - 1e-12)
            | _moved(p["gross_margin_old"], p["gross_margin_new"], t.margin) | (p["_merge"] != "both"))
    p["cost_change"] = relative
    return p[flag].drop(columns="_merge").reset_index(drop=True)


def when_changes(base: Outcome, proposed: Outcome) -> pd.DataFrame:
    old = findings.servable(base.economics, base.target_margin)
    new = findings.servable(proposed.economics, proposed.target_margin)
    p = _pair(old, new, ["model"], ["list_usd_per_m_output", "first_quarter",
                                    "servable_quarters", "reason"])
    firsts = zip(p["first_quarter_old"], p["first_quarter_new"])
    clean = [(None if findings.is_missing(a) else a, None if findings.is_missing(b) else b)
             for a, b in firsts]
    p["first_quarter_old"] = [a for a, _ in clean]
    p["first_quarter_new"] = [b for _, b in clean]
    p["shift_quarters"] = [findings.quarter_shift(a, b) for a, b in clean]
    flag = [(a != b) or m != "both" or n_old != n_new for (a, b), m, n_old, n_new
            in zip(clean, p["_merge"], p["servable_quarters_old"], p["servable_quarters_new"])]
    out = p[flag].drop(columns="_merge").reset_index(drop=True)
    return out.astype({"shift_quarters": object}).where(out.notna(), None)


def shadow_changes(base: Outcome, proposed: Outcome, t: Thresholds) -> pd.DataFrame:
    p = _pair(base.utilisation, proposed.utilisation, ["system", "quarter"],
              ["shadow_price_usd_per_chip_hour"])
    old, new = p["shadow_price_usd_per_chip_hour_old"], p["shadow_price_usd_per_chip_hour_new"]
    tolerance = np.fmax(t.shadow_floor_usd, t.shadow * np.fmax(old.abs().fillna(0), new.abs().fillna(0)))
    flag = _moved(old, new, tolerance) | (p["_merge"] != "both")
    return p[flag].drop(columns="_merge").reset_index(drop=True)


def outcome_changes(base: Outcome, proposed: Outcome, t: Thresholds) -> dict[str, pd.DataFrame]:
    """The four change tables, by name (empty frames when nothing moved)."""
    return {"when": when_changes(base, proposed), "served": served_changes(base, proposed, t),
            "cost": cost_changes(base, proposed, t), "shadow_prices": shadow_changes(base, proposed, t)}
