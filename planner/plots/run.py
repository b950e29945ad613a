"""The plan's figures: allocation, served and unmet demand, cost and prices, shadow prices
and cost-versus-speed frontiers (planner.plots.base sets matplotlib up)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.plots.base import (RC, SINGLE_SIZE_IN, colours, has_panel_below, legend_line,
                                legend_patch, order, panels, plain_log, pyplot, quarter_axis, save,
                                text)

def allocation_figure(allocation: pd.DataFrame, utilisation: pd.DataFrame, title: str):
    """Per system, stacked chips serving each model per quarter, with available chips."""
    quarters = sorted(set(utilisation["quarter"]))
    used = set(allocation.loc[allocation["chips"] > 0, "system"])
    has_capacity = set(utilisation.loc[utilisation["capacity_chips"] > 0, "system"])
    systems = [s for s in order(utilisation, "system") if s in used or s in has_capacity]
    models = order(allocation, "model")
    colour = colours(models)
    chips = _by_system(allocation, "chips", systems, quarters, models)  # (S, Q, M)
    cap = _by_system(utilisation.assign(model=""), "capacity_chips", systems, quarters, [""])
    fig, axes = panels(max(1, len(systems)), title)
    edges = np.arange(len(quarters) + 1) - 0.5
    for i, (ax, system) in enumerate(zip(axes, systems)):
        bottom = np.zeros(len(quarters))
        for k, model in enumerate(models):  # one filled step patch per model: few artists
            values = chips[i, :, k]
            if values.any():
                ax.stairs(bottom + values, edges, baseline=bottom.copy(), fill=True,
                          color=colour[model], label=text(model))
                bottom += values
        ax.stairs(cap[i, :, 0], edges, color="black", linewidth=1, baseline=None,
                  label="available")
        ax.set_title(text(system))
        ax.set_ylabel("chips")
        quarter_axis(ax, quarters, not has_panel_below(i, len(systems)))
    if not systems:
        axes[0].text(0.5, 0.5, "no capacity in the horizon", ha="center", transform=axes[0].transAxes)
    handles = [legend_patch(colour[m], m) for m in models] + [legend_line("black", "available chips")]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(6, len(handles)), fontsize=7)
    return fig


def _by_system(frame: pd.DataFrame, column: str, systems: list[str], quarters: list[str],
               models: list[str]) -> np.ndarray:
    """``frame[column]`` summed into a (system, quarter, model) array over the given names
    (rows with other names left out, absent cells 0): one pass instead of a pivot per panel."""
    at = [frame[key].map({name: i for i, name in enumerate(names)})
          for key, names in (("system", systems), ("quarter", quarters), ("model", models))]
    keep = (at[0].notna() & at[1].notna() & at[2].notna()).to_numpy()
    out = np.zeros((len(systems), len(quarters), len(models)))
    np.add.at(out, tuple(a.to_numpy()[keep].astype(np.intp) for a in at),
              np.nan_to_num(frame[column].to_numpy(dtype=float)[keep]))
    return out


NO_DEMAND_GREY = "0.9"


def _shade_no_demand(ax, rows: pd.DataFrame) -> None:
    """Grey bands over the quarters in which the model has no demand (before launch): one
    band per run of such quarters."""
    none = ~(rows["demand_output_tokens_per_day"].fillna(0.0).to_numpy() > 0)
    edges = np.flatnonzero(np.diff(np.r_[False, none, False].astype(np.int8)))
    for start, stop in zip(edges[::2], edges[1::2]):
        ax.axvspan(start - 0.5, stop - 0.5, color=NO_DEMAND_GREY, zorder=0, linewidth=0)


def demand_figure(economics: pd.DataFrame, title: str):
    """Per model, served and unmet output tokens per day over the quarters (stacked)."""
    models = order(economics, "model")
    quarters = sorted(set(economics["quarter"]))
    fig, axes = panels(len(models), title)
    x = np.arange(len(quarters))
    for i, (ax, model) in enumerate(zip(axes, models)):
        rows = economics[economics["model"] == model].set_index("quarter").reindex(quarters)
        served = rows["served_output_tokens_per_day"].fillna(0.0).to_numpy() / 1e9
        unmet = rows["unmet_output_tokens_per_day"].fillna(0.0).to_numpy() / 1e9
        _shade_no_demand(ax, rows)
        ax.bar(x, served, color="tab:blue", width=0.8)
        ax.bar(x, unmet, bottom=served, color="tab:red", width=0.8)
        ax.set_title(text(model))
        ax.set_ylabel("B output tokens/day")
        quarter_axis(ax, quarters, not has_panel_below(i, len(models)))
    fig.legend(handles=[legend_patch("tab:blue", "served"), legend_patch("tab:red", "unmet"),
                        legend_patch(NO_DEMAND_GREY, "no demand")],
               loc="outside lower center", ncols=3, fontsize=7)
    return fig


def cost_figure(economics: pd.DataFrame, title: str):
    """Per model, output prices per M tokens (log): break-even (the all-in cost), at the target
    margin, achievable and list, and the market-clearing price when the frame has one; each
    with the input prices moved in proportion."""
    models = order(economics, "model")
    quarters = sorted(set(economics["quarter"]))
    fig, axes = panels(len(models), title)
    x = np.arange(len(quarters))
    lines = [("break-even price (all-in cost)", "tab:blue", "-"),
             ("price at target margin", "tab:green", ":"),
             ("achievable price", "tab:orange", "--"), ("list price", "black", "-")]
    columns = ["break_even_price_usd_per_m_output", "price_at_target_margin_usd_per_m_output",
               "achievable_price_usd_per_m_output", "list_usd_per_m_output"]
    if "clearing_price_usd_per_m_output" in economics.columns:  # price-responsive demand
        lines.append(("market-clearing price", "tab:red", "-."))
        columns.append("clearing_price_usd_per_m_output")
    for i, (ax, model) in enumerate(zip(axes, models)):
        rows = economics[economics["model"] == model].set_index("quarter").reindex(quarters)
        _shade_no_demand(ax, rows)
        series = [rows[c] for c in columns]
        for values, (label, colour, style) in zip(series, lines):
            y = values.to_numpy(dtype=float)
            y = np.where(y > 0, y, np.nan)
            if np.isfinite(y).any():
                ax.plot(x, y, color=colour, linestyle=style, marker="o", markersize=2.5,
                        linewidth=1.4 if label == "list price" else 1.1)
        ax.set_yscale("log")
        plain_log(ax)
        ax.set_title(text(model))
        ax.set_ylabel("$ per M output tokens")
        quarter_axis(ax, quarters, not has_panel_below(i, len(models)))
    fig.legend(handles=[legend_line(c, label, s) for label, c, s in lines]
               + [legend_patch(NO_DEMAND_GREY, "no demand")], loc="outside lower center",
               ncols=len(lines) + 1, fontsize=7)
    return fig


def shadow_price_figure(utilisation: pd.DataFrame, title: str):
    """Scarcity (shadow) price of each system's chip-hour per quarter (symmetric log axis)."""
    plt = pyplot()
    quarters = sorted(set(utilisation["quarter"]))
    active = utilisation.groupby("system", sort=False)["capacity_chips"].max()
    systems = [s for s in order(utilisation, "system") if active.get(s, 0) > 0]
    colour = colours(systems)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=SINGLE_SIZE_IN, layout="constrained")
    x = np.arange(len(quarters))
    for system in systems:
        rows = utilisation[utilisation["system"] == system].set_index("quarter").reindex(quarters)
        y = rows["shadow_price_usd_per_chip_hour"].where(rows["capacity_chips"] > 0).to_numpy(dtype=float)
        ax.plot(x, y, marker="o", markersize=2.5, color=colour[system], label=text(system))
    ax.set_yscale("symlog", linthresh=1.0)
    plain_log(ax)
    ax.set_ylabel("$ per chip-hour (scarcity rent)")
    ax.set_title(text(title))
    quarter_axis(ax, quarters)
    if systems:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def pareto_figure(frames: dict[str, pd.DataFrame], model: str, quarter: str,
                  min_speed: float | None = None):
    """Cost per M output tokens versus tokens/s per user, one line per system, log axes.

    Filled markers meet the model's speed targets (column ``meets_slo``, when present).
    """
    plt = pyplot()
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=SINGLE_SIZE_IN, layout="constrained")
    colour = colours(list(frames))
    for system, frame in frames.items():
        ax.plot(frame["output_tokens_per_s_per_user"], frame["usd_per_m_output"], color=colour[system],
                linewidth=1, label=text(system))
        ok = (frame["meets_slo"].astype(bool) if "meets_slo" in frame
              else pd.Series(True, index=frame.index))
        for subset, face in ((frame[ok], colour[system]), (frame[~ok], "none")):
            ax.scatter(subset["output_tokens_per_s_per_user"], subset["usd_per_m_output"], s=9,
                       facecolors=face, edgecolors=[colour[system]], linewidths=0.8)
    if min_speed and math.isfinite(min_speed):
        ax.axvline(min_speed, color="grey", linestyle="--", linewidth=1,
                   label=f"speed target {min_speed:g} tok/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log(ax, "x")
    plain_log(ax, "y")
    ax.set_xlabel("output tokens/s per user")
    ax.set_ylabel("$ per M output tokens")
    ax.set_title(text(f"{model}: cost versus speed, {quarter}"))
    ax.grid(True, which="both", alpha=0.3)
    if frames:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "fits none of the systems", ha="center", transform=ax.transAxes)
    return fig


def plot_pareto(frames: dict[str, pd.DataFrame], model: str, quarter: str, path: str) -> None:
    """Write the Pareto frontiers of ``model`` (see :func:`pareto_figure`) to ``path``."""
    save(pareto_figure(frames, model, quarter), path)
