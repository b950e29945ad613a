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

import pandas as pd

from planner.errors import InputError, Problem, RunError

DPI = 100
WIDTH_IN = 10.0
PANEL_HEIGHT_IN = 2.8
TITLE_HEIGHT_IN = 0.8
MAX_COLUMNS = 3
SINGLE_SIZE_IN = (WIDTH_IN, 5.0)
FORMATS = ("png", "svg", "pdf")
# axes.titley fixed: titles sit just above the axes (nothing is drawn on top) and are not
# re-placed on every draw, which re-measures all tick labels
RC = {"svg.hashsalt": "fleet-planner", "svg.fonttype": "none", "font.size": 8,
      "axes.titlesize": 9, "axes.titley": 1.0, "figure.dpi": DPI, "savefig.dpi": DPI}


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def warm_up() -> None:
    """Import matplotlib and load its fonts (one tiny figure drawn and dropped), so that the
    first real figure of a process does not pay for it."""
    plt = pyplot()
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(1, 1))
        ax.set_title("warm-up")
        fig.canvas.draw()
    plt.close(fig)


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


def panels(n: int, title: str):
    plt = pyplot()
    rows, cols = grid_shape(n)
    width, height = panel_size_px(n)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(rows, cols, figsize=(width / DPI, height / DPI), squeeze=False,
                                 layout="constrained")
    fig.suptitle(text(title), fontsize=11)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def quarter_axis(ax, quarters: list[str], labels: bool = True) -> None:
    """Quarters on the x axis, at most 8 ticks; their labels only when ``labels`` (a grid
    labels the bottom panel of each column, see :func:`has_panel_below`)."""
    step = max(1, math.ceil(len(quarters) / 8))
    ticks = range(0, len(quarters), step)
    if labels:
        ax.set_xticks(ticks, [quarters[i] for i in ticks], rotation=45, ha="right", fontsize=7)
    else:
        ax.set_xticks(ticks)
        ax.tick_params(axis="x", labelbottom=False)
    ax.set_xlim(-0.6, len(quarters) - 0.4)
    ax.grid(True, axis="y", alpha=0.3)


def has_panel_below(index: int, n: int) -> bool:
    """True when panel ``index`` of a grid of ``n`` (:func:`panels`) has another one below it,
    which then carries the column's quarter labels: tick labels are most of a figure's
    drawing time."""
    return index + grid_shape(n)[1] < n


def plain_log(ax, axis: str = "y") -> None:
    """Log-axis labels as plain numbers (1, 10, 0.1); unlabelled minor ticks at 2 and 5 of
    each decade only (eight per decade cost more to draw than the rest of a panel)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())
    if target.get_scale() == "log":
        target.set_minor_locator(LogLocator(subs=(2.0, 5.0)))


def colours(names: list[str]) -> dict[str, tuple]:
    """A fixed colour per name, in the given order (tab10, then tab20)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def order(frame: pd.DataFrame, column: str) -> list[str]:
    return list(dict.fromkeys(frame[column]))


def legend_patch(colour, label):
    from matplotlib.patches import Patch

    return Patch(color=colour, label=text(label))


def legend_line(colour, label, style="-"):
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, linestyle=style, label=text(label))


def render(fig, fmt: str, close: bool = True) -> bytes:
    """The figure as PNG or SVG bytes, byte-identical for identical figures."""
    plt = pyplot()
    metadata = {"Software": None} if fmt == "png" else {"Date": None}
    buffer = io.BytesIO()
    try:
        with plt.rc_context(RC):
            fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    finally:
        if close:
            plt.close(fig)
    return buffer.getvalue()


def render_formats(fig, formats: tuple[str, ...]) -> list[bytes]:
    """The figure in each of ``formats`` (see :func:`render`), then closed: laid out once, as
    the first format would, and not again for the others."""
    plt = pyplot()
    try:
        engine = fig.get_layout_engine()
        if engine is not None:
            with plt.rc_context(RC):
                engine.execute(fig)
            fig.set_layout_engine(None)
        return [render(fig, fmt, close=False) for fmt in formats]
    finally:
        plt.close(fig)


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
