"""A sweep's results for people and tools: terminal tables, JSON, a result directory, a chart."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from planner.output.tables import format_table, json_text, to_records, write_csv
from planner.sweep.aggregate import (MIN_TORNADO_SAMPLES, SweepResult, detail_table, failure_table,
                                     focus_model, quantile_table, sample_table, tornado_table,
                                     when_table)
from planner.sweep.econ import WHEN_SHARE

TORNADO_BARS = 10
MAX_DETAIL_ROWS = 2_000_000  # sample_economics.csv (sample x model x quarter) up to this size


class Summary:
    """The derived tables of a result, computed once."""

    def __init__(self, result: SweepResult, scenario_name: str, focus: str | None = None):
        self.result = result
        self.scenario_name = scenario_name
        self.quantiles = quantile_table(result)
        self.when = when_table(result)
        self.tornado = tornado_table(result)
        self.focus = focus or focus_model(result, self.tornado)
        self.failures = failure_table(result)

    # ------------------------------------------------------------------------- text
    def headline(self) -> str:
        r, spec = self.result, self.result.spec
        how = (f"{r.n} random samples (seed {spec.seed})" if spec.mode == "random"
               else f"a grid of {r.n} points")
        info = r.info
        where = {"local": "in this process", "processes": f"on {info.get('workers')} processes",
                 "dask": f"on Dask ({info.get('workers')} workers)"}.get(info.get("executor"), "")
        rate = r.n / info["wall_s"] if info.get("wall_s") else float("nan")
        return (f"sweep of {self.scenario_name}: {how}, {int(r.ok.sum())} ok, {len(r.errors)} "
                f"failed; {len(spec.inputs)} input{'s' if len(spec.inputs) != 1 else ''}; "
                f"{where}, {info.get('wall_s', 0):.1f} s ({rate:.0f} samples/s)")

    def render(self) -> str:
        r = self.result
        parts = [self.headline()]
        if r.spec.inputs:
            table = pd.DataFrame({"input": [i.name for i in r.spec.inputs],
                                  "path": [i.path_text for i in r.spec.inputs],
                                  "how": [i.describe() for i in r.spec.inputs]})
            if (table["input"] == table["path"]).all():
                table = table.drop(columns="path")
            parts.append(format_table(table, "inputs"))
        q = self.quantiles.rename(columns=lambda c: c.replace("served_fraction", "served")
                                  .replace("cost_usd_per_m_output_all_in", "cost")
                                  .replace("gross_margin", "margin"))
        for column in q.columns:  # shares in %, as in `planner run` (the files keep fractions)
            if column.startswith(("served_", "margin_")):
                q[column] = q[column].map(lambda v: "-" if pd.isna(v) else f"{v:.0%}")
        parts.append(format_table(q, "P10 / P50 / P90 per model and quarter: served share, cost "
                                  "$ per M output tokens (all-in, with its input tokens), gross "
                                  "margin at list price"))
        parts.append(format_table(self.when, (
            f"when: the quarter from which every quarter with demand has >= {WHEN_SHARE:.1%} of "
            f"it served and the target margin at list price (never = not within the horizon; "
            f"counted as the quarter after it in the quantiles)")))
        if not self.tornado.empty:
            parts.append(self._tornado_text())
        if r.errors:
            parts.append(self._failures_text())
        return "\n\n".join(parts)

    def _tornado_text(self) -> str:
        t = self.tornado
        keep = t["output"].isin([f"when:{self.focus}", "margin:all"])
        view = t[keep].assign(size=t["swing"].abs()).sort_values(
            ["output", "size"], ascending=[False, False]).drop(columns="size")
        columns = ["output", "input", "low_value", "high_value", "low_mean", "high_mean", "swing"]
        few = (view["note"] != "").any()
        view = view[columns + ["note"] if few else columns]
        return format_table(view, (
            f"tornado: mean output when each input is in its low vs high decile (when:{self.focus}"
            f" in quarters after the horizon start; margin:all = fleet gross margin; "
            + (f"no direction where a group has fewer than {MIN_TORNADO_SAMPLES} samples; "
               if few else "") + "all outputs in tornado.csv / --json)"))

    def _failures_text(self, limit: int = 5) -> str:
        lines = [f"{len(self.result.errors)} sample(s) failed (first {limit}; all in "
                 f"failures.csv with --out):"]
        r = self.result
        for i, message in list(r.errors.items())[:limit]:
            values = ", ".join(f"{inp.name}={r.values[i, j]:.4g}"
                               for j, inp in enumerate(r.spec.inputs))
            lines.append(f"  sample {i} ({values}): {message}")
        return "\n".join(lines)

    # ------------------------------------------------------------------------- json
    def to_json(self) -> dict:
        r, spec = self.result, self.result.spec
        return {
            "scenario": self.scenario_name, "mode": spec.mode,
            "seed": spec.seed if spec.mode == "random" else None,
            "samples": r.n, "ok": int(r.ok.sum()), "failed": len(r.errors),
            "inputs": [{"name": i.name, "path": i.path_text, "operation": i.op,
                        "distribution": i.describe()} for i in spec.inputs],
            "when_rule": {"served_fraction_at_least": WHEN_SHARE,
                          "margin": "economics.target_margin at list price",
                          "never": "not within the horizon; quantiles count it as the quarter "
                                   "after the horizon end"},
            "quantiles": to_records(self.quantiles),
            "when": to_records(self.when),
            "tornado_method": "mean output of the samples at or below the input's 10th "
                              "percentile (low) and at or above its 90th (high); none (null, "
                              f"with a note) when a group has fewer than {MIN_TORNADO_SAMPLES}",
            "tornado_focus": self.focus,
            "tornado": to_records(self.tornado),
            "failures": [{"sample": int(i), "parameters": {inp.name: float(r.values[i, j])
                                                           for j, inp in enumerate(spec.inputs)},
                          "error": msg} for i, msg in r.errors.items()],
            "execution": {k: v for k, v in r.info.items() if k != "wall_s"},
        }

    def timings_json(self) -> dict:
        """Wall-clock figures and cache reuse counts (they depend on what ran before in the
        same process), kept out of summary.json so that it is byte-identical."""
        r = self.result
        return {"wall_s": r.info.get("wall_s"), "timings_s": r.timings, "reuse": r.counts}

    # ------------------------------------------------------------------------- files
    def write(self, out_dir: str, force: bool = False, inputs: tuple[str, ...] = ()) -> list[str]:
        """Write the result directory atomically; return the file names."""
        from planner.output.atomic import atomic_directory

        files = {
            "samples.csv": sample_table(self.result),
            "quantiles.csv": self.quantiles,
            "when.csv": self.when,
            "tornado.csv": self.tornado,
            "failures.csv": self.failures,
        }
        r = self.result
        if int(r.ok.sum()) * len(r.models) * len(r.quarters) <= MAX_DETAIL_ROWS:
            files["sample_economics.csv"] = detail_table(r)
        with atomic_directory(out_dir, force=force, inputs=inputs) as tmp:
            for name, frame in files.items():
                write_csv(frame, os.path.join(tmp, name), float_format=None)
            with open(os.path.join(tmp, "summary.json"), "w") as handle:
                handle.write(json_text(self.to_json()) + "\n")
            with open(os.path.join(tmp, "timings.json"), "w") as handle:
                handle.write(json_text(self.timings_json()) + "\n")
            names = list(files) + ["summary.json", "timings.json"]
            if not self.tornado.empty:
                for ext in ("png", "svg"):
                    plot_tornado(self, os.path.join(tmp, f"tornado.{ext}"))
                    names.append(f"tornado.{ext}")
        return names


def plot_tornado(summary: Summary, path: str) -> None:
    """Two panels: the focus model's `when` quarter and the fleet gross margin; one bar per
    input from the low-decile mean to the high-decile mean, around the median output (no bar,
    and the note, for an input whose groups are too small)."""
    from planner.plots import pyplot, save, text
    from planner.sweep.aggregate import metrics

    plt = pyplot()
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    r, t = summary.result, summary.tornado
    panels = [(f"when:{summary.focus}", f"{summary.focus}: when quarter"),
              ("margin:all", "fleet gross margin at list price (horizon)")]
    outs = metrics(r)
    n_bars = min(TORNADO_BARS, len(r.spec.inputs))
    fig, axes = plt.subplots(1, 2, figsize=(12, 1.4 + 0.45 * n_bars))
    for ax, (key, title) in zip(axes, panels):
        rows = t[t["output"] == key].assign(size=lambda d: d["swing"].abs().fillna(0.0))
        rows = rows.sort_values("size", ascending=True).tail(n_bars)
        finite = outs.get(key, np.array([]))
        base = float(np.nanmedian(finite)) if np.isfinite(finite).any() else 0.0
        y = np.arange(len(rows))
        ax.barh(y, rows["low_mean"].fillna(base) - base, left=base, color="#4c78a8",
                label="input low (<= P10)")
        ax.barh(y, rows["high_mean"].fillna(base) - base, left=base, color="#f58518", alpha=0.85,
                label="input high (>= P90)")
        ax.axvline(base, color="black", linewidth=0.8)
        for k, note in enumerate(rows["note"]):
            if note:
                ax.text(base, k, f" {note}: no direction", va="center", fontsize=7, color="dimgray")
        ax.set_yticks(y)
        ax.set_yticklabels([text(name) for name in rows["input"]], fontsize=8)
        ax.set_title(text(title), fontsize=10)
        if key.startswith("when:"):
            quarters = list(r.quarters) + ["never"]
            lo, hi = ax.get_xlim()
            ticks = [k for k in range(len(quarters)) if lo - 1e-9 <= k <= hi + 1e-9]
            step = max(1, len(ticks) // 6)
            ax.set_xticks(ticks[::step])
            ax.set_xticklabels([quarters[k] for k in ticks[::step]], fontsize=8)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        ax.grid(True, axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.suptitle(text(f"{summary.scenario_name}: what moves the outcome "
                      f"({int(r.ok.sum())} samples)"), fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    save(fig, path)
    plt.close(fig)
