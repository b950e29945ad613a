"""LP polish: exact vertices from the active set, solver-independent bits, safe fallbacks."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from solver import AllocationProblem, SolveOptions, cbc_available, solve_allocation
from solver.build import build_model
from solver.indexing import index_problem
from solver.polish import polish_lp
from solver.solve import solve_model
from solver.synthetic import problem_from_records, random_problem

Q = "2026Q1"
EPS = SolveOptions().tie_break_usd_per_chip_hour
SOLVERS = ["highs", pytest.param("cbc", marks=pytest.mark.skipif(
    not cbc_available(), reason="CBC not available"))]


def opt(model, system, tput, usd=0.0, kw=1.0):
    return {"model": model, "system": system, "quarter": Q, "m_output_per_chip_hour": tput,
            "usd_per_chip_hour": usd, "replica_chips": 1, "kw_per_chip": kw}


def cap(system, chips):
    return {"system": system, "quarter": Q, "chips": chips}


def dem(model, demand, value, penalty=0.0, **extra):
    return {"model": model, "quarter": Q, "m_output_per_hour": demand,
            "value_usd_per_m_output": value, "unmet_penalty_usd_per_m_output": penalty, **extra}


def solved(problem, name="highs"):
    """(ix, model, raw solver run, polish outcome) of the LP."""
    ix = index_problem(problem)
    model = build_model(ix, replicas=False, integer=False, tie_break_usd_per_chip_hour=EPS)
    run = solve_model(model, name, mip=False, time_limit_s=60, gap=1e-4)
    return ix, model, run, polish_lp(ix, model, run)


# ---- hand-solved instances: (problem, exact chips per option in sorted key order,
#      exact shadow prices per capacity row, per power row) -------------------------------

def shortage():
    # gain per chip a 3*2-1 = 5 > b 5*1-1 = 4: a takes 5 chips (its demand), b the other 5
    return (problem_from_records([opt("a", "h100", 2.0, usd=1.0), opt("b", "h100", 1.0, usd=1.0)],
                                 [cap("h100", 10)], [dem("a", 10.0, 3.0), dem("b", 10.0, 5.0)]),
            [5.0, 5.0], [4.0 - EPS], [])


def min_service():
    # a earns 5/chip, b 4/chip, but b must be served 60 %: b 6 chips, a the other 4
    return (problem_from_records([opt("a", "h100", 2.0, usd=1.0), opt("b", "h100", 1.0, usd=1.0)],
                                 [cap("h100", 10)],
                                 [dem("a", 10.0, 3.0), dem("b", 10.0, 5.0,
                                                           min_served_fraction=0.6)]),
            [4.0, 6.0], [5.0 - EPS], [])


def power_capped():
    # 0.02 MW at 3 kW/chip: 20/3 chips of 100; each earns 3*2 = 6 $/h, so 1 MW is worth
    # (6 - EPS) * 1000 / 3 $/h and the capacity row is slack (price 0)
    p = problem_from_records([opt("a", "h100", 3.0, kw=3.0)], [cap("h100", 100)],
                             [dem("a", 30.0, 2.0)], power_cap=[{"site": "site0", "quarter": Q,
                                                                 "mw": 0.02}])
    return p, [0.02 * 1000.0 / 3.0], [0.0], [(6.0 - EPS) * 1000.0 / 3.0]


HAND = {"shortage": shortage, "min_service": min_service, "power_capped": power_capped}


@pytest.mark.parametrize("name", SOLVERS)
@pytest.mark.parametrize("case", sorted(HAND))
def test_polished_solution_is_the_exact_hand_solution(case, name):
    problem, chips, cap_price, pow_price = HAND[case]()
    _, model, run, out = solved(problem, name)
    assert out.applied and out.duals_applied and out.n_skipped == 0
    np.testing.assert_allclose(out.run.x, chips, rtol=0, atol=1e-12)
    np.testing.assert_allclose(-out.run.cap_pi, cap_price, rtol=0, atol=1e-12)
    np.testing.assert_allclose(-out.run.pow_pi, pow_price, rtol=0, atol=1e-12)
    r = solve_allocation(problem, SolveOptions(solver=name))
    np.testing.assert_allclose(r.allocation["chips"], [c for c in chips if c > 0], rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(r.utilisation["shadow_price_usd_per_chip_hour"], cap_price,
                               rtol=0, atol=1e-12)
    assert "polish_s" in r.timings


def test_min_service_objective_is_exact():
    problem, *_ = min_service()
    r = solve_allocation(problem)
    assert r.objective_usd_per_hour == pytest.approx(3 * 8 + 5 * 6 - 10, abs=1e-12)  # 44
    assert r.min_service_violations.empty


# ---- polishing moves nothing by more than the solver's tolerance ------------------------

@pytest.mark.parametrize("name", SOLVERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_polish_changes_values_only_within_solver_tolerance(seed, name):
    problem = random_problem(5, 3, 2, 2, seed=seed)
    ix, _, run, out = solved(problem, name)
    assert out.applied
    scale = np.maximum(1.0, ix.capacity_chips[ix.option_cap])
    assert np.all(np.abs(out.run.x - run.x) <= 1e-6 * scale)
    d_scale = np.maximum(1.0, ix.demand_m_per_hour)
    assert np.all(np.abs(out.run.u - run.u) <= 1e-6 * d_scale)
    assert np.all(out.run.x >= 0) and np.all(out.run.u >= 0)
    assert np.allclose(out.run.cap_pi, run.cap_pi, rtol=1e-6, atol=1e-6)


# ---- HiGHS and CBC agree bit for bit on a unique optimum --------------------------------

def generic_problem(seed):
    """A random instance with every option's numbers perturbed: no ties, a unique optimum."""
    p = random_problem(6, 3, 2, 2, seed=seed)
    rng = np.random.default_rng(1000 + seed)
    o = p.options.copy()
    for column in ("m_output_per_chip_hour", "usd_per_chip_hour", "kw_per_chip"):
        o[column] = o[column] * rng.uniform(0.9, 1.1, len(o))
    return AllocationProblem(options=o, capacity=p.capacity, demand=p.demand,
                             power_cap=p.power_cap)


@pytest.mark.skipif(not cbc_available(), reason="CBC not available")
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_highs_and_cbc_bit_identical_after_polish(seed):
    problem = generic_problem(seed)
    h = solved(problem, "highs")[3]
    c = solved(problem, "cbc")[3]
    assert h.applied and c.applied
    assert np.array_equal(h.run.x, c.run.x)
    assert np.array_equal(h.run.u, c.run.u)
    assert np.array_equal(h.run.cap_pi, c.run.cap_pi)
    assert np.array_equal(h.run.pow_pi, c.run.pow_pi)
    rh = solve_allocation(problem, SolveOptions(solver="highs"))
    rc = solve_allocation(problem, SolveOptions(solver="cbc"))
    pd.testing.assert_frame_equal(rh.allocation, rc.allocation, check_exact=True)
    pd.testing.assert_frame_equal(rh.utilisation, rc.utilisation, check_exact=True)
    pd.testing.assert_frame_equal(rh.service, rc.service, check_exact=True)
    assert rh.objective_usd_per_hour == rc.objective_usd_per_hour


# ---- degenerate cases fall back safely ---------------------------------------------------

def test_degenerate_vertex_more_binding_rows_than_chips_is_polished_by_lstsq():
    # capacity serves demand exactly: the capacity and the demand row both bind on one chip
    # variable (u = 0); the vertex is still unique, the duals are not (kept from the solver)
    p = problem_from_records([opt("a", "h100", 2.0, usd=1.0)], [cap("h100", 5)],
                             [dem("a", 10.0, 3.0)])
    _, _, run, out = solved(p)
    assert out.applied and not out.duals_applied
    assert out.run.x.tolist() == [5.0] and out.run.u.tolist() == [0.0]
    assert np.array_equal(out.run.cap_pi, run.cap_pi)
    r = solve_allocation(p)
    assert r.allocation["chips"].tolist() == [5.0]


def test_tie_interior_point_falls_back_to_the_solver_values():
    # two identical systems with ample capacity: any split of 10 chips is optimal; a point
    # inside that face (5 + 5) has one binding row for two variables and is left alone
    p = problem_from_records([opt("a", "s1", 1.0, usd=1.0), opt("a", "s2", 1.0, usd=1.0)],
                             [cap("s1", 100), cap("s2", 100)], [dem("a", 10.0, 3.0)])
    ix, model, run, _ = solved(p)
    interior = replace(run, x=np.array([5.0, 5.0]), u=np.zeros(1))
    out = polish_lp(ix, model, interior)
    assert not out.applied and out.run is interior and out.note
    assert out.run.x.tolist() == [5.0, 5.0]


def test_infeasible_or_nonfinite_values_are_not_polished():
    problem, *_ = shortage()
    ix, model, run, _ = solved(problem)
    bad = replace(run, x=np.array([7.0, 7.0]))          # 14 chips on 10: capacity violated
    out = polish_lp(ix, model, bad)
    assert not out.applied and out.run.x.tolist() == [7.0, 7.0]
    nan = replace(run, x=np.array([np.nan, 5.0]))
    out = polish_lp(ix, model, nan)
    assert not out.applied and out.run is nan
