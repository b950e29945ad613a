"""The self-contained HTML report: inline CSS, JS and images; every scenario name escaped."""
from __future__ import annotations

import pandas as pd

from planner.report import assets, findings
from planner.report.figures import Figure
from planner.report.markup import PCT, esc, figure_html, table
from planner.report.pnl_section import pnl_finding, pnl_section
from planner.report.rundata import RunData

MODES = {"off": "LP", "round": "whole replicas, rounded LP", "exact": "whole replicas, MILP"}


def _findings_section(run: RunData) -> str:
    margin = run.target_margin
    when = findings.servable(run.economics, margin)
    items = "".join(
        f"<li><b>{esc(r['model'])}</b>: {esc(findings.describe_servable(r))}</li>"
        for _, r in when.iterrows())
    short = findings.shortages(run.economics)
    if short.empty:
        short_html = "<p>All demand is served in every quarter.</p>"
    else:
        view = short.assign(unmet_output_tokens_per_day_worst=short["unmet_output_tokens_per_day_worst"] / 1e9,
                            unmet_output_tokens_total=short["unmet_output_tokens_total"] / 1e12)
        view.columns = ["model", "quarters short", "first", "last", "worst quarter",
                        "served in worst", "unmet in worst (B tok/day)", "unmet total (T tok)"]
        short_html = table(view, {"served in worst": PCT})
    scarce = findings.scarcest(run.utilisation)
    scarce_html = ("<p>No system is ever capacity-bound: every shadow price is zero.</p>"
                   if scarce.empty else table(scarce.set_axis(
                       ["system", "quarter", "available chips", "shadow price ($/chip-hour)"], axis=1), {}))
    return f"""<section id="findings"><h2>Key findings</h2>
<h3>When each model becomes servable at its list price and target margin</h3>
<ul class="findings">{items}</ul>
<p class="note">Servable in a quarter = the plan, with every model sold at its list price, serves
at least {findings.SERVED_SHARE:.1%} of the model's demand with a gross margin of at least
{margin:.0%} (a model without list revenue: served alone). "From Q" means from Q on through
the horizon's end, what <code>planner when --model M --price-output &lt;list price&gt;</code>
answers; a first servable quarter that does not last is named apart. A reason names the first
check that fails in the last failing quarter before (no system fits, cost too high, not
enough capacity, margin too low).</p>
<h3>Fleet P&amp;L</h3><p>{esc(pnl_finding(run.fleet_pnl))} (See <a href="#pnl">Fleet
P&amp;L</a>.)</p>
<h3>Biggest shortages</h3>{short_html}
<h3>Scarcest hardware</h3>{scarce_html}
<p class="note">Shadow price: what one more chip-hour of the system would add to the plan's
objective in that quarter (its scarcity rent).</p></section>"""


def _figures_section(figures: list[Figure]) -> str:
    parts = [figure_html(f) for f in figures if f.section == "plots"]
    return '<section id="plots"><h2>Plots</h2>' + "\n".join(parts) + "</section>"


def _economics_view(e: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "model": e["model"], "quarter": e["quarter"],
        "demand (B tok/day)": e["demand_output_tokens_per_day"] / 1e9,
        "served": e["served_fraction"], "unmet (B tok/day)": e["unmet_output_tokens_per_day"] / 1e9,
        "cost in ($/M)": e["cost_usd_per_m_input"], "cost out ($/M)": e["cost_usd_per_m_output"],
        "cost all-in ($/M out)": e["cost_usd_per_m_output_all_in"],
        "revenue ($/M out)": e["revenue_usd_per_m_output"], "margin": e["gross_margin"],
        "list out ($/M)": e["list_usd_per_m_output"],
        "break-even ($/M out)": e["break_even_price_usd_per_m_output"],
        "price at target margin ($/M out)": e["price_at_target_margin_usd_per_m_output"],
        "achievable ($/M out)": e["achievable_price_usd_per_m_output"],
        "systems": e["systems"].where(e["systems"] != "", e["cost_basis"]),
    })


def _allocation_view(a: pd.DataFrame) -> pd.DataFrame:
    a = a[a["chips"] > 0]
    if a.empty:
        return pd.DataFrame({"quarter": [], "model": []})
    pivot = a.pivot_table(index=["quarter", "model"], columns="system", values="chips",
                          aggfunc="sum", fill_value=0.0, sort=True)
    return pivot.round().reset_index().rename_axis(columns=None)


def _utilisation_view(u: pd.DataFrame) -> pd.DataFrame:
    u = u[u["capacity_chips"] > 0]
    return pd.DataFrame({"system": u["system"], "quarter": u["quarter"],
                         "available chips": u["capacity_chips"].round(), "used chips": u["used_chips"].round(),
                         "utilisation": u["utilisation"],
                         "shadow price ($/chip-hour)": u["shadow_price_usd_per_chip_hour"]})


def _tables_section(run: RunData) -> str:
    return f"""<section id="tables"><h2>Tables</h2>
<p class="note">Click a column header to sort. Costs and revenue are $ per million output tokens
together with the input tokens that come with them ("all-in"); margin = 1 - cost all-in /
revenue. The price columns (break-even, at target margin, achievable) are output list prices
with the input prices moved in proportion.</p>
<h3>Demand, cost and prices per model and quarter</h3>
{table(_economics_view(run.economics), {"served": PCT, "margin": PCT},
       muted=~(run.economics["demand_output_tokens_per_day"] > 0))}
<h3>Allocation (chips serving each model, per system)</h3>
{table(_allocation_view(run.allocation), {})}
<h3>Utilisation and scarcity price per system</h3>
{table(_utilisation_view(run.utilisation), {"utilisation": PCT})}
</section>"""


def _flatten(value: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, value)]


def _provenance_section(run: RunData) -> str:
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in _flatten(run.provenance))
    return f'<section id="provenance"><h2>Provenance</h2><dl>{rows}</dl></section>'


def _count(n, noun: str) -> str:
    return f"{int(n)} {noun}{'' if int(n) == 1 else 's'}"


def build_html(run: RunData, figures: list[Figure]) -> str:
    """The whole report page as one string (deterministic for identical inputs)."""
    p = run.provenance
    horizon = p.get("horizon") or {}
    solver = p.get("solver") or {}
    version = (p.get("versions") or {}).get("fleet-planner", "")
    lede = (f"Horizon {horizon.get('start', '?')}–{horizon.get('end', '?')} · target margin "
            f"{run.target_margin:.0%} · solver {solver.get('solver', '?')} "
            f"({MODES.get(solver.get('integer'), solver.get('integer'))}): "
            f"{solver.get('status', '?')} · "
            f"{_count(run.economics['model'].nunique(), 'model')}, "
            f"{_count((run.utilisation.groupby('system')['capacity_chips'].max() > 0).sum(), 'system')}"
            " with chips")
    pareto_note = ("" if run.pareto is not None else
                   '<p class="note">No cost-versus-speed frontiers: this run directory has no '
                   "pareto.csv (written by <code>planner run --out DIR --report</code>).</p>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{assets.CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet plan: {esc(run.name)}</title>
<script>{assets.ERROR_TRAP}</script>
<style>{assets.CSS}</style>
</head>
<body>
<header><h1>Fleet plan: {esc(run.name)}</h1>
<p class="lede">{esc(lede)}</p>
<p class="lede">Input SHA-256 <code>{esc(p.get('input_sha256', ''))}</code></p>
<nav><a href="#findings">Findings</a><a href="#pnl">Fleet P&amp;L</a><a href="#plots">Plots</a><a
href="#tables">Tables</a><a href="#provenance">Provenance</a></nav></header>
{_findings_section(run)}
{pnl_section(run, figures)}
{_figures_section(figures)}
{pareto_note}
{_tables_section(run)}
{_provenance_section(run)}
<footer>Made by fleet-planner {esc(version)} from the run's summary.json{'' if run.pareto is None else ' and pareto.csv'}.</footer>
<script>{assets.SORT}</script>
</body>
</html>
"""
