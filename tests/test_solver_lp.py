"""LP mode: hand-solved instances, tie-breaks, duals, reconciliation, solvers and behaviour."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pulp
import pytest

import solver.solve
from solver import (AllocationProblem, SolveOptions, SolverError, cbc_available,
                    solve_allocation)
from solver.build import build_model
from solver.indexing import index_problem
from solver.solve import shadow_prices, solve_model
from solver.synthetic import problem_from_records, random_problem

Q = "2026Q1"
EPS = SolveOptions().tie_break_usd_per_chip_hour
SOLVERS = ["highs", pytest.param("cbc", marks=pytest.mark.skipif(
    not cbc_available(), reason="CBC not available"))]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def opt(model, system, tput, usd=0.0, replica=1, kw=1.0, quarter=Q, site="site0"):
    return {"model": model, "system": system, "quarter": quarter, "site": site,
            "m_output_per_chip_hour": tput, "usd_per_chip_hour": usd, "replica_chips": replica,
            "kw_per_chip": kw}


def cap(system, chips, quarter=Q, site="site0"):
    return {"system": system, "quarter": quarter, "site": site, "chips": chips}


def dem(model, demand, value, penalty=0.0, quarter=Q, **extra):
    return {"model": model, "quarter": quarter, "m_output_per_hour": demand,
            "value_usd_per_m_output": value, "unmet_penalty_usd_per_m_output": penalty, **extra}


def one_system_shortage(b_penalty=0.0, b_demand=10.0):
    """One system (10 chips, $1/chip-h); a: 2 M/chip-h worth $3/M; b: 1 M/chip-h worth $5/M."""
    return problem_from_records(
        [opt("a", "h100", 2.0, usd=1.0), opt("b", "h100", 1.0, usd=1.0)],
        [cap("h100", 10)],
        [dem("a", 10.0, 3.0), dem("b", b_demand, 5.0, penalty=b_penalty)])


def two_systems_one_exclusive():
    """'large' fits only 'big' (10 chips, $2); 'small' runs on big (2 M/chip-h) or small (1)."""
    return problem_from_records(
        [opt("large", "big", 1.0, usd=2.0),
         opt("small", "big", 2.0, usd=2.0), opt("small", "little", 1.0, usd=1.0)],
        [cap("big", 10), cap("little", 10)],
        [dem("large", 8.0, 10.0), dem("small", 30.0, 4.0)])


def chips_of(result):
    return {(r.model, r.system): r.chips for r in result.allocation.itertuples()}


# ---- hand-solved instances --------------------------------------------------------------

@pytest.mark.parametrize("name", SOLVERS)
def test_one_system_two_models_in_shortage(name):
    # gain per chip: a 3*2-1 = 5, b 5*1-1 = 4. a is served in full (5 chips), b gets the rest.
    r = solve_allocation(one_system_shortage(), SolveOptions(solver=name))
    assert r.status == "optimal" and r.solver == name
    assert r.objective_usd_per_hour == pytest.approx(3 * 10 + 5 * 5 - 10, abs=1e-6)  # 45
    assert chips_of(r) == pytest.approx({("a", "h100"): 5.0, ("b", "h100"): 5.0})
    s = r.service.set_index("model")
    assert s["served_m_output_per_hour"].tolist() == pytest.approx([10.0, 5.0])
    assert s["unmet_m_output_per_hour"].tolist() == pytest.approx([0.0, 5.0])
    assert s["served_fraction"].tolist() == pytest.approx([1.0, 0.5])
    u = r.utilisation.iloc[0]
    assert u["used_chips"] == pytest.approx(10) and u["utilisation"] == pytest.approx(1.0)
    assert u["shadow_price_usd_per_chip_hour"] == pytest.approx(4.0 - EPS, abs=1e-9)


def test_unmet_penalty_orders_tiers_in_a_shortage():
    # b's penalty $2/M makes its chips worth 7*1-1 = 6 > a's 5: b first, a gets nothing.
    r = solve_allocation(one_system_shortage(b_penalty=2.0, b_demand=12.0))
    assert chips_of(r) == pytest.approx({("b", "h100"): 10.0})
    assert r.objective_usd_per_hour == pytest.approx(5 * 10 - 10 - 2 * 2, abs=1e-6)   # 36
    assert r.utilisation["shadow_price_usd_per_chip_hour"].iloc[0] == pytest.approx(6 - EPS)


@pytest.mark.parametrize("name", SOLVERS)
def test_two_systems_one_model_fits_only_one(name):
    # big: large earns 10-2 = 8/chip, small 4*2-2 = 6/chip; little: small 4-1 = 3/chip.
    # large takes 8 big chips (its demand), small the other 2 big chips and all 10 little ones.
    r = solve_allocation(two_systems_one_exclusive(), SolveOptions(solver=name))
    assert chips_of(r) == pytest.approx(
        {("large", "big"): 8.0, ("small", "big"): 2.0, ("small", "little"): 10.0})
    assert r.objective_usd_per_hour == pytest.approx(10 * 8 + 4 * 14 - 20 - 10, abs=1e-6)  # 106
    prices = r.utilisation.set_index("system")["shadow_price_usd_per_chip_hour"]
    assert prices["big"] == pytest.approx(6 - EPS) and prices["little"] == pytest.approx(3 - EPS)
    a = r.allocation.set_index(["model", "system"])
    assert a.loc[("small", "big"), "m_output_per_hour"] == pytest.approx(4.0)
    assert a.loc[("small", "big"), "usd_per_hour"] == pytest.approx(4.0)
    assert a["replicas"].isna().all()


# ---- tie-breaks -------------------------------------------------------------------------

def test_ample_capacity_uses_no_more_chips_than_needed_even_at_zero_cost():
    p = problem_from_records([opt("a", "fast", 4.0), opt("a", "slow", 1.0)],
                             [cap("fast", 100), cap("slow", 100)], [dem("a", 10.0, 1.0)])
    r = solve_allocation(p)
    assert chips_of(r) == pytest.approx({("a", "fast"): 2.5})
    assert r.utilisation["shadow_price_usd_per_chip_hour"].tolist() == [0.0, 0.0]


def test_ample_capacity_cheapest_first():
    p = problem_from_records([opt("a", "cheap", 1.0, usd=1.0), opt("a", "dear", 1.0, usd=2.0)],
                             [cap("cheap", 6), cap("dear", 100)], [dem("a", 10.0, 5.0)])
    r = solve_allocation(p)
    assert chips_of(r) == pytest.approx({("a", "cheap"): 6.0, ("a", "dear"): 4.0})
    assert r.objective_usd_per_hour == pytest.approx(50 - 6 - 8, abs=1e-6)


def test_no_chips_for_demand_worth_less_than_its_cost_or_nothing():
    p = problem_from_records([opt("a", "h100", 1.0, usd=2.0), opt("b", "h100", 1.0)],
                             [cap("h100", 100)], [dem("a", 10.0, 1.0), dem("b", 10.0, 0.0)])
    r = solve_allocation(p)
    assert r.allocation.empty
    assert r.service["served_m_output_per_hour"].tolist() == [0.0, 0.0]
    assert r.objective_usd_per_hour == pytest.approx(0.0, abs=1e-9)


# ---- duals ------------------------------------------------------------------------------

def with_capacity(problem, system, delta, site="site0", quarter=Q):
    c = problem.capacity.copy()
    row = (c["system"] == system) & (c["site"] == site) & (c["quarter"] == quarter)
    c.loc[row, "chips"] += delta
    return AllocationProblem(problem.options, c, problem.demand, problem.power_cap)


@pytest.mark.parametrize("system", ["big", "little"])
def test_one_more_chip_raises_objective_by_shadow_price(system):
    p = two_systems_one_exclusive()
    base = solve_allocation(p)
    more = solve_allocation(with_capacity(p, system, 1.0))
    price = base.utilisation.set_index("system").loc[system, "shadow_price_usd_per_chip_hour"]
    assert price > 0
    assert more.solver_objective_usd_per_hour - base.solver_objective_usd_per_hour == \
        pytest.approx(price, abs=1e-7)


def test_power_shadow_price_by_finite_difference():
    # 100 chips but 0.1 MW at 2 kW/chip: 50 chips. A MW buys 500 chips at 3-1 = 2 $/chip-h.
    p = problem_from_records([opt("a", "h100", 1.0, usd=1.0, kw=2.0)], [cap("h100", 100)],
                             [dem("a", 1000.0, 3.0)], [{"site": "site0", "quarter": Q, "mw": 0.1}])
    r = solve_allocation(p)
    pw = r.power.iloc[0]
    assert pw["used_mw"] == pytest.approx(0.1) and pw["cap_mw"] == 0.1
    assert pw["shadow_price_usd_per_mw_hour"] == pytest.approx(500 * (2 - EPS))
    assert r.utilisation["shadow_price_usd_per_chip_hour"].iloc[0] == 0.0
    pc = p.power_cap.copy()
    pc["mw"] += 0.01
    more = solve_allocation(AllocationProblem(p.options, p.capacity, p.demand, pc))
    assert (more.solver_objective_usd_per_hour - r.solver_objective_usd_per_hour) / 0.01 == \
        pytest.approx(pw["shadow_price_usd_per_mw_hour"], rel=1e-7)


def test_shadow_prices_are_subgradients_on_a_random_instance():
    """Degenerate rows may have a kink: the dual lies between the one-chip slopes either side."""
    p = random_problem(5, 3, 2, 2, seed=3, power_caps=False)
    base = solve_allocation(p)
    u = base.utilisation.sort_values("shadow_price_usd_per_chip_hour", ascending=False).head(3)
    assert (u["shadow_price_usd_per_chip_hour"] > 0).all()
    tol = 1e-6 * (1 + abs(base.solver_objective_usd_per_hour))
    for row in u.itertuples():
        up = solve_allocation(with_capacity(p, row.system, 1.0, row.site, row.quarter))
        down = solve_allocation(with_capacity(p, row.system, -1.0, row.site, row.quarter))
        slope_up = up.solver_objective_usd_per_hour - base.solver_objective_usd_per_hour
        slope_down = base.solver_objective_usd_per_hour - down.solver_objective_usd_per_hour
        assert slope_up <= row.shadow_price_usd_per_chip_hour + tol
        assert slope_down >= row.shadow_price_usd_per_chip_hour - tol


def test_shadow_prices_sign_and_clipping():
    assert shadow_prices(np.array([-2.5, 0.0, 1e-12, -1e-12])).tolist() == [2.5, 0.0, 0.0, 0.0]


# ---- reconciliation ---------------------------------------------------------------------

def recompute_objective(problem, allocation):
    """value * served - cost - penalty * unmet, from the allocation table, with numpy only."""
    o = problem.options.merge(allocation[["model", "system", "quarter", "site", "chips"]],
                              on=["model", "system", "quarter", "site"], how="left")
    chips = o["chips"].fillna(0.0).to_numpy()
    out = o["m_output_per_chip_hour"].to_numpy() * chips
    o["out"] = out
    by_dem = o.groupby(["model", "quarter"])["out"].sum()
    d = problem.demand.set_index(["model", "quarter"])
    capacity_out = by_dem.reindex(d.index, fill_value=0.0).to_numpy()
    demand = d["m_output_per_hour"].to_numpy()
    served = np.minimum(capacity_out, demand)
    return float(np.sum(d["value_usd_per_m_output"].to_numpy() * served)
                 - np.sum(o["usd_per_chip_hour"].to_numpy() * chips)
                 - np.sum(d["unmet_penalty_usd_per_m_output"].to_numpy() * (demand - served)))


@pytest.mark.parametrize("seed", [0, 1])
def test_objective_recomputed_from_allocation_equals_pulp(seed):
    p = random_problem(6, 4, 3, 2, seed=seed, min_service_models=0)
    r = solve_allocation(p)
    assert not r.warnings
    expected = recompute_objective(p, r.allocation)
    # objective_usd_per_hour is PuLP's objective value with the tie-break added back
    assert r.objective_usd_per_hour == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert r.solver_objective_usd_per_hour == pytest.approx(
        expected - EPS * r.allocation["chips"].sum(), rel=1e-9, abs=1e-6)
    # the plan respects capacity and power
    assert (r.utilisation["used_chips"] <= r.utilisation["capacity_chips"] * (1 + 1e-9) + 1e-7).all()
    assert (r.power["used_mw"] <= r.power["cap_mw"] * (1 + 1e-9) + 1e-9).all()


def test_fast_paths_match_plain_pulp():
    ix = index_problem(two_systems_one_exclusive())
    runs = []
    for fast in (True, False):
        m = build_model(ix, replicas=False, integer=False, tie_break_usd_per_chip_hour=EPS,
                        fast=fast)
        run = solve_model(m, "highs", mip=False, time_limit_s=10, gap=0, fast=fast)
        runs.append((run.x, run.cap_pi, -m.prob.objective.value()))
    np.testing.assert_allclose(runs[0][0], runs[1][0], atol=1e-9)
    np.testing.assert_allclose(runs[0][1], runs[1][1], atol=1e-9)
    assert runs[0][2] == pytest.approx(runs[1][2], abs=1e-9)


# ---- behaviour --------------------------------------------------------------------------

def test_same_input_in_any_row_order_gives_identical_output():
    p = random_problem(5, 3, 2, 2, seed=5)
    shuffled = AllocationProblem(*(df.sample(frac=1.0, random_state=1) for df in
                                   (p.options, p.capacity, p.demand, p.power_cap)))
    a, b = solve_allocation(p), solve_allocation(shuffled)
    for field in ("allocation", "service", "utilisation", "power"):
        pd.testing.assert_frame_equal(getattr(a, field), getattr(b, field))
    assert a.objective_usd_per_hour == b.objective_usd_per_hour


def test_no_options_leaves_all_demand_unmet():
    p = problem_from_records([], [cap("h100", 10)], [dem("a", 10.0, 3.0, penalty=1.0)])
    r = solve_allocation(p)
    assert r.allocation.empty
    assert r.service["unmet_m_output_per_hour"].tolist() == [10.0]
    assert r.objective_usd_per_hour == pytest.approx(-10.0)


def test_empty_problem():
    r = solve_allocation(problem_from_records([], [], []))
    assert r.status == "optimal" and r.objective_usd_per_hour == 0.0
    assert r.allocation.empty and r.service.empty and r.utilisation.empty


def test_result_metadata():
    r = solve_allocation(one_system_shortage())
    assert set(r.timings) >= {"build_s", "solve_s", "duals_s"}
    assert r.solver_version.count(".") >= 1
    assert r.lp_bound_usd_per_hour is None and r.gap is None and r.integer == "off"
    assert list(r.allocation.columns) == ["model", "system", "quarter", "site", "chips",
                                          "replicas", "m_output_per_hour", "usd_per_hour"]
    assert list(r.utilisation.columns) == ["system", "quarter", "site", "capacity_chips",
                                           "used_chips", "utilisation",
                                           "shadow_price_usd_per_chip_hour"]
    assert list(r.service.columns)[:6] == ["model", "quarter", "demand_m_output_per_hour",
                                           "served_m_output_per_hour", "unmet_m_output_per_hour",
                                           "served_fraction"]


def test_lp_time_limit_raises_solver_error():
    with pytest.raises(SolverError, match="time limit"):
        solve_allocation(random_problem(10, 5, 4, 2, seed=1), SolveOptions(time_limit_s=1e-6))


def test_solver_failure_raises_solver_error(monkeypatch):
    class Broken(pulp.HiGHS):
        def actualSolve(self, lp):
            raise pulp.PulpSolverError("boom")

    monkeypatch.setattr(solver.solve, "make_solver", lambda *a, **k: Broken(msg=False))
    with pytest.raises(SolverError, match="highs failed: boom"):  # the integer modes' PuLP path
        solve_allocation(one_system_shortage(), SolveOptions(integer="round"))


def test_infeasible_model_raises_solver_error():
    ix = index_problem(one_system_shortage())
    m = build_model(ix, replicas=False, integer=False, tie_break_usd_per_chip_hour=EPS)
    for v in m.u:
        v.upBound = 0.0        # no unmet allowed, but serving both needs 15 of the 10 chips
    with pytest.raises(SolverError, match="could not be solved"):
        solve_model(m, "highs", mip=False, time_limit_s=10, gap=0)


@pytest.mark.parametrize("name", SOLVERS)
def test_nothing_reaches_stdout(name):
    code = (
        "from solver import SolveOptions, solve_allocation\n"
        "from solver.synthetic import random_problem\n"
        "p = random_problem(4, 3, 2, 2, seed=2)\n"
        f"for mode in ('off', 'round', 'exact'):\n"
        f"    solve_allocation(p, SolveOptions(solver={name!r}, integer=mode, gap=0.05))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
