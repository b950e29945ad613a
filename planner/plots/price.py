"""`planner price --plot`: revenue and profit of one model against its list price."""
from __future__ import annotations

import pandas as pd

from planner.plots.base import RC, SINGLE_SIZE_IN, plain_log, pyplot, text


def price_figure(curve: pd.DataFrame, model: str, scope: str):
    """Revenue, model profit and fleet profit ($B) per list output price (log x), and the
    served share of demand on a second axis."""
    plt = pyplot()
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=SINGLE_SIZE_IN, layout="constrained")
    x = curve["price_usd_per_m_output"]
    for column, label, style in (("revenue_usd", "revenue (list)", "-"),
                                 ("model_profit_usd", "model profit (revenue - serving cost)", "-"),
                                 ("fleet_profit_usd", "fleet operating profit", "--")):
        ax.plot(x, curve[column] / 1e9, style, marker="o", markersize=3, linewidth=1.2,
                label=label)
    ax.set_xscale("log")
    plain_log(ax, "x")
    ax.set_xlabel("list price, $ per M output tokens (input prices in proportion)")
    ax.set_ylabel("$B")
    ax.grid(True, which="both", alpha=0.3)
    share = ax.twinx()
    share.plot(x, 100 * curve["served_fraction"], ":", color="grey", linewidth=1,
               label="served share of demand")
    share.set_ylabel("served, % of demand at that price")
    share.set_ylim(0, 105)
    lines = ax.get_legend_handles_labels()
    extra = share.get_legend_handles_labels()
    ax.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize=7, loc="upper left")
    ax.set_title(text(f"{model}: revenue and profit by list price, {scope}"))
    return fig
