"""Properties on random small instances: more capacity never serves less; a higher price for a
model never serves it less; hard and soft minimum service agree."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver import AllocationProblem, SolveOptions, SolverError, solve_allocation
from solver.synthetic import random_problem

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)


def small_problems(**kwargs):
    return st.builds(lambda m, s, q, r, seed, frac: random_problem(
        m, s, q, r, seed=seed, feasible_fraction=frac, **kwargs),
        st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.integers(1, 2),
        st.integers(0, 10_000), st.floats(0.4, 1.0))


def tol(x):
    return 1e-6 * (1.0 + np.abs(x))


def scaled_capacity(p: AllocationProblem, factor: np.ndarray) -> AllocationProblem:
    c = p.capacity.copy()
    c["chips"] = c["chips"] * factor
    return AllocationProblem(p.options, c, p.demand, p.power_cap)


@SETTINGS
@given(small_problems(), st.integers(0, 10_000))
def test_more_capacity_never_lowers_the_objective(p, seed):
    factor = 1.0 + np.random.default_rng(seed).uniform(0, 1, len(p.capacity))
    base = solve_allocation(p).solver_objective_usd_per_hour
    more = solve_allocation(scaled_capacity(p, factor)).solver_objective_usd_per_hour
    assert more >= base - tol(base)


@SETTINGS
@given(small_problems(power_caps=False, min_service_models=0), st.integers(0, 10_000))
def test_more_capacity_never_serves_fewer_tokens(p, seed):
    """With every token worth the same and chips free, the plan maximises tokens served."""
    opts, d = p.options.copy(), p.demand.copy()
    opts["usd_per_chip_hour"] = 0.0
    d["value_usd_per_m_output"], d["unmet_penalty_usd_per_m_output"] = 1.0, 0.0
    p = AllocationProblem(opts, p.capacity, d)
    factor = 1.0 + np.random.default_rng(seed).uniform(0, 1, len(p.capacity))
    o = SolveOptions(tie_break_usd_per_chip_hour=0.0)
    base = solve_allocation(p, o).service["served_m_output_per_hour"].sum()
    more = solve_allocation(scaled_capacity(p, factor), o).service["served_m_output_per_hour"].sum()
    assert more >= base - tol(base)


@SETTINGS
@given(small_problems(), st.integers(0, 10_000), st.floats(1.01, 10.0))
def test_higher_price_never_serves_a_model_less(p, pick, factor):
    d = p.demand.copy()
    model = sorted(d["model"].unique())[pick % d["model"].nunique()]
    rows = d["model"] == model
    d.loc[rows, "value_usd_per_m_output"] *= factor
    o = SolveOptions(min_service_penalty_usd_per_m_output=1e6)   # same in both runs
    base = solve_allocation(p, o).service
    dear = solve_allocation(AllocationProblem(p.options, p.capacity, d, p.power_cap), o).service
    b = base.loc[base["model"] == model, "served_m_output_per_hour"].to_numpy()
    h = dear.loc[dear["model"] == model, "served_m_output_per_hour"].to_numpy()
    # the value rises by the same factor in every quarter, so LP optimality gives
    # (w' - w) . (served' - served) >= 0 for the model's total served
    assert h.sum() >= b.sum() - tol(b.sum())


@SETTINGS
@given(small_problems(shortage=0.8, min_service_models=3))
def test_hard_min_service_raises_exactly_when_soft_reports_violations(p):
    soft = solve_allocation(p)
    s = soft.service
    short = s["served_fraction"] < s["min_served_fraction"] - 1e-6
    assert len(soft.min_service_violations) == short.sum()
    if short.any():
        assert soft.warnings and "minimum service level not met" in soft.warnings[0]
        with pytest.raises(SolverError, match="minimum service level cannot be met") as e:
            solve_allocation(p, SolveOptions(min_service="hard"))
        for row in soft.min_service_violations.itertuples():
            assert f"model {row.model} in {row.quarter}" in str(e.value)
    else:
        hard = solve_allocation(p, SolveOptions(min_service="hard"))
        assert hard.objective_usd_per_hour == soft.objective_usd_per_hour
