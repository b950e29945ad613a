"""Calibration report: per-point table, error summary, JSON, plot, and the parameter file.

``evaluate`` scores the points with a parameter file as it is (in-sample errors recomputed,
cross-validation figures read from the file, where the fit stored them). ``refit`` fits,
cross-validates and returns the same report for the new parameters; ``write_params`` writes
them atomically (temporary file + rename) in the format of planner/data/efficiency.yaml.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd
import yaml

from planner.calibration import fit as fitting
from planner.calibration import params
from planner.calibration.points import SHIPPED, SHIPPED_NAME, CalibrationPoint, parse_points
from planner.calibration.predict import load_catalog
from planner.costcore.efficiency import (DEEPEP_SCALEOUT_COMM, DEEPEP_SCALEOUT_LATENCY_US,
                                         EfficiencyTable, parse_efficiency_table)
from planner.errors import InputError, Problem

PARAMS_NAME = "planner/data/efficiency.yaml"
SUMMARIES = (("in_sample", "in-sample"), ("leave_one_point_out", "leave-one-point-out CV"),
             ("leave_one_source_out", "leave-one-source-out CV"),
             ("nvidia_in_sample", "NVIDIA in-sample"),
             ("nvidia_leave_one_point_out", "NVIDIA leave-one-point-out"),
             ("nvidia_leave_one_source_out", "NVIDIA leave-one-source-out"))
_IN_SAMPLE = ("in_sample", "nvidia_in_sample")
METHOD = ("scipy.optimize.least_squares (trf) per fit group (a family, or the NVIDIA families "
          "jointly) on ln(predicted / measured) of the "
          "used points, log-parameters bounded (fractions in [0.01, 1], times in [0.01, 1000] "
          "us), weak prior 0.1 x ln(value / textbook) / ln(10), start at the textbook values")


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
            if key not in _IN_SAMPLE:
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


# ----------------------------------------------------------------------------- parameter file
def _num(x: float, digits: int = 4) -> str:
    """YAML number: 4 significant digits, whole numbers from 1000 up; .nan / .inf."""
    if x is None or math.isnan(float(x)):
        return ".nan"
    if math.isinf(float(x)):
        return ".inf"
    x = float(x)
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"


def _summary_yaml(s: dict) -> str:
    worst = s["worst_point"] if s["worst_point"] is not None else "null"
    infeasible = "[" + ", ".join(s["infeasible"]) + "]"
    return (f"{{points: {s['points']}, median_factor: {_num(s['median_factor'])}, "
            f"worst_factor: {_num(s['worst_factor'])}, worst_point: {worst}, "
            f"infeasible: {infeasible}}}")


def params_text(fits: Mapping[str, fitting.FamilyFit], cal: Calibration, version: int) -> str:
    """The efficiency file for a refit (see planner/data/efficiency.yaml for the format)."""
    t = cal.table
    lines = [
        "# Per-family efficiency parameters of the cost core (planner/costcore), FITTED.",
        f"# Written by `planner calibrate --fit` on {t.date} from {cal.points_file};",
        "# refit rather than edit: `planner calibrate` checks these numbers against the points.",
        "#",
        "#   compute                achieved fraction of peak dense FLOP/s in decode (compute-bound steps)",
        "#   memory                 achieved fraction of peak HBM bandwidth (decode weight and KV reads)",
        "#   comm                   achieved fraction of scale-up link bandwidth in decode",
        "#   layer_overhead_us      fixed time per layer per decode step or prefill pass, microseconds",
        "#   collective_latency_us  fixed latency of one collective inside a scale-up domain, microseconds",
        "#   sequence_overhead_us   time per sequence per decode step that tensor parallelism does not",
        "#                          split (scheduling, sampling, per-sequence kernels), microseconds",
        "#                          (physics.py, decode step)",
        "#   prefill_compute        achieved fraction of peak FLOP/s in prefill (physics.py, Prefill)",
        "#   scaleout_comm          decode scale-out rate as a fraction of the NIC line rate",
        "#   scaleout_latency_us    latency of one collective across scale-up domains, microseconds",
        "#",
        "# Shared and fixed (what the points cannot identify family by family; params.py):",
        "# * NVIDIA families (ampere, hopper, blackwell; rubin by proxy) are fitted jointly and",
        "#   share compute, prefill_compute and comm: decode compute barely binds on any measured",
        "#   point, prefill shows only through its share of aggregated steps, and the scale-up comm",
        "#   fraction trades off against each family's collective latency.",
        "# * scaleout_comm 0.78 and scaleout_latency_us 20 are fixed for every family from DeepEP's",
        "#   V1 low-latency kernels (H800 + CX7 400 Gb/s: 39-40 GB/s of 50 at EP 128-256; times",
        "#   bytes / rate to within ~20 %, leaving an intercept of at most ~15-25 us) [E].",
        "# * Prefill collectives run at DeepEP's normal-kernel rates, fixed in the cost core",
        "#   (planner/costcore/prefill.py): 0.95 of NVLink (153-158 of ~160 GB/s), 0.86 of the NIC",
        "#   line rate (43 of 50 GB/s at EP 16) [E].",
        "# * Deployments are declared, not fitted: each point states its overlap and MTP; the",
        "#   catalog's systems state theirs (fleets/data/systems.yaml).",
        "# A family line ending in AT A BOUND names fitted parameters at the edge of their range.",
        "#",
        "# A system's scenario `efficiency: {compute, memory[, prefill_compute]}` overrides those.",
        f"# Method: {METHOD}.",
        "# Families with calibration points are fitted on them (a family's parameters absorb its",
        "# serving software as measured, e.g. AMD stack maturity); the others take the fitted",
        "# values of a measured proxy family (noted on their line; an assumption, because the",
        "# textbook values over-predicted measured throughput 1.5-3.4x). `calibration` holds the errors these numbers give (in-sample, and held-out by",
        "# leave-one-point-out and leave-one-source-out refits) and every point's prediction.",
        "# Predictions (planner/calibration/predict.py) use the cost core with the point's deployment:",
        "# aggregated serving (prefill shares the decode steps) where a point says so, its overlap, MTP",
        "# speculative decoding where a point gives draft/accepted tokens, the MLA prefill",
        "# attention width, its replica span (min/max replica chips), and the per-sequence overhead.",
        "#",
        "# Sources of the textbook values:",
        "#   [D]  DESIGN.md: 60 % of peak FP8 FLOP/s for prefill.",
        "#   [P]  Pope et al. 2022, \"Efficiently Scaling Transformer Inference\": prefill MFU 40-76 %.",
        "#   [V]  LLM-Viewer issue 4: a pure roofline over-predicts A100 TRT-LLM throughput 1.7-1.9x.",
        "#   [C]  Hand check on aic-h200-tp1-c4 / aic-h200-tp8-c4 (Llama-3.1-70B FP8 TPOT).",
        "#   [N]  NCCL small-message latency ~5-15 us; large-collective bus bandwidth ~70-80 % of peak.",
        "#   [S]  Software-maturity discount (our assumption) for newer or non-CUDA stacks.",
        "#   [A]  sequence_overhead_us 10: our assumption (host scheduling + sampling per sequence).",
        "#   [E]  DeepEP README and docs (deepseek-ai/DeepEP), shared reference communication.md.",
        f"version: {version}",
        f"date: {t.date}",
        "fitted_on: [" + ", ".join(t.fitted_on) + "]",
        "calibration:",
        f"  method: \"{METHOD}\"",
        f"  points_file: {cal.points_file}",
        f"  points_sha256: {cal.points_sha256}",
    ]
    for key, _ in SUMMARIES:
        lines.append(f"  {key}: {_summary_yaml(cal.summary[key])}")
    lines.append("  points:  # tokens/s per GPU in each point's basis; loo/loso = held-out predictions")
    for row in cal.frame.itertuples(index=False):
        lines.append(f"    {row.id}: {{measured: {row.measured:.10g}, predicted: {_num(row.predicted)}, "
                     f"loo: {_num(row.loo_ratio * row.measured)}, loso: {_num(row.loso_ratio * row.measured)}}}")
    lines.append("families:")
    for name in sorted(t.families, key=lambda n: (n == "generic", n)):
        if name in fits:
            values = fits[name].values
            note = f"fitted on {len(fits[name].points)} points"
        elif name in params.PROXIES and params.PROXIES[name][0] in fits:
            proxy, why = params.PROXIES[name]
            values = fits[proxy].values
            note = f"no calibration points: fitted values of {proxy} [A] ({why})"
        else:
            values = params.rounded(params.TEXTBOOK.get(name, params.TEXTBOOK["generic"]))
            note = f"textbook, no calibration points: {params.TEXTBOOK_NOTES.get(name, '[A]')}"
        body = ", ".join(f"{k}: {values[k]:g}" for k in params.KEYS)
        body += f", scaleout_comm: {DEEPEP_SCALEOUT_COMM:g}, scaleout_latency_us: {DEEPEP_SCALEOUT_LATENCY_US:g}"
        bound = params.at_bound(values) if name in fits else []
        if bound:
            note += f"; AT A BOUND: {', '.join(bound)}"
        lines.append(f"  {name}: {{{body}}}  # {note}")
    return "\n".join(lines) + "\n"


def next_version(path: Union[str, Path]) -> int:
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
        return int(data.get("version", 0)) + 1
    except Exception:  # noqa: BLE001 - a missing or broken file starts the count again
        return 1


def write_params(text: str, path: Union[str, Path]) -> None:
    """Validate ``text`` as an efficiency file and write it atomically to ``path``."""
    parse_efficiency_table(yaml.safe_load(text), str(path))
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".efficiency-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a data file is readable
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
