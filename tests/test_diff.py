"""`planner diff`: input changes with file:line, outcome changes beyond thresholds, md and json."""
import json

import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.review.inputs import input_changes, key_path
from planner.review.render import cell, value_text
from planner.scenario.yamlload import Located

RUN = CliRunner()


def invoke(*args):
    return RUN.invoke(main, [str(a) for a in args])


def stdout(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def small_text(small_path):
    with open(small_path, encoding="utf-8") as handle:
        return handle.read()


def test_a_scenario_against_itself_is_empty(small_path):
    md = stdout(invoke("diff", small_path, small_path, "-q"))
    assert "No input changes." in md and "No outcome changes beyond the thresholds." in md
    assert "|" not in md
    data = json.loads(stdout(invoke("diff", small_path, small_path, "--format", "json")))
    assert data["empty"] is True and data["input_changes"] == []
    assert all(rows == [] for rows in data["outcome_changes"].values())


def test_one_number_shows_that_change_and_its_consequences(small_path, small_text, write):
    line = small_text.splitlines().index("    usd_per_chip_hour: 2.0") + 1
    proposed = write(small_text.replace("usd_per_chip_hour: 2.0", "usd_per_chip_hour: 3.0"),
                     "proposed.yaml")
    data = json.loads(stdout(invoke("diff", small_path, proposed, "--format", "json")))
    assert data["input_changes"] == [{
        "path": "systems.rack.usd_per_chip_hour", "kind": "changed", "old": 2.0, "new": 3.0,
        "old_at": f"{small_path}:{line}", "new_at": f"{proposed}:{line}"}]
    out = data["outcome_changes"]
    # cost is chip-hours x $/chip-hour: +50 % in every model-quarter; nothing else moves
    assert len(out["cost"]) == 8
    assert all(r["cost_change"] == pytest.approx(0.5) for r in out["cost"])
    assert out["served"] == [] and out["shadow_prices"] == [] and out["when"] == []
    assert data["empty"] is False

    md = stdout(invoke("diff", small_path, proposed))
    assert f"| `systems.rack.usd_per_chip_hour` | 2.0 | 3.0 | {proposed}:{line} (was {small_path}:{line}) |" in md
    assert md.count("+50.0%") == 8
    assert "Served and unmet" not in md and "Shadow" not in md


def test_a_shortage_shifts_when_and_shows_served_and_shadow_prices(small_path):
    rows = json.loads(stdout(invoke("cost", small_path, "--quarter", "2026Q1", "--json")))
    per_chip = {r["model"]: r["m_output_per_chip_hour"] for r in rows}
    volume = 600 * per_chip["big-moe"] * 24e6  # 600 chips: over 2026Q1-Q2's 400, under Q3's 800
    grow = ["--set", f"demand.big-moe.output_tokens_per_day.2026Q1={volume}",
            "--set", f"demand.big-moe.output_tokens_per_day.2026Q4={volume}"]
    data = json.loads(stdout(invoke("diff", small_path, small_path, *grow, "--format", "json")))
    assert [c["path"] for c in data["input_changes"]] == [
        "demand.big-moe.output_tokens_per_day.2026Q1", "demand.big-moe.output_tokens_per_day.2026Q4"]
    assert data["input_changes"][0]["new_at"] == "--set:1"
    when = {r["model"]: r for r in data["outcome_changes"]["when"]}
    assert when["big-moe"]["first_quarter_old"] == "2026Q1"
    assert when["big-moe"]["first_quarter_new"] == "2026Q3"
    assert when["big-moe"]["shift_quarters"] == 2
    served = {(r["model"], r["quarter"]) for r in data["outcome_changes"]["served"]}
    assert ("big-moe", "2026Q1") in served
    shadow = {r["quarter"] for r in data["outcome_changes"]["shadow_prices"]}
    assert {"2026Q1", "2026Q2"} <= shadow
    md = stdout(invoke("diff", small_path, small_path, *grow))
    assert "| `big-moe` | 2026Q1 | 2026Q3 | 2 quarters later |" in md


def test_thresholds_hide_small_moves(small_path):
    data = json.loads(stdout(invoke("diff", small_path, small_path, "--format", "json",
                                    "--set", "systems.rack.usd_per_chip_hour=2.04")))
    assert len(data["input_changes"]) == 1
    assert data["outcome_changes"]["cost"] == []          # +2 % < 5 %
    data = json.loads(stdout(invoke("diff", small_path, small_path, "--format", "json",
                                    "--cost-threshold", "0.01",
                                    "--set", "systems.rack.usd_per_chip_hour=2.04")))
    assert len(data["outcome_changes"]["cost"]) == 8
    assert list(data) == ["base", "proposed", "headline", "thresholds", "input_changes",
                          "outcome_changes", "empty"]


def test_bad_input_is_exit_2_with_both_files(small_path, write):
    bad = write("name: x\nhorizon: {start: 2026Q1, end: 2026Q4}\nbogus: 1\n", "bad.yaml")
    result = invoke("diff", bad, str(small_path) + ".missing")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "bad.yaml:3" in result.output and "file not found" in result.output
    assert invoke("diff", small_path, small_path, "--format", "html").exit_code == 2


def test_input_changes_unit():
    base = Located({"a": {"b": 1, "c": [1, 2], "d.e": "x"}, "gone": True},
                   {("a", "b"): ("base.yaml", 2), ("gone",): ("base.yaml", 5)})
    new = Located({"a": {"b": 1.0, "c": [1, 3], "d.e": "y"}, "new": None},
                  {("a", "c"): ("new.yaml", 3), ("a", "d.e"): ("new.yaml", 4)})
    changes = {c.path: c for c in input_changes(base, new)}
    assert list(changes) == ["a.c.1", 'a."d.e"', "new", "gone"]      # 1 == 1.0 is no change
    assert changes["a.c.1"].new_at == "new.yaml:3"
    assert changes["gone"].kind == "removed" and changes["gone"].old_at == "base.yaml:5"
    assert changes["new"].kind == "added"
    assert key_path(("models", "llama-3.1-70b", "layers")) == 'models."llama-3.1-70b".layers'


def test_markdown_cells_are_safe():
    assert cell("a|b\nc") == "a\\|b c"
    assert value_text(1e11) == "1e+11" and value_text(0.4) == "0.4" and value_text(True) == "true"
    assert value_text(4000000000.0) == "4e+09" and value_text(1 / 3) == repr(1 / 3)
