"""A scenario diff as Markdown (to paste into a code review) or as JSON (stable keys)."""
from __future__ import annotations

import json
import math

import pandas as pd

from planner.output.tables import _cell, to_records
from planner.report.findings import is_missing
from planner.review import ScenarioDiff

MAX_ROWS = 30
NONE = "—"


def value_text(value: object) -> str:
    """A YAML value as a reviewer reads it: 1e+11, 0.4, true, [a, b]."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:g}"   # 4e+09 rather than 4000000000.0, when exact
        return short if "e" in short and float(short) == value else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def cell(text: object) -> str:
    """Safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def code(text: object) -> str:
    """A name as inline code (names may hold anything, even backticks or HTML)."""
    text = str(text).replace("`", "'")
    return f"`{cell(text)}`"


def _num(value: object, kind: str = "") -> str:
    if is_missing(value):
        return NONE
    value = float(value)
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "btok":
        return _cell(value / 1e9)
    return _cell(value)


def _arrow(old: object, new: object, kind: str = "") -> str:
    return f"{_num(old, kind)} → {_num(new, kind)}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_ROWS} more rows (see `--format json`).")
    return lines


def _shift(value: object) -> str:
    if is_missing(value):
        return NONE
    n = int(value)
    if n == 0:
        return "same"
    unit = "quarter" if abs(n) == 1 else "quarters"
    return f"{abs(n)} {unit} {'later' if n > 0 else 'earlier'}"


def _count(value: object) -> str:
    return NONE if is_missing(value) else str(int(value))


def _first(value: object) -> str:
    return "not in horizon" if is_missing(value) else str(value)


def _btok(value: float) -> str:
    """Tokens in B, or in T from a thousand billion on (1.03e+06 B reads badly)."""
    if abs(value) >= 1e12:
        return f"{value / 1e12:,.1f}T tokens"
    return f"{_cell(value / 1e9)} B tokens"


def _usd(value: float) -> str:
    return f"${_cell(value / 1e9)}B"


def _chips(value: float) -> str:
    return _cell(float(value))


def _move(old: float, new: float, shown) -> str:
    """"old → new (+change)" with ``shown`` formatting a magnitude; no change within 1e-9."""
    change = new - old
    values = " → ".join(("-" if v < 0 else "") + shown(abs(v)) for v in (old, new))
    if abs(change) <= 1e-9 * max(abs(old), abs(new)):
        return f"{values} (no change)"
    return f"{values} ({'+' if change > 0 else '-'}{shown(abs(change))})"


def _headline(diff: ScenarioDiff) -> list[str]:
    h = diff.headline
    old_q, new_q = h.last_quarter
    at = old_q if old_q == new_q else f"{old_q} → {new_q}"
    out = [f"**Headline** (totals over the horizon; chips at the last quarter, {at})", "",
           f"- Unmet output tokens: {_move(*h.totals['unmet_output_tokens'], _btok)}",
           f"- Revenue: {_move(*h.totals['revenue_usd'], _usd)}",
           f"- Operating profit: {_move(*h.totals['operating_profit_usd'], _usd)}"]
    if h.chips.empty:
        out.append("- Chips: no system's installed or available chips changed")
    for _, r in h.chips.iterrows():
        out.append(f"- {code(r['system'])} chips: installed "
                   f"{_move(r['installed_chips_old'], r['installed_chips_new'], _chips)}, available "
                   f"{_move(r['available_chips_old'], r['available_chips_new'], _chips)}")
    if h.purchases is not None:
        out += [f"- Chips bought: {_move(*h.purchases['chips_bought'], _chips)}, capex "
                f"{_move(*h.purchases['purchase_capex_usd'], _usd)}"]
        out += [f"  - {code(r['system'])} bought: "
                f"{_move(r['bought_chips_old'], r['bought_chips_new'], _chips)}"
                for _, r in h.bought.iterrows()]
    return out + [""]


def to_markdown(diff: ScenarioDiff) -> str:
    t = diff.thresholds
    out = [f"### Scenario diff: {code(diff.base)} → {code(diff.proposed)}", ""]
    out += _headline(diff)
    if not diff.inputs:
        out.append("No input changes.")
    else:
        out.append(f"**Input changes ({len(diff.inputs)})**")
        out.append("")
        rows = []
        for c in diff.inputs:
            at = c.new_at if c.kind != "removed" else c.old_at
            if c.kind == "changed" and c.old_at and c.old_at != c.new_at:
                at = f"{c.new_at} (was {c.old_at})"
            rows.append([code(c.path), cell(value_text(c.old)), cell(value_text(c.new)),
                         cell(at or NONE)])
        out += _table(["key", "old", "new", "where"], rows)
    out += ["", f"**Outcome changes** (thresholds: served share {t.served:.0%} of demand, cost "
                f"{t.cost:.0%}, margin {t.margin * 100:g} pt, shadow price {t.shadow:.0%} and "
                f"${t.shadow_floor_usd:g}/chip-hour)", ""]
    o = diff.outcomes
    if all(f.empty for f in o.values()):
        out.append("No outcome changes beyond the thresholds.")
        return "\n".join(out) + "\n"
    if not o["when"].empty:
        out += ["_Quarter from which each model is servable at its list price and target margin "
                "(through the horizon's end)_", ""]
        out += _table(["model", "base", "proposed", "shift", "servable quarters"], [
            [code(r["model"]), _first(r["first_quarter_old"]), _first(r["first_quarter_new"]),
             _shift(r["shift_quarters"]), f"{_count(r['servable_quarters_old'])} → "
             f"{_count(r['servable_quarters_new'])}"] for _, r in o["when"].iterrows()])
        out.append("")
    if not o["served"].empty:
        out += ["_Served and unmet demand (billion output tokens per day)_", ""]
        out += _table(["model", "quarter", "demand", "served", "unmet", "served share"], [
            [code(r["model"]), cell(r["quarter"]),
             _arrow(r["demand_output_tokens_per_day_old"], r["demand_output_tokens_per_day_new"], "btok"),
             _arrow(r["served_output_tokens_per_day_old"], r["served_output_tokens_per_day_new"], "btok"),
             _arrow(r["unmet_output_tokens_per_day_old"], r["unmet_output_tokens_per_day_new"], "btok"),
             _arrow(r["served_fraction_old"], r["served_fraction_new"], "pct")]
            for _, r in o["served"].iterrows()])
        out.append("")
    if not o["cost"].empty:
        out += ["_Cost per M output tokens (all-in) and gross margin at list price_", ""]
        out += _table(["model", "quarter", "cost $/M", "change", "margin"], [
            [code(r["model"]), cell(r["quarter"]),
             _arrow(r["cost_usd_per_m_output_all_in_old"], r["cost_usd_per_m_output_all_in_new"]),
             NONE if is_missing(r["cost_change"]) else f"{r['cost_change']:+.1%}",
             _arrow(r["gross_margin_old"], r["gross_margin_new"], "pct")]
            for _, r in o["cost"].iterrows()])
        out.append("")
    if not o["shadow_prices"].empty:
        out += ["_Shadow (scarcity) price, $ per chip-hour_", ""]
        out += _table(["system", "quarter", "shadow price"], [
            [code(r["system"]), cell(r["quarter"]),
             _arrow(r["shadow_price_usd_per_chip_hour_old"], r["shadow_price_usd_per_chip_hour_new"])]
            for _, r in o["shadow_prices"].iterrows()])
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _records(frame: pd.DataFrame) -> list[dict]:
    records = to_records(frame)
    for r in records:
        for k, v in r.items():
            if isinstance(v, float) and not math.isfinite(v):
                r[k] = None
    return records


def to_json(diff: ScenarioDiff) -> dict:
    """Stable keys: base, proposed, headline, thresholds, input_changes, outcome_changes, empty."""
    return {
        "base": {"path": diff.base, "scenario": diff.base_name},
        "proposed": {"path": diff.proposed, "scenario": diff.proposed_name},
        "headline": diff.headline.to_json(),
        "thresholds": diff.thresholds.to_json(),
        "input_changes": [c.to_json() for c in diff.inputs],
        "outcome_changes": {name: _records(diff.outcomes[name])
                            for name in ("when", "served", "cost", "shadow_prices")},
        "empty": diff.empty,
    }
