"""The report's plots, rendered once to PNG and SVG bytes from a run's frames."""
from __future__ import annotations

import re
from dataclasses import dataclass

from planner import plots
from planner.report.rundata import RunData


@dataclass(frozen=True)
class Figure:
    """One plot: a file-safe name, a title and caption (plain text), its image bytes and the
    report section it is shown in."""

    name: str
    title: str
    caption: str
    png: bytes
    svg: bytes
    section: str = "plots"


def safe_name(text: str) -> str:
    """A file-name-safe slug of a scenario name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:40] or "x"


def build_figures(run: RunData) -> list[Figure]:
    """Allocation, served/unmet demand, cost and prices, shadow prices, one Pareto per model;
    for the Fleet P&L section, the P&L per quarter (when the run has one) and idle capacity."""
    specs = [
        ("allocation", "Allocation of each system's chips to models",
         "Chips of each system serving each model per quarter (stacked); the line is the "
         "system's available chips (installed minus reserved).",
         lambda: plots.allocation_figure(run.allocation, run.utilisation,
                                         "Chips serving each model, per system")),
        ("demand", "Served and unmet demand",
         "Output tokens per day served (blue) and unmet (red) for each model; grey: quarters "
         "without demand.",
         lambda: plots.demand_figure(run.economics, "Served and unmet demand per model")),
        ("cost", "Cost per M output tokens and prices",
         "Per M output tokens, as output list prices with the input prices in proportion: the "
         "break-even price (the all-in serving cost, input processing included), the list "
         "price, the price that keeps the target margin, and the achievable price (cost plus "
         "scarcity rent, with the target margin); log scale; grey: quarters without demand."
         + (" Dash-dot red: the market-clearing price, at which price-responsive demand "
            "equals what is served (the list price when all of it is)."
            if "clearing_price_usd_per_m_output" in run.economics.columns else ""),
         lambda: plots.cost_figure(run.economics, "Cost and prices per M output tokens")),
        ("shadow-prices", "Scarcity (shadow) price per system",
         "What one more chip-hour of each system would be worth to the plan in each quarter: "
         "zero when the system has spare capacity; symmetric-log scale.",
         lambda: plots.shadow_price_figure(run.utilisation, "Shadow price per system")),
    ]
    if run.pareto is not None:
        for i, (model, frame) in enumerate(run.pareto.groupby("model", sort=False), start=1):
            quarter = str(frame["quarter"].iloc[0])
            frames = {s: f.sort_values("output_tokens_per_s_per_user")
                      for s, f in frame.groupby("system", sort=False)}
            speed = float(frame["min_output_tokens_per_s"].iloc[0])
            specs.append((
                f"pareto-{i:02d}-{safe_name(model)}", f"Cost versus speed: {model}, {quarter}",
                f"Cost-versus-speed Pareto frontier of {model} on each system in the fleet in "
                f"{quarter} (log axes). Filled markers meet the model's speed targets; the dashed "
                "line is its minimum tokens/s per user.",
                lambda frames=frames, model=model, quarter=quarter, speed=speed:
                    plots.pareto_figure(frames, model, quarter, speed)))
    specs = [(*spec, "plots") for spec in specs] + [(*spec, "pnl") for spec in _pnl_specs(run)]
    images = _render_all([make for _, _, _, make, _ in specs])
    return [Figure(name, title, caption, png, svg, section)
            for (name, title, caption, _, section), (png, svg) in zip(specs, images)]


_MAKERS: list = []  # the figures of the current build_figures call, for forked workers
MAX_WORKERS = 4


def _render_one(i: int) -> tuple[bytes, bytes] | str:
    """Figure ``i``'s (PNG, SVG) bytes, or the traceback of what failed (a text pickles where
    some exceptions do not)."""
    import traceback

    try:
        return plots.render_formats(_MAKERS[i](), ("png", "svg"))
    except Exception:  # noqa: BLE001 - re-raised in the parent with its traceback
        return traceback.format_exc()


def _checked(results: list) -> list[tuple[bytes, bytes]]:
    for result in results:
        if isinstance(result, str):
            raise RuntimeError(f"a report figure failed:\n{result}")
    return results


def _render_all(makers: list) -> list[tuple[bytes, bytes]]:
    """(PNG, SVG) bytes of each figure maker, in order. Drawing is most of a report's time
    and each figure is independent, so with more than one core the figures are drawn by
    forked worker processes (they inherit the makers; only bytes come back; they ignore
    Ctrl-C and SIGTERM, which the command handles, and are stopped with it); the bytes are
    the same as drawn in this process."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(len(makers), cores or 1, MAX_WORKERS)
    _MAKERS[:] = makers
    try:
        if workers < 2 or not _can_fork():
            return _checked([_render_one(i) for i in range(len(makers))])
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_ignore_signals)
        try:
            results = list(pool.map(_render_one, range(len(makers))))
        except BaseException:  # Ctrl-C, SIGTERM: the workers ignore both, so they are killed
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return _checked(results)
    finally:
        _MAKERS.clear()


def _ignore_signals() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _pnl_specs(run: RunData) -> list[tuple]:
    specs = [] if run.fleet_pnl is None else [(
        "pnl", "Fleet P&L per quarter",
        "Revenue of the served tokens at list prices (green) against the cost of every installed "
        "chip, stacked: serving (allocated chips), idle (available but unused) and reserved (held "
        "back); operating profit = revenue - fleet cost (dashed). $B per quarter; the axis "
        "includes zero.",
        lambda: plots.pnl_figure(run.fleet_pnl, "Revenue, fleet cost and operating profit"))]
    if run.purchased is not None:
        specs.append((
            "fleet", "Installed chips by system, purchases marked",
            "Available chips (installed minus reserved) of each system per quarter, stacked, in "
            "thousands; the hatched part of each bar is chips the plan bought (in service from "
            "their order quarter plus the lead time, until they retire).",
            lambda: plots.fleet_figure(run.utilisation, run.purchased,
                                       "Available chips per system, bought part hatched")))
    return specs + [(
        "idle-capacity", "Idle capacity per system",
        "Share of each system's available chips (installed minus reserved) left idle in each "
        "quarter: 1 - used / available. Grey: no available chips.",
        lambda: plots.idle_heatmap_figure(run.utilisation, "Share of available chips idle"))]
