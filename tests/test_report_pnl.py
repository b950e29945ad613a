"""The report's Fleet P&L: the table is summary.json's fleet_pnl in $B, the finding, idle share."""
import json
import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import InputError
from planner.plots import idle_share
from planner.report import build_report
from planner.report.pnl_section import pnl_finding
from planner.report.rundata import read_run
from planner.run.pnl import HOURS_PER_QUARTER

RUN = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """The small scenario (800 rack chips at $2/chip-hour, 400 of them reserved in 2026Q1-Q2)."""
    out = tmp_path_factory.mktemp("pnl") / "run"
    here = __file__.rsplit("/", 1)[0]
    result = RUN.invoke(main, ["run", f"{here}/fixtures/small.yaml", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def _section(html: str) -> str:
    return html.split('<section id="pnl">', 1)[1].split("</section>", 1)[0]


def _summary(run_dir) -> dict:
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


def test_pnl_table_is_summary_json_in_billions(run_dir):
    html, figures = build_report(str(run_dir))
    section = _section(html)
    head = re.findall(r'<th scope="col">([^<]*)</th>', section)
    assert head == ["quarter", "revenue ($B)", "serving cost ($B)", "idle cost ($B)",
                    "reserved cost ($B)", "fleet cost ($B)", "operating profit ($B)",
                    "operating margin"]
    rows = re.findall(r"<tr><td>(\d{4}Q\d)</td>(.*?)</tr>", section)
    records = _summary(run_dir)["fleet_pnl"]
    assert [q for q, _ in rows] == [r["quarter"] for r in records] == \
        ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    columns = ["revenue_usd", "serving_cost_usd", "idle_cost_usd", "reserved_cost_usd",
               "fleet_cost_usd", "operating_profit_usd"]
    for (_, cells), record in zip(rows, records):
        shown = [float(v) for v in re.findall(r'data-v="([^"]*)"', cells)]
        assert shown == [record[c] / 1e9 for c in columns] + [record["operating_margin"]]
    # by hand: 2026Q1 has 800 chips installed at $2/chip-hour, 400 of them reserved
    first = records[0]
    assert first["fleet_cost_usd"] == pytest.approx(800 * 2.0 * HOURS_PER_QUARTER)
    assert first["reserved_cost_usd"] == pytest.approx(400 * 2.0 * HOURS_PER_QUARTER)
    assert '<td class="num" data-v="0.0035064">0.00351</td>' in section   # $B, 3 digits
    assert [f.name for f in figures if f.section == "pnl"] == ["pnl", "idle-capacity"]
    assert section.count("data:image/png") == 2


def test_key_finding_matches_the_totals(run_dir):
    html, _ = build_report(str(run_dir))
    records = _summary(run_dir)["fleet_pnl"]
    revenue = sum(r["revenue_usd"] for r in records)
    profit = sum(r["operating_profit_usd"] for r in records)
    line = re.search(r"<h3>Fleet P&amp;L</h3><p>([^<]*)", html).group(1)
    assert profit > 0 and f"operating profit ${profit / 1e9:.3g}B (margin {profit / revenue:.0%})" in line
    # 2026Q3: 800 more chips arrive, none reserved, almost all idle
    assert "Largest idle cost: 2026Q3," in line


def test_finding_by_hand():
    pnl = pd.DataFrame({"quarter": ["2026Q1", "2026Q2"], "revenue_usd": [3e9, 1e9],
                        "fleet_cost_usd": [1e9, 2e9], "idle_cost_usd": [0.2e9, 0.5e9],
                        "operating_profit_usd": [2e9, -1e9]})
    assert pnl_finding(pnl) == (
        "Over 2026Q1–2026Q2 the fleet earns $4B of revenue against $3B of fleet cost: "
        "operating profit $1B (margin 25%). Largest idle cost: 2026Q2, $0.5B (25% of its "
        "fleet cost).")
    none = pnl.assign(revenue_usd=0.0, idle_cost_usd=0.0, operating_profit_usd=[-1e9, -2e9])
    assert pnl_finding(none) == (
        "Over 2026Q1–2026Q2 the fleet earns $0B of revenue against $3B of fleet cost: "
        "operating profit -$3B (no revenue, so no margin). No quarter has idle chips.")
    assert pnl_finding(None) == "No fleet P&L: this run's summary.json has no fleet_pnl."


def test_idle_share_by_hand():
    u = pd.DataFrame({"system": ["a", "a", "b", "b", "c", "c"],
                      "quarter": ["2026Q2", "2026Q1"] * 3,
                      "capacity_chips": [100.0, 0.0, 40.0, 40.0, 0.0, 0.0],
                      "used_chips": [25.0, 0.0, 40.0, 10.0, 0.0, 0.0]})
    share = idle_share(u)
    assert list(share.index) == ["a", "b"] and list(share.columns) == ["2026Q1", "2026Q2"]
    assert math.isnan(share.loc["a", "2026Q1"])   # no capacity: blank, not 100 % idle
    np.testing.assert_array_equal(share.to_numpy()[[0, 1, 1], [1, 0, 1]], [0.75, 0.75, 0.0])


def _rewrite(run_dir, tmp_path, change) -> str:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    data = _summary(copy)
    change(data)
    (copy / "summary.json").write_text(json.dumps(data), encoding="utf-8")
    return str(copy)


def test_older_summary_without_fleet_pnl_says_so(run_dir, tmp_path):
    directory = _rewrite(run_dir, tmp_path, lambda d: d.pop("fleet_pnl"))
    assert read_run(directory).fleet_pnl is None
    html, figures = build_report(directory)
    section = _section(html)
    assert "has no fleet_pnl" in section and "<table" not in section
    assert [f.name for f in figures if f.section == "pnl"] == ["idle-capacity"]
    assert "No fleet P&amp;L: this run&#x27;s summary.json has no fleet_pnl." in html


def _drop_idle(data):
    del data["fleet_pnl"][1]["idle_cost_usd"]


def _duplicate(data):
    data["fleet_pnl"][1]["quarter"] = "2026Q1"


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(fleet_pnl=3), "summary.json: fleet_pnl: missing or not a list of records"),
    (lambda d: d.update(fleet_pnl=None), "summary.json: fleet_pnl: missing or not a list of records"),
    (_drop_idle, "summary.json: fleet_pnl: record 2 lacks idle_cost_usd"),
    (lambda d: [r.pop("operating_margin") for r in d["fleet_pnl"]],
     "summary.json: fleet_pnl: missing columns: operating_margin"),
    (_duplicate, "summary.json: fleet_pnl: two records for quarter=2026Q1 (record 2)"),
])
def test_malformed_fleet_pnl_is_an_input_error(run_dir, tmp_path, change, message):
    directory = _rewrite(run_dir, tmp_path, change)
    with pytest.raises(InputError) as caught:
        read_run(directory)
    assert message in str(caught.value)
    result = RUN.invoke(main, ["report", directory, "-q"])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
