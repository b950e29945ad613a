"""Calibration report: the points scored with a parameter file, or refitted (the tables, JSON
and plot of a report: :mod:`planner.calibration.render`).

``evaluate`` scores the points with a parameter file as it is (in-sample errors recomputed,
cross-validation figures read from the file, where the fit stored them). ``refit`` fits,
cross-validates and returns the same report for the new parameters; the parameter file
itself is written by :mod:`planner.calibration.paramfile`.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd
import yaml

from planner.calibration import fit as fitting
from planner.calibration import params
from planner.calibration.paramfile import IN_SAMPLE_SUMMARIES, SUMMARIES
from planner.calibration.points import SHIPPED, SHIPPED_NAME, CalibrationPoint, parse_points
from planner.calibration.predict import load_catalog
from planner.costcore.efficiency import EfficiencyTable, parse_efficiency_table
from planner.errors import InputError, Problem

PARAMS_NAME = "planner/data/efficiency.yaml"


def shipped_params_path() -> Path:
    """The efficiency file inside the installed package (what the planner reads)."""
    return Path(str(resources.files("planner").joinpath("data/efficiency.yaml")))


@dataclass(frozen=True)
class Calibration:
    """Points, the parameters they were scored with, a per-point frame and the summaries."""

    points: list[CalibrationPoint]
    table: EfficiencyTable
    frame: pd.DataFrame
    summary: dict
    params_file: str
    points_file: str
    points_sha256: str
    cv_note: str = ""


def _read_points(path: Union[str, Path, None], models, systems):
    if path is None:
        text = resources.files("planner").joinpath(SHIPPED).read_text("utf-8")
        name = SHIPPED_NAME
    else:
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([Problem(str(path), None, "", f"cannot read: {exc}")]) from None
        name = str(path)
    points = parse_points(text, name, models, systems)
    return points, name, hashlib.sha256(text.encode()).hexdigest()


def _read_params(path: Union[str, Path, None]) -> tuple[EfficiencyTable, str]:
    if path is None:
        path, name = shipped_params_path(), PARAMS_NAME
    else:
        name = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
        return parse_efficiency_table(data, name), name
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise InputError([Problem(name, None, "", f"cannot use this efficiency file: {exc}")]) from None


def _frame(points: Sequence[CalibrationPoint], systems, prediction, loo, loso) -> pd.DataFrame:
    measured = np.array([p.tokens_per_s_per_gpu for p in points])
    return pd.DataFrame({
        "id": [p.id for p in points],
        "model": [p.model for p in points],
        "system": [p.system for p in points],
        "family": [fitting.family_of(p, systems) for p in points],
        "kind": [p.kind for p in points],
        "basis": [p.basis for p in points],
        "used": [p.use for p in points],
        "measured": measured,
        "predicted": prediction.tokens_per_s_per_gpu,
        "ratio": prediction.tokens_per_s_per_gpu / measured,
        "loo_ratio": np.asarray(loo, float) / measured,
        "loso_ratio": np.asarray(loso, float) / measured,
        "replica_chips": prediction.replica_chips,
        "batch": prediction.batch,
        "user_measured": [np.nan if p.tokens_per_s_per_user is None else p.tokens_per_s_per_user
                          for p in points],
        "user_predicted": prediction.tokens_per_s_per_user,
        "fits": prediction.fits,  # the configuration holds weights and KV cache in HBM
    })


def _summaries(frame: pd.DataFrame) -> dict:
    out = {}
    for key, _ in SUMMARIES:
        used = frame[frame["used"] & (frame["family"].isin(params.NVIDIA)
                                      if key.startswith("nvidia_") else True)]
        column = {"in_sample": "predicted", "leave_one_point_out": "loo_ratio",
                  "leave_one_source_out": "loso_ratio"}[key.removeprefix("nvidia_")]
        if column == "predicted":
            pred = used["predicted"].to_numpy()
        else:
            pred = used[column].to_numpy() * used["measured"].to_numpy()
        out[key] = fitting.factors(pred, used["measured"].to_numpy(), used["id"].to_numpy())
    return out


def evaluate(points_path=None, params_path=None, catalog=None) -> Calibration:
    """Score the points with a parameter file as it is (default: the shipped ones)."""
    models, systems = catalog or load_catalog()
    points, pname, digest = _read_points(points_path, models, systems)
    table, name = _read_params(params_path)
    prediction = fitting.predict(points, models, systems, table)
    stored = (table.calibration or {}).get("points") or {}
    loo, loso, missing = [], [], []
    for p in points:
        entry = stored.get(p.id)
        if isinstance(entry, dict) and _same(entry.get("measured"), p.tokens_per_s_per_gpu):
            loo.append(_float(entry.get("loo")))
            loso.append(_float(entry.get("loso")))
        else:
            loo.append(np.nan)
            loso.append(np.nan)
            if p.use:
                missing.append(p.id)
    frame = _frame(points, systems, prediction, loo, loso)
    summary = _summaries(frame)
    note = ""
    if missing:
        note = (f"cross-validation not available for {len(missing)} point(s) "
                f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): the parameter "
                "file was not fitted on these points; run `planner calibrate --fit`")
        for key, _ in SUMMARIES:
            if key not in IN_SAMPLE_SUMMARIES:
                summary[key] = None
    return Calibration(points, table, frame, summary, name, pname, digest, note)


def refit(points_path=None, catalog=None, today: Optional[str] = None):
    """Fit, cross-validate and score: (fits per family, Calibration with the new table)."""
    models, systems = catalog or load_catalog()
    points, pname, digest = _read_points(points_path, models, systems)
    if not any(p.use for p in points):
        raise InputError([Problem(pname, None, "use", "no point has use=yes: nothing to fit")])
    fits = fitting.fit(points, models, systems)
    date = today or _dt.date.today().isoformat()
    table = fitting.table_of(fits, date=date, fitted_on=[p.id for p in points if p.use])
    prediction = fitting.predict(points, models, systems, table)
    loo = fitting.cross_validate(points, models, systems, "point")
    loso = fitting.cross_validate(points, models, systems, "source")
    for i, p in enumerate(points):  # unused points are not held out: their fit is the full one
        if not p.use:
            loo[i] = loso[i] = np.nan
    frame = _frame(points, systems, prediction, loo, loso)
    return fits, Calibration(points, table, frame, _summaries(frame), "", pname, digest)


def _same(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")
