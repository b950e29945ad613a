"""Input checks of AllocationProblem and SolveOptions: programmer errors raise ValueError."""

import numpy as np
import pandas as pd
import pytest

from solver import AllocationProblem, SolveOptions
from solver.synthetic import problem_from_records


def frames():
    p = problem_from_records(
        options=[{"model": "a", "system": "h100", "quarter": "2026Q1",
                  "m_output_per_chip_hour": 2.0, "usd_per_chip_hour": 1.0, "replica_chips": 8}],
        capacity=[{"system": "h100", "quarter": "2026Q1", "chips": 10}],
        demand=[{"model": "a", "quarter": "2026Q1", "m_output_per_hour": 5.0,
                 "value_usd_per_m_output": 3.0, "min_served_fraction": 0.5}],
        power_cap=[{"site": "site0", "quarter": "2026Q1", "mw": 1.0}])
    return {"options": p.options.copy(), "capacity": p.capacity.copy(),
            "demand": p.demand.copy(), "power_cap": p.power_cap.copy()}


def test_valid_frames_construct():
    AllocationProblem(**frames())


def test_power_cap_is_optional():
    f = frames()
    f.pop("power_cap")
    assert AllocationProblem(**f).power_cap is None


@pytest.mark.parametrize("table, column, value, match", [
    ("capacity", "chips", -1.0, r"capacity\.chips must be >= 0"),
    ("capacity", "chips", np.nan, r"capacity\.chips has NaN"),
    ("options", "m_output_per_chip_hour", 0.0, r"m_output_per_chip_hour must be > 0"),
    ("options", "usd_per_chip_hour", -0.5, r"usd_per_chip_hour must be >= 0"),
    ("options", "replica_chips", 2.5, r"replica_chips must be a whole number"),
    ("options", "kw_per_chip", np.inf, r"kw_per_chip has NaN or infinite"),
    ("demand", "m_output_per_hour", -3.0, r"m_output_per_hour must be >= 0"),
    ("demand", "unmet_penalty_usd_per_m_output", -1.0, r"penalty_usd_per_m_output must be"),
    ("demand", "min_served_fraction", 1.5, r"min_served_fraction must be in \[0, 1\]"),
    ("power_cap", "mw", -2.0, r"power_cap\.mw must be >= 0"),
])
def test_bad_values_raise_value_error(table, column, value, match):
    f = frames()
    f[table].loc[0, column] = value
    with pytest.raises(ValueError, match=match):
        AllocationProblem(**f)


def test_missing_column_is_named():
    f = frames()
    f["options"] = f["options"].drop(columns=["kw_per_chip"])
    with pytest.raises(ValueError, match=r"options is missing column\(s\) \['kw_per_chip'\]"):
        AllocationProblem(**f)


def test_non_numeric_column():
    f = frames()
    f["capacity"]["chips"] = ["ten"]
    with pytest.raises(ValueError, match=r"capacity\.chips must be numeric"):
        AllocationProblem(**f)


def test_duplicate_keys():
    f = frames()
    f["capacity"] = pd.concat([f["capacity"], f["capacity"]], ignore_index=True)
    with pytest.raises(ValueError, match=r"capacity has duplicate"):
        AllocationProblem(**f)


def test_option_without_capacity_row():
    f = frames()
    f["options"].loc[0, "system"] = "b200"
    with pytest.raises(ValueError, match=r"absent from capacity: \('a', 'b200', '2026Q1', 'site0'\)"):
        AllocationProblem(**f)


def test_option_without_demand_row():
    f = frames()
    f["demand"].loc[0, "model"] = "other"
    with pytest.raises(ValueError, match=r"absent from demand"):
        AllocationProblem(**f)


def test_not_a_dataframe():
    f = frames()
    f["demand"] = [{"model": "a"}]
    with pytest.raises(ValueError, match=r"demand must be a pandas DataFrame"):
        AllocationProblem(**f)


@pytest.mark.parametrize("kwargs", [
    {"solver": "gurobi"}, {"integer": "yes"}, {"time_limit_s": 0}, {"gap": 1.0},
    {"gap": -0.1}, {"min_service": "maybe"}, {"tie_break_usd_per_chip_hour": -1e-6},
    {"min_service_penalty_usd_per_m_output": 0.0},
])
def test_bad_solve_options(kwargs):
    with pytest.raises(ValueError, match="SolveOptions"):
        SolveOptions(**kwargs)
