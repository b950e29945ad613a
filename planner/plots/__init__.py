"""Plots of a plan (matplotlib), rendered deterministically to PNG or SVG.

One matplotlib set-up (:mod:`planner.plots.base`: the Agg backend, fixed sizes and rc
parameters, :func:`render` and :func:`save`) for every figure of the project: the plan's
figures (:mod:`planner.plots.run`), the fleet P&L (:mod:`planner.plots.pnl`), and the
sizing, sweep and calibration plots, which take :func:`pyplot` from here.
"""
from planner.plots.base import (FORMATS, colours, grid_shape, panel_size_px, pyplot, render,
                                render_formats, save, text, warm_up)
from planner.plots.pnl import fleet_figure, idle_heatmap_figure, idle_share, pnl_figure
from planner.plots.price import price_figure
from planner.plots.run import (allocation_figure, cost_figure, demand_figure, pareto_figure,
                               plot_pareto, shadow_price_figure)

__all__ = ["FORMATS", "allocation_figure", "colours", "cost_figure", "demand_figure",
           "fleet_figure", "grid_shape", "idle_heatmap_figure", "idle_share", "panel_size_px",
           "pareto_figure", "plot_pareto", "pnl_figure", "price_figure", "pyplot", "render",
           "render_formats", "save", "shadow_price_figure", "text", "warm_up"]
