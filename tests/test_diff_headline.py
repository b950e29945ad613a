"""`planner diff` headline: horizon unmet tokens, revenue, operating profit, last-quarter chips."""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.report.findings import DAYS_PER_QUARTER
from planner.review.headline import chip_changes
from planner.run.pnl import HOURS_PER_QUARTER

RUN = CliRunner()
MORE_CHIPS = ("--set", "fleet.rack.deliveries.2026Q3=1200")   # 800 -> 1200 rack chips


def diff(*args) -> str:
    result = RUN.invoke(main, ["diff", *map(str, args), "-q"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_more_chips_by_hand(small_path):
    data = json.loads(diff(small_path, small_path, *MORE_CHIPS, "--format", "json"))
    h = data["headline"]
    assert h["unmet_output_tokens"] == {"old": 0.0, "new": 0.0, "change": 0.0}
    assert h["revenue_usd"]["change"] == 0.0            # all demand was already served
    # 400 more chips installed in 2026Q3 and Q4 at $2/chip-hour, whether used or not
    assert h["operating_profit_usd"]["change"] == pytest.approx(-400 * 2.0 * HOURS_PER_QUARTER * 2)
    assert h["last_quarter"] == {"old": "2026Q4", "new": "2026Q4"}
    # 2026Q4: 800 + 800 -> 800 + 1200 installed, half reserved (reserved_fraction 0.5)
    assert h["chips_at_last_quarter"] == [{
        "system": "rack", "installed_chips_old": 1600.0, "installed_chips_new": 2000.0,
        "installed_chips_change": 400.0, "available_chips_old": 800.0,
        "available_chips_new": 1000.0, "available_chips_change": 200.0}]
    md = diff(small_path, small_path, *MORE_CHIPS)
    lines = md.splitlines()
    assert lines[2:9] == [
        "**Headline** (totals over the horizon; chips at the last quarter, 2026Q4)", "",
        "- Unmet output tokens: 0 B tokens → 0 B tokens (no change)",
        "- Revenue: $0.0249B → $0.0249B (no change)",
        "- Operating profit: $0.00384B → $0.000329B (-$0.00351B)",
        "- `rack` chips: installed 1,600 → 2,000 (+400), available 800 → 1,000 (+200)", ""]
    assert md.index("**Headline**") < md.index("**Input changes (1)**")


def test_same_scenario_headline_has_no_changes(small_path):
    md = diff(small_path, small_path)
    assert "- Revenue: $0.0249B → $0.0249B (no change)" in md
    assert "- Chips: no system's installed or available chips changed" in md
    data = json.loads(diff(small_path, small_path, "--format", "json"))
    assert data["headline"]["chips_at_last_quarter"] == [] and data["empty"] is True
    assert data["headline"]["operating_profit_usd"]["change"] == 0.0


def test_a_shortage_shows_in_unmet_tokens(small_path):
    rows = json.loads(RUN.invoke(main, ["cost", str(small_path), "--quarter", "2026Q1",
                                        "--json"]).stdout)
    per_chip = {r["model"]: r["m_output_per_chip_hour"] for r in rows}
    volume = 600 * per_chip["big-moe"] * 24e6   # over the 400 available chips of 2026Q1-Q2
    data = json.loads(diff(small_path, small_path, "--format", "json",
                           "--set", f"demand.big-moe.output_tokens_per_day.2026Q1={volume}"))
    unmet = data["headline"]["unmet_output_tokens"]
    per_day = sum(r["unmet_output_tokens_per_day_new"] for r in data["outcome_changes"]["served"])
    assert unmet["old"] == 0.0 and unmet["new"] > 0
    assert unmet["change"] == pytest.approx(per_day * DAYS_PER_QUARTER)
    assert data["headline"]["revenue_usd"]["change"] > 0   # more demand, more served


def test_longer_horizon_names_both_last_quarters(small_path):
    md = diff(small_path, small_path, "--set", "horizon.end=2027Q4")
    assert "chips at the last quarter, 2026Q4 → 2027Q4)" in md
    assert "- Chips: no system's installed or available chips changed" in md   # 1600 both


def test_chip_changes_unit():
    old = pd.DataFrame({"system": ["a", "b", "gone"], "installed_chips": [10.0, 5.0, 3.0],
                        "available_chips": [8.0, 5.0, 3.0]})
    new = pd.DataFrame({"system": ["new", "b", "a"], "installed_chips": [4.0, 5.0, 10.0],
                        "available_chips": [4.0, 5.0, 6.0]})
    out = chip_changes(old, new)
    assert list(out["system"]) == ["a", "gone", "new"]      # b did not change
    assert list(out["available_chips_change"]) == [-2.0, -3.0, 4.0]
    assert list(out["installed_chips_change"]) == [0.0, -3.0, 4.0]
    assert list(out["installed_chips_old"]) == [10.0, 3.0, 0.0]


# big-moe demand outgrows the rack fleet by 2026Q4 (the layout search serves ~10x more
# than TP-only attention did, so the shortage needs 200e9 tokens a day)
SHORT = ("extends: small.yaml\nname: {name}\ndemand:\n  big-moe:\n"
         "    output_tokens_per_day: {{2026Q1: 1.0e9, 2026Q4: 200.0e9}}\n")
BUY = ("procurement:\n  systems:\n    rack:\n"
       "      max_chips_per_quarter: {2026Q1: 400}\n      lead_quarters: 1\n")


def test_purchases_show_when_one_side_may_buy(small_path, tmp_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    (tmp_path / "short.yaml").write_text(SHORT.format(name="short"))
    (tmp_path / "buy.yaml").write_text(SHORT.format(name="buy") + BUY)
    data = json.loads(diff(tmp_path / "short.yaml", tmp_path / "buy.yaml", "--format", "json"))
    h = data["headline"]
    bought = h["purchases"]["chips_bought"]
    assert bought["old"] == 0.0 and bought["new"] > 0
    # the bought chips are all in service at the last quarter (life 8 quarters)
    [rack] = h["chips_at_last_quarter"]
    assert rack["installed_chips_change"] == pytest.approx(bought["new"])
    assert h["purchases"]["by_system"] == [{"system": "rack", "bought_chips_old": 0.0,
                                            "bought_chips_new": bought["new"],
                                            "bought_chips_change": bought["new"]}]
    assert h["purchases"]["purchase_capex_usd"]["new"] == 0.0   # rack is rented: no capex
    assert h["unmet_output_tokens"]["new"] < h["unmet_output_tokens"]["old"]
    md = diff(tmp_path / "short.yaml", tmp_path / "buy.yaml")
    assert "- Chips bought: 0 → " in md and "  - `rack` bought: 0 → " in md
    assert "Chips bought" not in diff(small_path, small_path)   # neither side may buy
