"""A calibration report as text, JSON and a predicted-versus-measured plot."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from planner.calibration import params
from planner.calibration.paramfile import SUMMARIES
from planner.calibration.report import Calibration
from planner.costcore.efficiency import EfficiencyTable


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
