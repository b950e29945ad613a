"""The LP as numpy arrays (solver/lp_arrays.py, solver/highs_lp.py): hand-checked arrays, the
same model inside HiGHS as the PuLP build, the same vertex and duals, clear failures."""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from solver import SolveOptions, SolverError
from solver.build import build_model, min_service_penalty
from solver.highs_lp import objective_value, solve_lp_arrays
from solver.indexing import index_problem
from solver.lp_arrays import build_arrays
from solver.pulp_fast import FastHiGHS
from solver.solve import _swallow_highs_banner, solve_model
from solver.synthetic import problem_from_records, random_problem

EPS = SolveOptions().tie_break_usd_per_chip_hour
Q = "2026Q1"
INF = np.inf


def _arrays(ix):
    return build_arrays(ix, tie_break_usd_per_chip_hour=EPS,
                        min_service_penalty_usd_per_m=min_service_penalty(ix))


def min_service():
    """a earns 2*3-1 = 5 per chip, b 1*5-1 = 4, but b must be served 60 %: b 6 chips, a 4."""
    opts = [{"model": m, "system": "h100", "quarter": Q, "m_output_per_chip_hour": t,
             "usd_per_chip_hour": 1.0, "replica_chips": 1, "kw_per_chip": 1.0}
            for m, t in (("a", 2.0), ("b", 1.0))]
    dem = [{"model": "a", "quarter": Q, "m_output_per_hour": 10.0, "value_usd_per_m_output": 3.0,
            "unmet_penalty_usd_per_m_output": 0.0},
           {"model": "b", "quarter": Q, "m_output_per_hour": 10.0, "value_usd_per_m_output": 5.0,
            "unmet_penalty_usd_per_m_output": 0.0, "min_served_fraction": 0.6}]
    return problem_from_records(opts, [{"system": "h100", "quarter": Q, "chips": 10.0}], dem)


def test_hand_checked_arrays_and_solution():
    ix = index_problem(min_service())
    lp = _arrays(ix)
    ms = min_service_penalty(ix)
    # columns x_a, x_b, u_a, u_b, z_b; rows cap, dem a, dem b, min b
    assert lp.cost.tolist() == [1.0 + EPS, 1.0 + EPS, 3.0, 5.0, ms]
    assert lp.offset == -80.0
    assert lp.col_lower.tolist() == [0.0] * 5 and lp.col_upper.tolist() == [INF] * 5
    assert lp.starts.tolist() == [0, 2, 4, 6, 8]
    assert lp.index.tolist() == [0, 1, 0, 2, 1, 3, 3, 4]
    assert lp.value.tolist() == [1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, -1.0]
    assert lp.row_lower.tolist() == [-INF, 10.0, 10.0, -INF]
    assert lp.row_upper.tolist() == [10.0, INF, INF, 4.0]
    run = solve_lp_arrays(lp, time_limit_s=10)
    assert run.x == pytest.approx([4.0, 6.0], abs=1e-9)
    assert run.u == pytest.approx([2.0, 4.0], abs=1e-9) and run.z == pytest.approx([0.0])
    assert -run.cap_pi[0] == pytest.approx(5.0 - EPS, abs=1e-9)
    # 4 (1+EPS) + 6 (1+EPS) + 3*2 + 5*4 - 80 = -44 + 10 EPS
    assert objective_value(lp.cost, lp.offset, run.col_values) == pytest.approx(-44.0 + 10 * EPS)


def test_objective_value_sums_left_to_right():
    # exactly it is 2.0; PuLP's order (offset, then each term) loses the first 1.0
    assert objective_value(np.ones(3), 1e16, np.array([1.0, -1e16, 1.0])) == 1.0


def _with_purchases(problem):
    cap = problem.capacity
    quarters = sorted(set(cap["quarter"]))
    rows = [{"system": s, "site": site, "quarter_ordered": a, "quarter": b, "life_quarters": 2,
             "min_chips": 1.0, "max_chips": 50.0, "domain_chips": 8, "usd_per_chip": 3e4,
             "committed_usd_per_chip_hour": 0.5}
            for (s, site), _ in cap.groupby(["system", "site"])
            for a, b in zip(quarters[:-1], quarters[1:])]
    budget = pd.DataFrame({"quarter_ordered": quarters[:1], "usd": [2e6]})
    return dataclasses.replace(problem, purchases=pd.DataFrame(rows), budget=budget)


def _with_steps(problem):
    dem = problem.demand
    steps = pd.DataFrame({
        "model": np.repeat(dem["model"].to_numpy(), 3),
        "quarter": np.repeat(dem["quarter"].to_numpy(), 3), "step": np.tile([0, 1, 2], len(dem)),
        "m_output_per_hour": np.repeat(dem["m_output_per_hour"].to_numpy() / 3, 3),
        "value_usd_per_m_output": (np.repeat(dem["value_usd_per_m_output"].to_numpy(), 3)
                                   * np.tile([2.0, 1.0, 0.5], len(dem)))})
    return dataclasses.replace(problem, demand_steps=steps)


INSTANCES = {
    "power and min service": lambda: random_problem(5, 3, 3, 2, seed=4),
    "migration": lambda: dataclasses.replace(random_problem(4, 3, 3, 1, seed=2, power_caps=False),
                                             migration_usd_per_chip_hour=0.3),
    "purchases and budget": lambda: _with_purchases(random_problem(4, 3, 4, 2, seed=1)),
    "demand steps": lambda: _with_steps(random_problem(4, 3, 2, 2, seed=3)),
}


class _TransferOnly(FastHiGHS):
    """FastHiGHS that moves the PuLP model into HiGHS and stops before solving."""

    def createAndConfigureSolver(self, lp):  # noqa: N802 (PuLP's name)
        super().createAndConfigureSolver(lp)
        lp.solverModel.run = lambda: None


def _pulp_in_highs(ix):
    """The HighsLp that the PuLP build hands to HiGHS (row-wise, as FastHiGHS adds rows)."""
    _swallow_highs_banner()
    model = build_model(ix, replicas=False, integer=False, tie_break_usd_per_chip_hour=EPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.prob.solve(_TransferOnly(model.columns, mip=False, msg=False, timeLimit=10))
    return model, model.prob.solverModel.getLp()


@pytest.mark.parametrize("name", INSTANCES)
def test_array_build_is_the_pulp_build_inside_highs(name):
    ix = index_problem(INSTANCES[name]())
    model, h = _pulp_in_highs(ix)
    lp = _arrays(ix)
    assert (lp.n_columns, lp.n_rows) == (model.n_columns, model.n_rows) == (h.num_col_, h.num_row_)
    for mine, theirs in [(lp.cost, h.col_cost_), (lp.col_lower, h.col_lower_),
                         (lp.col_upper, h.col_upper_), (lp.row_lower, h.row_lower_),
                         (lp.row_upper, h.row_upper_), (lp.value, h.a_matrix_.value_)]:
        assert np.asarray(theirs, dtype=float).tobytes() == mine.tobytes()  # -0.0 included
    assert np.array_equal(lp.starts, h.a_matrix_.start_)
    assert np.array_equal(lp.index, h.a_matrix_.index_)
    cost, offset = model.objective_arrays()
    assert cost.tobytes() == lp.cost.tobytes() and offset == lp.offset


@pytest.mark.parametrize("name", INSTANCES)
def test_array_solve_returns_the_pulp_vertex_and_duals(name):
    ix = index_problem(INSTANCES[name]())
    model = build_model(ix, replicas=False, integer=False, tie_break_usd_per_chip_hour=EPS)
    pulp_run = solve_model(model, "highs", mip=False, time_limit_s=60, gap=1e-4)
    run = solve_lp_arrays(_arrays(ix), time_limit_s=60)
    for field in ("x", "u", "z", "w", "y", "cap_pi", "pow_pi", "buy_pi", "bud_pi", "row_pi",
                  "col_values"):
        assert np.array_equal(getattr(run, field), getattr(pulp_run, field)), field
    lp = _arrays(ix)
    assert objective_value(lp.cost, lp.offset, run.col_values) == model.prob.objective.value()


def test_infeasible_lp_names_highs_status():
    lp = _arrays(index_problem(min_service()))
    lp.col_upper[2:4] = 0.0   # no unmet demand allowed: 10 chips cannot serve 15 chips' worth
    with pytest.raises(SolverError, match="highs: the LP could not be solved: Infeasible"):
        solve_lp_arrays(lp, time_limit_s=10)


def test_time_limit_is_named():
    lp = _arrays(index_problem(random_problem(10, 5, 4, 2, seed=1)))
    with pytest.raises(SolverError, match="reached the time limit of 1e-06 s .*time limit"):
        solve_lp_arrays(lp, time_limit_s=1e-6)


def test_a_refused_model_raises_solver_error():
    lp = _arrays(index_problem(min_service()))
    lp.value[0] = np.inf   # HiGHS refuses infinite matrix entries
    with pytest.raises(SolverError, match="highs failed"):
        solve_lp_arrays(lp, time_limit_s=10)


def test_a_highspy_exception_raises_solver_error(monkeypatch):
    import highspy

    def boom(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(highspy.Highs, "run", boom)
    with pytest.raises(SolverError, match="highs failed: boom"):
        solve_lp_arrays(_arrays(index_problem(min_service())), time_limit_s=10)


def test_index_links_options_to_their_sorted_rows_and_marks_absent_ones():
    """Options of two systems in two quarters; capacity rows sorted by (system, quarter,
    site); the power table has no rows, so every option's power link is -1."""
    opts = [{"model": m, "system": s, "quarter": q, "m_output_per_chip_hour": 1.0,
             "usd_per_chip_hour": 1.0, "replica_chips": 1, "kw_per_chip": 1.0}
            for m, s, q in (("b", "h100", "2026Q2"), ("a", "b200", "2026Q1"),
                            ("a", "h100", "2026Q1"))]
    cap = [{"system": s, "quarter": q, "chips": 4.0}
           for s, q in (("h100", "2026Q2"), ("h100", "2026Q1"), ("b200", "2026Q1"))]
    dem = [{"model": m, "quarter": q, "m_output_per_hour": 1.0, "value_usd_per_m_output": 1.0,
            "unmet_penalty_usd_per_m_output": 0.0}
           for m, q in (("b", "2026Q2"), ("a", "2026Q1"), ("b", "2026Q1"))]
    ix = index_problem(problem_from_records(opts, cap, dem))
    # sorted options: (a, b200, Q1), (a, h100, Q1), (b, h100, Q2)
    assert ix.option_keys[["model", "system"]].values.tolist() == [
        ["a", "b200"], ["a", "h100"], ["b", "h100"]]
    # capacity rows: (b200, Q1), (h100, Q1), (h100, Q2); demand rows: (a, Q1), (b, Q1), (b, Q2)
    assert ix.option_cap.tolist() == [0, 1, 2]
    assert ix.option_dem.tolist() == [0, 0, 2]
    assert ix.option_pow.tolist() == [-1, -1, -1]
