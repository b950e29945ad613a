"""Summary-first terminal output, table fitting and warnings for implausible inputs/results."""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.output.tables import format_fitted
from planner.run.headline import headline, headline_lines
from planner.run.pnl import HOURS_PER_QUARTER


def _frames():
    # Two quarters, one system of 10 chips at $2/h: 2026Q1 all used, shadow $3; 2026Q2 4 used.
    economics = pd.DataFrame({
        "model": ["m", "m", "n", "n"], "quarter": ["2026Q1", "2026Q2"] * 2,
        "demand_output_tokens_per_day": [96e6, 96e6, 48e6, 48e6],
        "unmet_output_tokens_per_day": [48e6, 0.0, 24e6, 0.0],
        "capacity_gap_chips": [2.0, 0.0, 1.5, 0.0]})
    pnl = pd.DataFrame({"quarter": ["2026Q1", "2026Q2"], "revenue_usd": [100.0, 50.0],
                        "fleet_cost_usd": [40.0, 40.0], "operating_profit_usd": [60.0, 10.0],
                        "idle_cost_usd": [0.0, 24.0], "lost_revenue_usd": [7.0, 0.0],
                        "moved_chips": [0.0, 6.0]})
    utilisation = pd.DataFrame({"system": ["a", "a"], "quarter": ["2026Q1", "2026Q2"],
                                "capacity_chips": [10.0, 10.0], "used_chips": [10.0, 4.0],
                                "shadow_price_usd_per_chip_hour": [3.0, 0.0]})
    fleet = pd.DataFrame({"system": ["a", "a"], "quarter": ["2026Q1", "2026Q2"],
                          "usd_per_chip_hour": [2.0, 2.0]})
    return economics, pnl, utilisation, fleet


def test_headline_by_hand():
    facts = headline(*_frames())
    days = HOURS_PER_QUARTER / 24
    assert facts["unmet_output_tokens"] == pytest.approx(72e6 * days)
    assert facts["unmet_output_tokens_by_model"] == pytest.approx({"m": 48e6 * days, "n": 24e6 * days})
    assert facts["unmet_peak"] == {"quarter": "2026Q1", "output_tokens_per_day": 72e6}
    assert facts["lost_revenue_usd"] == 7.0
    b = facts["bottleneck"]
    assert (b["system"], b["quarters_scarce"], b["peak_quarter"]) == ("a", 1, "2026Q1")
    assert b["peak_shadow_price_usd_per_chip_hour"] == 3.0 and b["usd_per_chip_hour"] == 2.0
    assert b["rent_usd"] == pytest.approx(3.0 * 10 * HOURS_PER_QUARTER)
    assert facts["idle"] == {"idle_cost_usd": 24.0, "peak_quarter": "2026Q2",
                             "peak_idle_chips": 6.0, "peak_idle_share": 0.6,
                             "peak_idle_cost_usd": 24.0}
    assert facts["capacity_gap"] == {"quarter": "2026Q1", "chips": 4.0}  # 3.5, rounded up
    assert facts["unmet_without_fit"] == [] and facts["has_demand"]
    assert facts["moved_chips"] == 6.0
    assert [(y["year"], y["operating_profit_usd"]) for y in facts["by_year"]] == [("2026", 70.0)]
    assert facts["by_year"][0]["operating_margin"] == pytest.approx(70 / 150)
    assert len(headline_lines(facts, 120)) <= 15
    assert all(len(line) <= 60 for line in headline_lines(facts, 60))
    assert "most in 2026Q1 (72.0M/day)" in " ".join(headline_lines(facts))


def test_fitted_table_cuts_text_then_splits_columns():
    frame = pd.DataFrame({"quarter": ["2026Q1"], "a": [1.0], "b": [2.0],
                          "systems": ["x" * 50]})
    cut = format_fitted(frame, "T", ["quarter"], 40)
    assert all(len(line) <= 40 for line in cut.splitlines()) and "..." in cut
    wide = pd.DataFrame({"quarter": ["2026Q1"], **{f"column_{i}": [float(i)] for i in range(8)}})
    split = format_fitted(wide, "T", ["quarter"], 50)
    assert "T (1 of " in split and all(len(line) <= 50 for line in split.splitlines())
    assert split.count("quarter") == split.count(" of ")  # the key column repeats per part


def test_run_starts_with_a_short_summary_and_fits_the_width(small_path):
    result = CliRunner().invoke(main, ["run", small_path], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    summary = lines[lines.index("Summary"):]
    summary = summary[:summary.index("")]
    assert 4 <= len(summary) <= 15
    assert any("operating profit by year" in line for line in summary)
    assert all(len(line) <= 80 for line in lines)


def test_run_filters_and_wide(small_path):
    result = CliRunner().invoke(main, ["run", small_path, "--model", "big-moe",
                                       "--quarter", "2026Q2", "--wide"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("2026Q")]
    assert rows and all(line.startswith("2026Q2") for line in rows)
    assert not any("small-dense" in line for line in rows)
    bad = CliRunner().invoke(main, ["run", small_path, "--quarter", "2031Q1"])
    assert bad.exit_code == 2 and "outside the horizon" in bad.output


@pytest.mark.parametrize("key, value, expected", [
    ("systems.rack.chip.hbm_gb", "0.1", "GB of HBM per chip is far outside"),
    ("systems.rack.chip.power_kw", "1400", "kW per chip is far outside"),
    ("demand.big-moe.price_usd_per_m.output", "0", None),  # input price still earns
])
def test_implausible_chip_figures_warn_in_validate_and_run(small_path, tmp_path, key, value, expected):
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", small_path, "--set", f"{key}={value}"])
    assert checked.exit_code == 0, checked.output
    out = tmp_path / "out"
    ran = runner.invoke(main, ["run", small_path, "--set", f"{key}={value}", "--out", str(out), "-q"])
    assert ran.exit_code == 0, ran.output
    warnings = json.loads((out / "summary.json").read_text())["warnings"]
    if expected is None:
        assert not any("far outside" in w or "priced $0" in w for w in warnings)
        return
    assert expected in checked.stderr and f"--set:1: {key}: " in checked.stderr
    assert any(expected in w for w in warnings) and expected in ran.stderr


def test_zero_price_model_warns(small_path):
    result = CliRunner().invoke(main, ["validate", small_path, "--set",
                                       "demand.big-moe.price_usd_per_m={input: 0, output: 0}"])
    assert result.exit_code == 0
    assert "demand.big-moe.price_usd_per_m: priced $0 from 2026Q1" in result.stderr
    fine = CliRunner().invoke(main, ["validate", small_path, "--set",
                                     "demand.big-moe.price_usd_per_m={input: 0, output: 0}",
                                     "--set", "demand.big-moe.imputed_value_usd_per_m="
                                     "{input: 1, output: 5}"])
    assert fine.exit_code == 0 and "priced $0" not in fine.stderr


def test_model_that_fits_nowhere_and_idle_fleet_warn(small_path):
    runner = CliRunner()
    huge = ["--set", "models.big-moe.total_params_b=20000", "--set", "models.big-moe.active_params_b=700"]
    checked = runner.invoke(main, ["validate", small_path, *huge])
    assert "model big-moe fits on no system of the scenario" in checked.stderr
    ran = runner.invoke(main, ["run", small_path, *huge, "--json"])
    assert ran.exit_code == 0
    warnings = json.loads(ran.stdout)["warnings"]
    assert any("model big-moe fits on no system available in any quarter" in w for w in warnings)
    # the small model alone leaves most of the fleet idle; a shortage leaves nothing idle
    assert any(w.startswith("idle capacity: 100% of available chips") for w in warnings)
    busy = runner.invoke(main, ["run", small_path, "--json", "--set",
                                "demand.big-moe.output_tokens_per_day={2026Q1: 1.0e12, 2026Q4: 1.0e12}"])
    assert not any(w.startswith("idle capacity:") for w in json.loads(busy.stdout)["warnings"])


def test_fitted_table_with_a_header_wider_than_its_text_ends():
    # the text column's header, not its cells, is what is wide: cutting cannot help
    frame = pd.DataFrame({"quarter": ["2026Q1"], "a_rather_long_text_column_name": ["ok"],
                          **{f"number_{i}": [float(i)] for i in range(6)}})
    out = format_fitted(frame, "T", ["quarter"], 60)
    assert all(len(line) <= 60 for line in out.splitlines())


def test_inferred_architecture_is_said_in_validate_cost_and_run(small_path):
    unset = ["--set", "models.big-moe.layers=null", "--set", "models.big-moe.hidden_size=null"]
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", small_path, *unset])
    assert checked.exit_code == 0
    assert "models.big-moe: architecture inferred: layers, hidden_size from 20B" in checked.stderr
    cost = runner.invoke(main, ["cost", small_path, *unset, "--quarter", "2026Q1", "--json"])
    flags = {(r["model"], r["architecture_inferred"]) for r in json.loads(cost.stdout)}
    assert flags == {("big-moe", True), ("small-dense", False)}
    assert "architecture inferred" in cost.stderr
    ran = runner.invoke(main, ["run", small_path, *unset, "--json"])
    assert any("architecture inferred" in w for w in json.loads(ran.stdout)["warnings"])


def test_capacity_gap_names_a_model_that_fits_nowhere(small_path):
    result = CliRunner().invoke(main, [
        "run", small_path, "--set", "models.big-moe.slo.min_output_tokens_per_s=100000",
        "--set", "fleet.rack.deliveries={2026Q1: 8}",
        "--set", "demand.small-dense.output_tokens_per_day={2026Q1: 1.0e11}"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "not big-moe, which fits no available system" in text
