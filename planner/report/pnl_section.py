"""The report's Fleet P&L: a per-quarter table in $B, its key finding, and its two figures.

The numbers are summary.json's ``fleet_pnl`` as `planner run` computed it (planner.run.pnl);
older summaries have none, and the section then says so. The idle-capacity heatmap comes
from the utilisation table, which every run has.
"""
from __future__ import annotations

import pandas as pd

from planner.output.tables import _cell
from planner.report.figures import Figure
from planner.report.markup import PCT, esc, figure_html, table
from planner.report.rundata import RunData

MISSING = ("This run's summary.json has no fleet_pnl (it was written before the fleet P&L "
           "existed); rerun <code>planner run --out DIR</code> to get it.")
VIEW_COLUMNS = {"revenue_usd": "revenue ($B)", "serving_cost_usd": "serving cost ($B)",
                "idle_cost_usd": "idle cost ($B)", "reserved_cost_usd": "reserved cost ($B)",
                "fleet_cost_usd": "fleet cost ($B)", "operating_profit_usd": "operating profit ($B)"}


def pnl_view(pnl: pd.DataFrame) -> pd.DataFrame:
    """The P&L per quarter as the report shows it: dollars in $B, the margin as a share."""
    view = pd.DataFrame({"quarter": pnl["quarter"]})
    for column, label in VIEW_COLUMNS.items():
        view[label] = pnl[column] / 1e9
    view["operating margin"] = pnl["operating_margin"]
    return view


def _usd_b(value: float) -> str:
    """Dollars as $B text: -$1.5B, $0.0035B."""
    value = float(value)
    return f"{'-' if value < 0 else ''}${_cell(abs(value) / 1e9)}B"


def pnl_finding(pnl: pd.DataFrame | None) -> str:
    """One line (plain text): profit and margin over the horizon, and the largest idle cost."""
    if pnl is None:
        return "No fleet P&L: this run's summary.json has no fleet_pnl."
    if pnl.empty:
        return "No fleet P&L: the run has no quarters."
    revenue = float(pnl["revenue_usd"].sum())
    profit = float(pnl["operating_profit_usd"].sum())
    margin = f"margin {profit / revenue:.0%}" if revenue > 0 else "no revenue, so no margin"
    span = f"{pnl['quarter'].iloc[0]}–{pnl['quarter'].iloc[-1]}"
    text = (f"Over {span} the fleet earns {_usd_b(revenue)} of revenue against "
            f"{_usd_b(pnl['fleet_cost_usd'].sum())} of fleet cost: operating profit "
            f"{_usd_b(profit)} ({margin}).")
    idle = pnl["idle_cost_usd"].fillna(0.0)
    if not idle.max() > 0:
        return text + " No quarter has idle chips."
    worst = pnl.loc[idle.idxmax()]
    fleet = float(worst["fleet_cost_usd"])
    share = f" ({worst['idle_cost_usd'] / fleet:.0%} of its fleet cost)" if fleet > 0 else ""
    return text + (f" Largest idle cost: {worst['quarter']}, {_usd_b(worst['idle_cost_usd'])}"
                   f"{share}.")


def pnl_section(run: RunData, figures: list[Figure]) -> str:
    """The Fleet P&L section: the note on what is counted, the table, and the section's figures."""
    if run.fleet_pnl is None:
        body = f'<p class="note">{MISSING}</p>'
    else:
        body = (f"<p>{esc(pnl_finding(run.fleet_pnl))}</p>\n"
                + table(pnl_view(run.fleet_pnl), {"operating margin": PCT},
                        "Per quarter, in billions of dollars.") + "\n"
                '<p class="note">Revenue: served output tokens at each model\'s list prices '
                "(input and output on its request mix). Fleet cost: every installed chip at its "
                "$/chip-hour, split into serving (chips allocated to models), idle (available "
                "but unused) and reserved (held back). Operating profit = revenue - fleet cost; "
                "operating margin = profit / revenue (none without revenue).</p>")
    shown = "\n".join(figure_html(f) for f in figures if f.section == "pnl")
    return f'<section id="pnl"><h2>Fleet P&amp;L</h2>\n{body}\n{shown}</section>'
