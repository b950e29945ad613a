"""The report's plots, rendered once to PNG and SVG bytes from a run's frames."""
from __future__ import annotations

import contextlib
import gc
import os
import re
from dataclasses import dataclass
from functools import partial

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
         partial(plots.allocation_figure, run.allocation, run.utilisation,
                 "Chips serving each model, per system")),
        ("demand", "Served and unmet demand",
         "Output tokens per day served (blue) and unmet (red) for each model; grey: quarters "
         "without demand.",
         partial(plots.demand_figure, run.economics, "Served and unmet demand per model")),
        ("cost", "Cost per M output tokens and prices",
         "Per M output tokens, as output list prices with the input prices in proportion: the "
         "break-even price (the all-in serving cost, input processing included), the list "
         "price, the price that keeps the target margin, and the achievable price (cost plus "
         "scarcity rent, with the target margin); log scale; grey: quarters without demand."
         + (" Dash-dot red: the market-clearing price, at which price-responsive demand "
            "equals what is served (the list price when all of it is)."
            if "clearing_price_usd_per_m_output" in run.economics.columns else ""),
         partial(plots.cost_figure, run.economics, "Cost and prices per M output tokens")),
        ("shadow-prices", "Scarcity (shadow) price per system",
         "What one more chip-hour of each system would be worth to the plan in each quarter: "
         "zero when the system has spare capacity; symmetric-log scale.",
         partial(plots.shadow_price_figure, run.utilisation, "Shadow price per system")),
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
                partial(plots.pareto_figure, frames, model, quarter, speed)))
    specs = [(*spec, "plots") for spec in specs] + [(*spec, "pnl") for spec in _pnl_specs(run)]
    images = _render_all([make for _, _, _, make, _ in specs])
    return [Figure(name, title, caption, png, svg, section)
            for (name, title, caption, _, section), (png, svg) in zip(specs, images)]


MAX_WORKERS = 4
_WARM: list = []  # the pool started by warm_workers(), for the next _render_all


@contextlib.contextmanager
def warm_workers(enabled: bool = True):
    """Start the figure workers now, so that they import matplotlib and warm it up while the
    caller computes the run (~0.3 s per worker otherwise paid after it), and stop them when
    the block ends (killed if it raised: they ignore Ctrl-C and SIGTERM, which the command
    handles). Nothing starts with one core, without fork, or when not ``enabled``."""
    with _workers(MAX_WORKERS if enabled else 0) as pool:
        if pool is None:
            yield
            return
        pool.submit(int)  # with fork, the first task launches every worker
        _WARM.append(pool)
        try:
            yield
        finally:
            _WARM.remove(pool)


def _render_one(make) -> tuple[bytes, bytes] | str:
    """The (PNG, SVG) bytes of the figure ``make()`` draws, or the traceback of what failed (a
    text pickles where some exceptions do not)."""
    import traceback

    try:
        return plots.render_formats(make(), ("png", "svg"))
    except Exception:  # noqa: BLE001 - re-raised in the parent with its traceback
        return traceback.format_exc()


def _checked(results: list) -> list[tuple[bytes, bytes]]:
    for result in results:
        if isinstance(result, str):
            raise RuntimeError(f"a report figure failed:\n{result}")
    return results


def _render_all(makers: list) -> list[tuple[bytes, bytes]]:
    """(PNG, SVG) bytes of each figure maker (a picklable callable), in order. Drawing is most
    of a report's time and each figure is independent, so with more than one core the
    figures are drawn by worker processes (the warm ones of :func:`warm_workers`, else forked
    here; only the makers go there and bytes come back); the bytes are the ones drawn in
    this process."""
    if _WARM:
        return _checked(list(_WARM[-1].map(_render_one, makers)))
    with _workers(len(makers)) as pool:
        if pool is None:
            return _checked([_render_one(make) for make in makers])
        return _checked(list(pool.map(_render_one, makers)))


@contextlib.contextmanager
def _workers(tasks: int):
    """A pool for ``tasks`` figures (None when there is no point, see :func:`_pool`), shut
    down when the block ends; its workers killed if the block raised."""
    pool = _pool(tasks)
    if pool is None:
        yield None
        return
    try:
        yield pool
    except BaseException:
        _kill(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(tasks: int):
    """A pool of min(tasks, cores, MAX_WORKERS) forked workers, or None below two."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(tasks, cores or 1, MAX_WORKERS)
    if workers < 2 or not _can_fork():
        return None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_start_worker, initargs=(os.getpid(),))


def _kill(pool) -> None:
    """Kill the workers of ``pool`` (they ignore Ctrl-C and SIGTERM)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def _start_worker(parent: int) -> None:
    """A worker ignores Ctrl-C and SIGTERM (the command stops it), dies with the command
    (even when that is killed outright), warms matplotlib up (imported, its fonts loaded by
    drawing one tiny figure) and then draws without cyclic garbage collection."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:  # Linux: the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG = 1)
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(0)
    try:
        plots.warm_up()
    except Exception:  # noqa: BLE001 - a head start only: a real fault shows in the figures
        pass
    # it lives for one report's figures, whose cycles it would otherwise collect ~25 times
    # per figure (~6 % of the drawing CPU)
    gc.disable()


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
        partial(plots.pnl_figure, run.fleet_pnl, "Revenue, fleet cost and operating profit"))]
    if run.purchased is not None:
        specs.append((
            "fleet", "Installed chips by system, purchases marked",
            "Available chips (installed minus reserved) of each system per quarter, stacked, in "
            "thousands; the hatched part of each bar is chips the plan bought (in service from "
            "their order quarter plus the lead time, until they retire).",
            partial(plots.fleet_figure, run.utilisation, run.purchased,
                                       "Available chips per system, bought part hatched")))
    return specs + [(
        "idle-capacity", "Idle capacity per system",
        "Share of each system's available chips (installed minus reserved) left idle in each "
        "quarter: 1 - used / available. Grey: no available chips.",
        partial(plots.idle_heatmap_figure, run.utilisation, "Share of available chips idle"))]
