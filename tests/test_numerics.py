"""The LP's numerical range: scaled units keep real scenarios far below a 1e8 coefficient span;
a scenario beyond it gets a warning on stderr and in the run's provenance."""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.run.numerics import MAX_SPAN, coefficient_spans, span_warnings
from planner.run.plan import make_plan
from planner.scenario.loaded import load_scenario

BIG_PENALTY = "demand.big-moe.unmet_penalty_usd_per_m_output=1e12"


def frames(tput=(1.0, 2.0), usd=(2.0, 3.0), chips=(100.0,), demand=(10.0,), value=(5.0,)):
    options = pd.DataFrame({"model": ["m"] * len(tput), "system": [f"s{i}" for i in range(len(tput))],
                            "quarter": "2026Q1", "m_output_per_chip_hour": list(tput),
                            "usd_per_chip_hour": list(usd)})
    capacity = pd.DataFrame({"system": [f"s{i}" for i in range(len(chips))], "quarter": "2026Q1",
                             "chips": list(chips)})
    dem = pd.DataFrame({"model": ["m"] * len(demand), "quarter": "2026Q1",
                        "m_output_per_hour": list(demand), "value_usd_per_m_output": list(value),
                        "unmet_penalty_usd_per_m_output": 0.0})
    return options, capacity, dem


def test_spans_per_family_name_their_extremes():
    spans = {s.family: s for s in coefficient_spans(*frames(tput=(1e-3, 50.0), chips=(0.0, 1e4)))}
    assert spans["constraint matrix"].ratio == pytest.approx(5e4)
    assert spans["constraint matrix"].smallest.what == "M output tokens per chip-hour of m s0 2026Q1"
    assert spans["right-hand side"].largest.value == 1e4          # zero capacity is ignored
    assert spans["objective"].ratio == pytest.approx(5.0 / 2.0)
    assert span_warnings(*frames()) == []


def test_warning_beyond_1e8():
    warnings = span_warnings(*frames(tput=(1e-7, 20.0)))
    assert len(warnings) == 1 and MAX_SPAN == 1e8
    assert warnings[0].startswith("LP constraint matrix coefficients span 2.0e+08 (more than 1e8): "
                                  "from 1e-07 (M output tokens per chip-hour of m s0 2026Q1) to 20")


@pytest.mark.parametrize("path", ["small", None])
def test_shipped_scenarios_are_well_scaled(path, small_path):
    plan = make_plan(load_scenario(small_path if path else None))
    assert plan.solver_info["warnings"] == []


def test_badly_scaled_scenario_warns_on_stderr_and_in_provenance(small_path, tmp_path):
    result = CliRunner().invoke(main, ["run", small_path, "--set", BIG_PENALTY,
                                       "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    line = ("warning: LP objective coefficients span 1.7e+12 (more than 1e8): from 0.6 (value + "
            "penalty $ per M output tokens of small-dense 2026Q1) to 1e+12 (value + penalty $ per "
            "M output tokens of big-moe 2026Q1); HiGHS may return inaccurate results, check the "
            "units of these inputs")
    assert line in result.stderr.splitlines()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["provenance"]["solver"]["warnings"] == [line.removeprefix("warning: ")]
