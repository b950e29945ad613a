"""Calibration report: per-point table, error summary, JSON, plot, and the parameter file.

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


# ----------------------------------------------------------------------------- output
def _factor_text(s: Optional[dict]) -> str:
    if s is None:
        return "n/a"
    worst = "infinite" if math.isinf(s["worst_factor"]) else f"{s['worst_factor']:.2f}x"
    text = (f"median {s['median_factor']:.2f}x, worst {worst} ({s['worst_point']}), "
            f"{s['points']} points")
    if s["infeasible"]:
        text += f"; no configuration reaches the speed of {', '.join(s['infeasible'])}"
    return text


def summary_lines(cal: Calibration) -> list[str]:
    source = cal.params_file or "the new fit"
    lines = [f"parameters: {source} (version {cal.table.version}, {cal.table.date or 'undated'}); "
             f"points: {cal.points_file}"]
    for key, label in SUMMARIES:
        lines.append(f"{label + ':':27s} {_factor_text(cal.summary.get(key))}")
    if cal.cv_note:
        lines.append(cal.cv_note)
    fitted = sorted(set(cal.frame.loc[cal.frame["used"], "family"]))
    for row in families_frame(cal.table, fitted).itertuples(index=False):
        values = {k: getattr(row, k) for k in params.KEYS}
        bound = params.at_bound(values)
        if bound:
            lines.append(f"AT A BOUND: {row.family} {', '.join(bound)} (the points push it "
                         "to the edge of its range; see planner/calibration/params.py)")
    unused = cal.frame[~cal.frame["used"]]
    for row in unused.itertuples(index=False):
        lines.append(f"not used: {row.id} (see its notes in {cal.points_file})")
    return lines


def text_report(cal: Calibration) -> str:
    from planner.output.tables import format_table

    view = cal.frame[["id", "model", "system", "kind", "measured", "predicted", "ratio",
                      "loo_ratio", "replica_chips", "batch", "used"]].rename(
        columns={"loo_ratio": "cv_ratio", "replica_chips": "chips"})
    fam = families_frame(cal.table, sorted(set(cal.frame["family"])))
    return "\n".join([
        format_table(view, "Calibration points: tokens/s per GPU (basis per point), measured "
                           "vs predicted; cv = leave-one-point-out"),
        "", format_table(fam, "Efficiency parameters of the families with points"), "",
        *summary_lines(cal)])


def families_frame(table: EfficiencyTable, names: Sequence[str]) -> pd.DataFrame:
    rows = []
    for name in names:
        f = table.family(name)
        rows.append({"family": name, "compute": f.compute, "memory": f.memory, "comm": f.comm,
                     "layer_overhead_us": f.layer_overhead_s * 1e6,
                     "collective_latency_us": f.collective_latency_s * 1e6,
                     "sequence_overhead_us": f.sequence_overhead_s * 1e6,
                     "prefill_compute": f.prefill_compute_eff})
    return pd.DataFrame(rows)


def json_report(cal: Calibration) -> dict:
    from planner.output.tables import to_records

    def clean(s):
        if s is None:
            return None
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in s.items()}

    return {
        "params_file": cal.params_file or None, "version": cal.table.version,
        "date": cal.table.date, "points_file": cal.points_file,
        "points": to_records(cal.frame),
        "summary": {k: clean(cal.summary.get(k)) for k, _ in SUMMARIES},
        "families": to_records(families_frame(cal.table, sorted(set(cal.frame["family"])))),
        "note": cal.cv_note or None,
    }


def plot(cal: Calibration, path: str) -> None:
    """Predicted versus measured tokens/s per GPU, log-log, with y = x and the 2x band."""
    from planner.plots import pyplot, save

    plt = pyplot()

    f = cal.frame
    fig, ax = plt.subplots(figsize=(7, 6))
    values = np.concatenate([f["measured"], f["predicted"], f["loo_ratio"] * f["measured"]])
    values = values[np.isfinite(values) & (values > 0)]
    lo, hi = values.min() / 2.5, values.max() * 2.5
    grid = np.array([lo, hi])
    ax.fill_between(grid, grid / 2, grid * 2, color="0.9", label="within 2x")
    ax.plot(grid, grid, color="0.3", lw=1, label="predicted = measured")
    colors = dict(zip(sorted(set(f["family"])), plt.cm.tab10.colors))
    for family, part in f.groupby("family"):
        used = part[part["used"]]
        ax.scatter(used["measured"], used["predicted"], color=colors[family], s=28, label=family)
        ax.scatter(used["measured"], used["loo_ratio"] * used["measured"], color=colors[family],
                   marker="x", s=28)
        unused = part[~part["used"]]
        ax.scatter(unused["measured"], unused["predicted"], facecolors="none",
                   edgecolors=colors[family], marker="s", s=34)
    for marker, label, style in (("o", "in-sample", {}), ("x", "leave-one-point-out", {}),
                                 ("s", "not used (notes)", {"facecolors": "none"})):
        ax.scatter([], [], marker=marker, color="0.2", label=label, **style)
    for row in f.itertuples(index=False):
        if np.isfinite(row.ratio) and abs(math.log(row.ratio)) > math.log(1.5):
            ax.annotate(row.id, (row.measured, row.predicted), fontsize=6,
                        xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("measured tokens/s per GPU")
    ax.set_ylabel("predicted tokens/s per GPU")
    s = cal.summary.get("in_sample")
    cv = cal.summary.get("leave_one_point_out")
    title = "Cost-core calibration"
    if s:
        title += f": in-sample median {s['median_factor']:.2f}x"
    if cv:
        title += f", leave-one-out median {cv['median_factor']:.2f}x"
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    save(fig, path)
    plt.close(fig)
