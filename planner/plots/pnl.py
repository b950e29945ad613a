"""The fleet P&L figures: revenue, fleet cost and profit per quarter, and idle capacity."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.plots.base import (RC, SINGLE_SIZE_IN, WIDTH_IN, colours, legend_patch, order, pyplot,
                                quarter_axis, text)


def idle_share(utilisation: pd.DataFrame) -> pd.DataFrame:
    """System x quarter share of available chips idle, 1 - used/capacity (NaN without capacity);
    rows: systems with capacity in some quarter, in table order; columns: sorted quarters."""
    quarters = sorted(set(utilisation["quarter"]))
    active = utilisation.groupby("system", sort=False)["capacity_chips"].max()
    systems = [s for s in order(utilisation, "system") if active.get(s, 0) > 0]
    cap = utilisation["capacity_chips"]
    share = (1.0 - utilisation["used_chips"] / cap.where(cap > 0)).clip(0.0, 1.0)
    table = utilisation.assign(idle=share).pivot_table(index="system", columns="quarter",
                                                       values="idle", aggfunc="first", dropna=False)
    return table.reindex(index=systems, columns=quarters).rename_axis(index=None, columns=None)


def pnl_figure(pnl: pd.DataFrame, title: str):
    """Per quarter, fleet cost stacked (serving, idle, reserved) with revenue and operating
    profit as lines, in $B; the y axis always includes zero."""
    plt = pyplot()
    quarters = list(pnl["quarter"])
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=SINGLE_SIZE_IN, layout="constrained")
    x = np.arange(len(quarters))
    bottom = np.zeros(len(quarters))
    for column, label, colour in (("serving_cost_usd", "serving cost", "tab:blue"),
                                  ("idle_cost_usd", "idle cost", "tab:gray"),
                                  ("reserved_cost_usd", "reserved cost", "tab:purple")):
        values = pnl[column].fillna(0.0).to_numpy(dtype=float) / 1e9
        ax.bar(x, values, bottom=bottom, width=0.7, color=colour, alpha=0.75, label=label)
        bottom += values
    ax.plot(x, pnl["revenue_usd"].to_numpy(dtype=float) / 1e9, color="tab:green", marker="o",
            markersize=3, linewidth=1.4, label="revenue")
    ax.plot(x, pnl["operating_profit_usd"].to_numpy(dtype=float) / 1e9, color="black", marker="o",
            markersize=3, linewidth=1.4, linestyle="--", label="operating profit")
    ax.axhline(0.0, color="black", linewidth=0.8)
    low, high = ax.get_ylim()
    ax.set_ylim(min(low, 0.0), max(high, 0.0))
    ax.set_ylabel("$B per quarter")
    ax.set_title(text(title))
    quarter_axis(ax, quarters)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def idle_heatmap_figure(utilisation: pd.DataFrame, title: str):
    """Share of each system's available chips idle per quarter (0-100 %, colour bar); cells
    annotated when the grid is small; grey where the system has no available chips."""
    import matplotlib

    plt = pyplot()
    share = idle_share(utilisation)
    quarters = list(share.columns)
    height = min(12.0, max(2.5, 1.6 + 0.35 * len(share)))
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, height), layout="constrained")
    if share.empty:
        ax.text(0.5, 0.5, "no capacity in the horizon", ha="center", transform=ax.transAxes)
    else:
        cmap = matplotlib.colormaps["Reds"].with_extremes(bad="lightgrey")
        values = np.ma.masked_invalid(share.to_numpy(dtype=float))
        mesh = ax.pcolormesh(values, cmap=cmap, vmin=0.0, vmax=1.0, edgecolors="white",
                             linewidth=0.5)
        with plt.rc_context(RC):
            fig.colorbar(mesh, ax=ax, label="share of available chips idle", format="{x:.0%}")
        if values.size <= 400:
            for (i, j), value in np.ndenumerate(values.filled(np.nan)):
                if np.isfinite(value):
                    ax.text(j + 0.5, i + 0.5, f"{value:.0%}", ha="center", va="center",
                            fontsize=7, color="white" if value > 0.6 else "black")
        ax.set_yticks(np.arange(len(share)) + 0.5, [text(s) for s in share.index], fontsize=7)
        step = max(1, math.ceil(len(quarters) / 16))
        ax.set_xticks(np.arange(0, len(quarters), step) + 0.5, quarters[::step], rotation=45,
                      ha="right", fontsize=7)
        ax.invert_yaxis()
    ax.set_title(text(title))
    return fig


def fleet_figure(utilisation: pd.DataFrame, purchased: pd.DataFrame, title: str):
    """Per quarter, each system's available chips (installed minus reserved) stacked, the part
    bought by the plan hatched; ``purchased``: system, quarter, chips in service."""
    from matplotlib.patches import Patch

    plt = pyplot()
    quarters = sorted(set(utilisation["quarter"]))
    active = utilisation.groupby("system", sort=False)["capacity_chips"].max()
    systems = [s for s in order(utilisation, "system") if active.get(s, 0) > 0]
    colour = colours(systems)
    cap = utilisation.pivot_table(index="quarter", columns="system", values="capacity_chips",
                                  aggfunc="sum").reindex(index=quarters, columns=systems).fillna(0.0)
    bought = (purchased.pivot_table(index="quarter", columns="system", values="chips",
                                    aggfunc="sum") if len(purchased) else pd.DataFrame())
    bought = bought.reindex(index=quarters, columns=systems).fillna(0.0)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=SINGLE_SIZE_IN, layout="constrained")
    x = np.arange(len(quarters))
    bottom = np.zeros(len(quarters))
    for system in systems:
        extra = np.minimum(bought[system].to_numpy(), cap[system].to_numpy()) / 1e3
        base = cap[system].to_numpy() / 1e3 - extra
        ax.bar(x, base, bottom=bottom, width=0.8, color=colour[system])
        ax.bar(x, extra, bottom=bottom + base, width=0.8, color=colour[system], alpha=0.55,
               hatch="////", edgecolor="white", linewidth=0)
        bottom += base + extra
    ax.set_ylabel("thousand chips available")
    ax.set_title(text(title))
    quarter_axis(ax, quarters)
    handles = [legend_patch(colour[s], s) for s in systems]
    handles.append(Patch(facecolor="0.5", hatch="////", edgecolor="white",
                         label=text("bought by the plan")))
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
