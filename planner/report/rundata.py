"""A run directory read back as frames: what the report and plots are made from.

`planner run --out DIR` writes summary.json (provenance, economics, allocation, utilisation
and the fleet P&L per quarter; summaries from before the P&L have no ``fleet_pnl``; runs with
``--buy`` add ``purchases``, whose ``in_service`` records are the bought chips per system and
quarter); with
``--report`` it also writes pareto.csv, the cost-versus-speed frontiers of each served model on
each system in the fleet at the horizon's last quarter. The report is always built from these
files, so `planner report DIR` and `planner run --out DIR --report` agree byte for byte.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.output.tables import FORMULA_STARTS, write_csv

SUMMARY = "summary.json"
PARETO = "pareto.csv"

REQUIRED = {
    "economics": ["model", "quarter", "demand_output_tokens_per_day", "served_output_tokens_per_day",
                  "unmet_output_tokens_per_day", "served_fraction", "chips", "systems", "cost_basis",
                  "cost_usd_per_m_input", "cost_usd_per_m_output", "cost_usd_per_m_output_all_in",
                  "list_usd_per_m_output", "revenue_usd_per_m_output", "gross_margin",
                  "break_even_price_usd_per_m_output", "price_at_target_margin_usd_per_m_output",
                  "achievable_price_usd_per_m_output"],
    "allocation": ["model", "system", "quarter", "chips"],
    "utilisation": ["system", "quarter", "capacity_chips", "used_chips", "utilisation",
                    "shadow_price_usd_per_chip_hour"],
}
KEYS = {"economics": ["model", "quarter"], "allocation": ["model", "system", "quarter"],
        "utilisation": ["system", "quarter"]}
PNL = "fleet_pnl"
PURCHASED_COLUMNS = ["system", "quarter", "chips"]
PNL_COLUMNS = ["quarter", "revenue_usd", "serving_cost_usd", "idle_cost_usd", "reserved_cost_usd",
               "fleet_cost_usd", "operating_profit_usd", "operating_margin"]
TEXT = {"model", "system", "quarter", "systems", "cost_basis", "tier"}
PARETO_COLUMNS = ["model", "system", "quarter", "replica_chips", "batch",
                  "output_tokens_per_s_per_user", "output_tokens_per_s_per_chip", "usd_per_m_output",
                  "usd_per_m_output_incl_input", "meets_slo", "min_output_tokens_per_s"]


@dataclass
class RunData:
    """The frames of one run, as `planner run --out` wrote them."""

    directory: str
    provenance: dict
    economics: pd.DataFrame
    allocation: pd.DataFrame
    utilisation: pd.DataFrame
    pareto: pd.DataFrame | None  # None when the run was written without --report
    fleet_pnl: pd.DataFrame | None = None  # None when summary.json predates the fleet P&L
    purchased: pd.DataFrame | None = None  # bought chips in service; None: the run bought nothing

    @property
    def name(self) -> str:
        return str(self.provenance.get("scenario", "unnamed scenario"))

    @property
    def target_margin(self) -> float:
        return float(self.provenance.get("target_margin", 0.0))


def _bad(path: str, message: str) -> InputError:
    return InputError([Problem(path, None, "", message)])


def read_run(directory: str) -> RunData:
    """Read summary.json (and pareto.csv if present) from a run directory; InputError if bad."""
    if not os.path.isdir(directory):
        raise _bad(directory, "no such run directory; write one with `planner run --out DIR`")
    path = os.path.join(directory, SUMMARY)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise _bad(path, "not found; is this a `planner run --out` directory?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise _bad(path, f"not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("provenance"), dict):
        raise _bad(path, "not a planner summary: expected an object with `provenance`, "
                         "`economics`, `allocation` and `utilisation`")
    frames, problems = {}, _provenance_problems(path, data["provenance"])
    tables = dict(REQUIRED, **({PNL: PNL_COLUMNS} if PNL in data else {}))
    for key, columns in tables.items():
        frame, problem = _table(data.get(key), columns, KEYS.get(key, ["quarter"]))
        if problem:
            problems.append(Problem(path, None, key, problem))
        else:
            frames[key] = frame
    purchased = None
    if "purchases" in data:
        records = data["purchases"].get("in_service") if isinstance(data["purchases"], dict) \
            else None
        purchased, problem = _table(records, PURCHASED_COLUMNS, ["system", "quarter"])
        if problem:
            problems.append(Problem(path, None, "purchases.in_service", problem))
    if problems:
        raise InputError(problems)
    return RunData(directory, data["provenance"], frames["economics"], frames["allocation"],
                   frames["utilisation"], _read_pareto(os.path.join(directory, PARETO)),
                   frames.get(PNL), purchased)


def _table(records: object, columns: list[str],
           keys: list[str]) -> tuple[pd.DataFrame | None, str | None]:
    """(typed frame, None) for a list of records with ``columns``, one per key; else (None, why)."""
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return None, "missing or not a list of records"
    frame = pd.DataFrame.from_records(records, columns=None if records else columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        return None, "missing columns: " + ", ".join(missing)
    for number, record in enumerate(records, start=1):
        lacking = [c for c in columns if c not in record]
        if lacking:
            return None, f"record {number} lacks " + ", ".join(lacking)
    frame = _typed(frame, columns)
    problem = _key_problem(frame, keys)
    return (None, problem) if problem else (frame, None)


def _provenance_problems(path: str, provenance: dict) -> list[Problem]:
    """The provenance fields the report reads, checked for their type."""
    problems = []
    for key in ("horizon", "solver", "versions"):
        if not isinstance(provenance.get(key, {}), dict):
            problems.append(Problem(path, None, f"provenance.{key}", "must be an object"))
    margin = provenance.get("target_margin", 0.0)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) \
            or not math.isfinite(margin) or not 0 <= margin < 1:
        problems.append(Problem(path, None, "provenance.target_margin",
                                f"must be a number from 0 to below 1, got {margin!r}"))
    for key in ("scenario", "input_sha256"):
        if not isinstance(provenance.get(key, ""), str):
            problems.append(Problem(path, None, f"provenance.{key}", "must be text"))
    return problems


def _key_problem(frame: pd.DataFrame, keys: list[str]) -> str | None:
    """Why ``frame`` is not one record per key (a tampered or hand-edited file), or None."""
    from common.quarters import Quarter

    for text in frame["quarter"].unique():
        try:
            Quarter.parse(text)
        except ValueError:
            return f"record with quarter '{text}', which is not a quarter; rewrite the file " \
                "with `planner run --out`"
    duplicated = frame.duplicated(keys)
    if duplicated.any():
        first = frame.loc[duplicated.idxmax(), keys]
        shown = ", ".join(f"{k}={first[k]}" for k in keys)
        return f"two records for {shown} (record {int(duplicated.idxmax()) + 1}); the file was " \
            "edited or is corrupt: rewrite it with `planner run --out`"
    return None


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Names as text, numbers as floats (JSON nulls become NaN)."""
    frame = frame.copy()
    for column in columns:
        if column in TEXT:
            frame[column] = frame[column].fillna("").astype(str)
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def _read_pareto(path: str) -> pd.DataFrame | None:
    if not os.path.exists(path):
        return None
    try:
        frame = pd.read_csv(path, dtype={"model": str, "system": str, "quarter": str})
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise _bad(path, f"cannot read: {exc}") from None
    missing = [c for c in PARETO_COLUMNS if c not in frame.columns]
    if missing:
        raise _bad(path, "missing columns: " + ", ".join(missing))
    for column in ("model", "system", "quarter"):  # undo write_csv's formula guard
        guarded = frame[column].str.startswith(tuple("'" + s for s in FORMULA_STARTS), na=False)
        frame.loc[guarded, column] = frame.loc[guarded, column].str[1:]
    return frame


def pareto_frame(plan) -> pd.DataFrame:
    """Frontiers of each served model on each system with chips at the horizon's last quarter,
    from the plan's own cost core evaluation (not a second one)."""
    from fleets.timeline import fleet_table
    from planner.costcore.select import pareto_columns

    scenario = plan.loaded.scenario
    quarter = scenario.horizon.end
    fleet = fleet_table(scenario, [quarter])
    present = set(fleet.loc[fleet["available_chips"] > 0, "system"])
    systems = [s for s in scenario.systems if s in present] or list(scenario.systems)
    parts = []
    for model in (m for m in scenario.demand if m in scenario.models):
        speed = scenario.models[model].slo.min_output_tokens_per_s
        for system in systems:
            cols = pareto_columns(plan.cost_core.grid, model, system, str(quarter))
            if cols:
                n = len(cols["batch"])
                parts.append({**cols, "model": [model] * n, "system": [system] * n,
                              "quarter": [str(quarter)] * n, "min_output_tokens_per_s": [speed] * n})
    if not parts:
        return pd.DataFrame(columns=PARETO_COLUMNS)
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in PARETO_COLUMNS})


def write_pareto(plan, directory: str) -> list[str]:
    """Write pareto.csv (the report's frontier data) into ``directory``."""
    write_csv(pareto_frame(plan), os.path.join(directory, PARETO))
    return [PARETO]
