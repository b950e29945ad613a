"""Inverse sizing, the answer shown: terminal table, text and plot."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planner.queries.sizing.compute import SizeAnswer
from planner.queries.sizing.query import OUTPUT_PRICE_RATIO


def params_label(count: float) -> str:
    """1.2e13 -> '12T', 9.5e11 -> '950B', NaN -> '-'."""
    if count is None or not np.isfinite(count):
        return "-"
    if count >= 1e12:
        return f"{count / 1e12:.3g}T"
    return f"{count / 1e9:.3g}B"


def size_view(table: pd.DataFrame) -> pd.DataFrame:
    """Terminal view of one system's rows: parameter counts as labels, bounds in cascade order."""
    labels = {"prefill_bound_active_params": "prefill", "memory_bound_active_params": "+memory",
              "decode_bound_active_params": "+decode", "max_active_params": "+speed=answer"}
    out = pd.DataFrame({"total": table["total_params"].map(params_label),
                        "experts": table["experts"],
                        "min_active": table["min_active_params"].map(params_label)})
    for column, label in labels.items():
        out[label] = table[column].map(params_label)
    out["binds"] = table["binds"]
    out["replica_chips"] = table["replica_chips"]
    out["batch"] = table["batch"]
    out["tok_s_user"] = table["output_tokens_per_s_per_user"]
    out["usd_per_m_in"] = table["usd_per_m_input"]
    out["usd_per_m_out"] = table["usd_per_m_output"]
    return out


def render(answer: SizeAnswer) -> str:
    """The text report of `planner size`."""
    from planner.output.tables import format_table

    q = answer.query
    given = "" if q.price_output is not None else (
        f" ({OUTPUT_PRICE_RATIO:g} x input, the usual rate-card ratio; set --price-output)")
    lines = [
        f"Price ${q.price_input:g}/M input, ${q.output_price:g}/M output{given}; margin "
        f"{q.margin:.0%}, allowance {q.allowance:g}x -> cost allowed "
        f"${q.allowed_usd_per_m_input:.4g}/M input, ${q.allowed_usd_per_m_output:.4g}/M output.",
        f"Workload {q.input_tokens:,.0f} in / {q.output_tokens:,.0f} out tokens per request "
        f"(cache hits {q.cache_hit:.0%}); speed >= {q.min_output_tokens_per_s:g} tokens/s per "
        f"user, TTFT <= {q.max_ttft_s:g} s; {q.weight_bits}-bit weights.",
        "Largest active parameters per total and routing, adding one constraint at a time: "
        "prefill (input cost only), +memory (a replica that holds the model), +decode (output "
        "cost at a batch that fits), +speed (both speed targets: the answer). binds = the "
        f"step that cuts most; active counts on a grid of {q.steps_per_decade} per decade.",
    ]
    for row in answer.systems.itertuples(index=False):
        rows = answer.table[answer.table["system"] == row.system]
        title = (f"{row.system}, {row.quarter}: ${row.usd_per_chip_hour:.2f}/chip-hour; "
                 f"prefill-only bound {params_label(row.prefill_only_active_params)} active "
                 f"(2 x active FLOP per input token, attention ignored)")
        lines += ["", format_table(size_view(rows), title)]
    return "\n".join(lines)


def feasible_figure(answer: SizeAnswer):
    """Feasible region (total vs active parameters), one panel per system, log axes.

    Per routing, the band from the smallest active count (k/E x total) up to the answer is
    shaded; the dashed line is the prefill-only bound; the grey diagonal is active = total.
    """
    from planner.plots import colours, pyplot, text

    plt = pyplot()

    systems = list(answer.systems["system"])
    cols = min(3, len(systems))
    rows_n = -(-len(systems) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.6 * rows_n + 0.6),
                             squeeze=False, layout="constrained")
    table = answer.table
    colour = colours(list(answer.query.experts))
    lo, hi = table["total_params"].min(), table["total_params"].max()
    for ax in list(axes.flat)[len(systems):]:
        ax.set_visible(False)
    prefill_bounds = answer.systems["prefill_only_active_params"]
    for ax, system, prefill in zip(axes.flat, systems, prefill_bounds):
        rows = table[table["system"] == system]
        ax.plot([lo, hi], [lo, hi], color="0.6", linewidth=1, label="active = total")
        ax.axhline(prefill, color="0.3", linestyle="--", linewidth=1, label="prefill-only bound")
        for experts, part in rows.groupby("experts", sort=False):
            ok = part["max_active_params"].notna()
            ax.plot(part["total_params"][ok], part["max_active_params"][ok], marker="o",
                    markersize=3, color=colour[experts], label=text(experts))
            ax.fill_between(part["total_params"], part["min_active_params"],
                            part["max_active_params"].where(ok, part["min_active_params"]),
                            where=ok.to_numpy(), color=colour[experts], alpha=0.15, linewidth=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("total parameters")
        ax.set_ylabel("largest active parameters")
        ax.set_title(text(f"{system}, {answer.quarter}"), fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    q = answer.query
    fig.suptitle(text(f"Servable model sizes at ${q.price_input:g}/M input, ${q.output_price:g}/M "
                      f"output, margin {q.margin:.0%}, allowance {q.allowance:g}x"), fontsize=10)
    return fig


def plot_feasible(answer: SizeAnswer, path: str) -> None:
    """Write :func:`feasible_figure` to ``path`` (PNG, SVG or PDF by extension), atomically."""
    from planner.plots import save

    save(feasible_figure(answer), path)
