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
    figures = []
    for name, title, caption, make, section in specs:
        png, svg = plots.render_formats(make(), ("png", "svg"))
        figures.append(Figure(name, title, caption, png, svg, section))
    return figures


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
