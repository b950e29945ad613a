"""Plots of a plan (matplotlib), rendered deterministically to PNG or SVG.

Every function takes tidy frames as `planner run --out` writes them (economics, allocation,
utilisation, Pareto frontiers) and returns a figure of a fixed pixel size (see
:func:`panel_size_px`); :func:`render` turns it into bytes with no dates, no software tag
and a fixed SVG hash salt, so identical inputs give byte-identical files.
"""
from __future__ import annotations

import io
import math
import os
import tempfile

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem, RunError

DPI = 100
WIDTH_IN = 10.0
PANEL_HEIGHT_IN = 2.8
TITLE_HEIGHT_IN = 0.8
MAX_COLUMNS = 3
SINGLE_SIZE_IN = (WIDTH_IN, 5.0)
FORMATS = ("png", "svg", "pdf")
_RC = {"svg.hashsalt": "fleet-planner", "svg.fonttype": "path", "font.size": 8,
       "axes.titlesize": 9, "figure.dpi": DPI, "savefig.dpi": DPI}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def text(value: object) -> str:
    """A scenario name as plain matplotlib text (``$`` would start mathtext)."""
    return str(value).replace("\\", "\\\\").replace("$", r"\$")


def grid_shape(panels: int) -> tuple[int, int]:
    """(rows, columns) of a small-multiples grid: up to three columns."""
    cols = max(1, min(MAX_COLUMNS, panels))
    return max(1, math.ceil(panels / cols)), cols


def panel_size_px(panels: int) -> tuple[int, int]:
    """(width, height) in pixels of a figure with ``panels`` small multiples."""
    rows, _ = grid_shape(panels)
    return round(WIDTH_IN * DPI), round((TITLE_HEIGHT_IN + PANEL_HEIGHT_IN * rows) * DPI)


def _panels(n: int, title: str):
    plt = _plt()
    rows, cols = grid_shape(n)
    width, height = panel_size_px(n)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(rows, cols, figsize=(width / DPI, height / DPI), squeeze=False,
                                 layout="constrained")
    fig.suptitle(text(title), fontsize=11)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _quarter_axis(ax, quarters: list[str]) -> None:
    step = max(1, math.ceil(len(quarters) / 8))
    ax.set_xticks(range(0, len(quarters), step), [quarters[i] for i in range(0, len(quarters), step)],
                  rotation=45, ha="right", fontsize=7)
    ax.set_xlim(-0.6, len(quarters) - 0.4)
    ax.grid(True, axis="y", alpha=0.3)


def _plain_log(ax, axis: str = "y") -> None:
    """Log-axis labels as plain numbers (1, 10, 0.1), no minor labels: faster and clearer."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def colours(names: list[str]) -> dict[str, tuple]:
    """A fixed colour per name, in the given order (tab10, then tab20)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def _order(frame: pd.DataFrame, column: str) -> list[str]:
    return list(dict.fromkeys(frame[column]))


def allocation_figure(allocation: pd.DataFrame, utilisation: pd.DataFrame, title: str):
    """Per system, stacked chips serving each model per quarter, with available chips."""
    quarters = sorted(set(utilisation["quarter"]))
    used = set(allocation.loc[allocation["chips"] > 0, "system"])
    has_capacity = set(utilisation.loc[utilisation["capacity_chips"] > 0, "system"])
    systems = [s for s in _order(utilisation, "system") if s in used or s in has_capacity]
    models = _order(allocation, "model")
    colour = colours(models)
    fig, axes = _panels(max(1, len(systems)), title)
    x = np.arange(len(quarters))
    for ax, system in zip(axes, systems):
        rows = allocation[allocation["system"] == system]
        table = (rows.pivot_table(index="quarter", columns="model", values="chips", aggfunc="sum")
                 .reindex(index=quarters, columns=models).fillna(0.0))
        bottom = np.zeros(len(quarters))
        for model in models:
            values = table[model].to_numpy()
            if values.any():
                ax.bar(x, values, bottom=bottom, color=colour[model], width=0.8, label=text(model))
                bottom += values
        cap = (utilisation[utilisation["system"] == system].set_index("quarter")["capacity_chips"]
               .reindex(quarters).fillna(0.0))
        ax.stairs(cap.to_numpy(), np.arange(len(quarters) + 1) - 0.5, color="black", linewidth=1,
                  baseline=None, label="available")
        ax.set_title(text(system))
        ax.set_ylabel("chips")
        _quarter_axis(ax, quarters)
    if not systems:
        axes[0].text(0.5, 0.5, "no capacity in the horizon", ha="center", transform=axes[0].transAxes)
    handles = [_patch(colour[m], m) for m in models] + [_line("black", "available chips")]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(6, len(handles)), fontsize=7)
    return fig


def _patch(colour, label):
    from matplotlib.patches import Patch

    return Patch(color=colour, label=text(label))


def _line(colour, label, style="-"):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, linestyle=style, label=text(label))


NO_DEMAND_GREY = "0.9"


def _shade_no_demand(ax, rows: pd.DataFrame) -> None:
    """Grey bands over the quarters in which the model has no demand (before launch)."""
    for i, d in enumerate(rows["demand_output_tokens_per_day"].fillna(0.0).to_numpy()):
        if not d > 0:
            ax.axvspan(i - 0.5, i + 0.5, color=NO_DEMAND_GREY, zorder=0, linewidth=0)


def demand_figure(economics: pd.DataFrame, title: str):
    """Per model, served and unmet output tokens per day over the quarters (stacked)."""
    models = _order(economics, "model")
    quarters = sorted(set(economics["quarter"]))
    fig, axes = _panels(len(models), title)
    x = np.arange(len(quarters))
    for ax, model in zip(axes, models):
        rows = economics[economics["model"] == model].set_index("quarter").reindex(quarters)
        served = rows["served_output_tokens_per_day"].fillna(0.0).to_numpy() / 1e9
        unmet = rows["unmet_output_tokens_per_day"].fillna(0.0).to_numpy() / 1e9
        _shade_no_demand(ax, rows)
        ax.bar(x, served, color="tab:blue", width=0.8)
        ax.bar(x, unmet, bottom=served, color="tab:red", width=0.8)
        ax.set_title(text(model))
        ax.set_ylabel("B output tokens/day")
        _quarter_axis(ax, quarters)
    fig.legend(handles=[_patch("tab:blue", "served"), _patch("tab:red", "unmet"),
                        _patch(NO_DEMAND_GREY, "no demand")],
               loc="outside lower center", ncols=3, fontsize=7)
    return fig


def cost_figure(economics: pd.DataFrame, title: str):
    """Per model, output prices per M tokens (log): break-even (the all-in cost), at the target
    margin, achievable and list; each with the input prices moved in proportion."""
    models = _order(economics, "model")
    quarters = sorted(set(economics["quarter"]))
    fig, axes = _panels(len(models), title)
    x = np.arange(len(quarters))
    lines = [("break-even price (all-in cost)", "tab:blue", "-"),
             ("price at target margin", "tab:green", ":"),
             ("achievable price", "tab:orange", "--"), ("list price", "black", "-")]
    for ax, model in zip(axes, models):
        rows = economics[economics["model"] == model].set_index("quarter").reindex(quarters)
        _shade_no_demand(ax, rows)
        series = [rows["break_even_price_usd_per_m_output"],
                  rows["price_at_target_margin_usd_per_m_output"],
                  rows["achievable_price_usd_per_m_output"], rows["list_usd_per_m_output"]]
        for values, (label, colour, style) in zip(series, lines):
            y = values.to_numpy(dtype=float)
            y = np.where(y > 0, y, np.nan)
            if np.isfinite(y).any():
                ax.plot(x, y, color=colour, linestyle=style, marker="o", markersize=2.5,
                        linewidth=1.4 if label == "list price" else 1.1)
        ax.set_yscale("log")
        _plain_log(ax)
        ax.set_title(text(model))
        ax.set_ylabel("$ per M output tokens")
        _quarter_axis(ax, quarters)
    fig.legend(handles=[_line(c, label, s) for label, c, s in lines]
               + [_patch(NO_DEMAND_GREY, "no demand")], loc="outside lower center",
               ncols=5, fontsize=7)
    return fig


def shadow_price_figure(utilisation: pd.DataFrame, title: str):
    """Scarcity (shadow) price of each system's chip-hour per quarter (symmetric log axis)."""
    plt = _plt()
    quarters = sorted(set(utilisation["quarter"]))
    active = utilisation.groupby("system", sort=False)["capacity_chips"].max()
    systems = [s for s in _order(utilisation, "system") if active.get(s, 0) > 0]
    colour = colours(systems)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=SINGLE_SIZE_IN, layout="constrained")
    x = np.arange(len(quarters))
    for system in systems:
        rows = utilisation[utilisation["system"] == system].set_index("quarter").reindex(quarters)
        y = rows["shadow_price_usd_per_chip_hour"].where(rows["capacity_chips"] > 0).to_numpy(dtype=float)
        ax.plot(x, y, marker="o", markersize=2.5, color=colour[system], label=text(system))
    ax.set_yscale("symlog", linthresh=1.0)
    _plain_log(ax)
    ax.set_ylabel("$ per chip-hour (scarcity rent)")
    ax.set_title(text(title))
    _quarter_axis(ax, quarters)
    if systems:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def pareto_figure(frames: dict[str, pd.DataFrame], model: str, quarter: str,
                  min_speed: float | None = None):
    """Cost per M output tokens versus tokens/s per user, one line per system, log axes.

    Filled markers meet the model's speed targets (column ``meets_slo``, when present).
    """
    plt = _plt()
    with plt.rc_context(_RC):
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
    _plain_log(ax, "x")
    _plain_log(ax, "y")
    ax.set_xlabel("output tokens/s per user")
    ax.set_ylabel("$ per M output tokens")
    ax.set_title(text(f"{model}: cost versus speed, {quarter}"))
    ax.grid(True, which="both", alpha=0.3)
    if frames:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.text(0.5, 0.5, "fits none of the systems", ha="center", transform=ax.transAxes)
    return fig


def render(fig, fmt: str, close: bool = True) -> bytes:
    """The figure as PNG or SVG bytes, byte-identical for identical figures."""
    plt = _plt()
    metadata = {"Software": None} if fmt == "png" else {"Date": None}
    buffer = io.BytesIO()
    try:
        with plt.rc_context(_RC):
            fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    finally:
        if close:
            plt.close(fig)
    return buffer.getvalue()


def save(fig, path: str) -> None:
    """Save ``fig`` to ``path`` (format by extension) via a temporary file renamed into place;
    a write error is a RunError naming the plot, and leaves no temporary file."""
    fmt = (os.path.splitext(path)[1].lstrip(".") or "png").lower()
    if fmt not in FORMATS:
        raise InputError([Problem(path, None, "", f"unknown plot format '.{fmt}'; use "
                                  + ", ".join("." + f for f in FORMATS))])
    data = render(fig, fmt)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(suffix="." + fmt, dir=os.path.dirname(os.path.abspath(path)))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp's 0600 is not what a user expects
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise RunError(f"cannot write the plot {path}: {exc.strerror or exc}") from None
        raise


def plot_pareto(frames: dict[str, pd.DataFrame], model: str, quarter: str, path: str) -> None:
    """Write the Pareto frontiers of ``model`` (see :func:`pareto_figure`) to ``path``."""
    save(pareto_figure(frames, model, quarter), path)


def idle_share(utilisation: pd.DataFrame) -> pd.DataFrame:
    """System x quarter share of available chips idle, 1 - used/capacity (NaN without capacity);
    rows: systems with capacity in some quarter, in table order; columns: sorted quarters."""
    quarters = sorted(set(utilisation["quarter"]))
    active = utilisation.groupby("system", sort=False)["capacity_chips"].max()
    systems = [s for s in _order(utilisation, "system") if active.get(s, 0) > 0]
    cap = utilisation["capacity_chips"]
    share = (1.0 - utilisation["used_chips"] / cap.where(cap > 0)).clip(0.0, 1.0)
    table = utilisation.assign(idle=share).pivot_table(index="system", columns="quarter",
                                                       values="idle", aggfunc="first", dropna=False)
    return table.reindex(index=systems, columns=quarters).rename_axis(index=None, columns=None)


def pnl_figure(pnl: pd.DataFrame, title: str):
    """Per quarter, fleet cost stacked (serving, idle, reserved) with revenue and operating
    profit as lines, in $B; the y axis always includes zero."""
    plt = _plt()
    quarters = list(pnl["quarter"])
    with plt.rc_context(_RC):
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
    _quarter_axis(ax, quarters)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def idle_heatmap_figure(utilisation: pd.DataFrame, title: str):
    """Share of each system's available chips idle per quarter (0-100 %, colour bar); cells
    annotated when the grid is small; grey where the system has no available chips."""
    import matplotlib

    plt = _plt()
    share = idle_share(utilisation)
    quarters = list(share.columns)
    height = min(12.0, max(2.5, 1.6 + 0.35 * len(share)))
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, height), layout="constrained")
    if share.empty:
        ax.text(0.5, 0.5, "no capacity in the horizon", ha="center", transform=ax.transAxes)
    else:
        cmap = matplotlib.colormaps["Reds"].with_extremes(bad="lightgrey")
        values = np.ma.masked_invalid(share.to_numpy(dtype=float))
        mesh = ax.pcolormesh(values, cmap=cmap, vmin=0.0, vmax=1.0, edgecolors="white",
                             linewidth=0.5)
        with plt.rc_context(_RC):
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
