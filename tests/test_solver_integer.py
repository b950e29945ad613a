"""Integer modes: whole replicas by rounding and by MILP, the LP bound and gap, duals, limits."""

import numpy as np
import pytest

from solver import AllocationProblem, SolveOptions, SolverError, cbc_available, solve_allocation
from solver.build import build_model
from solver.indexing import index_problem
from solver.rounding import round_replicas, top_up
from solver.solve import shadow_prices, solve_model
from solver.synthetic import problem_from_records, random_problem

Q = "2026Q1"
EPS = SolveOptions().tie_break_usd_per_chip_hour
SOLVERS = ["highs", pytest.param("cbc", marks=pytest.mark.skipif(
    not cbc_available(), reason="CBC not available"))]


def replicas_problem(chips=20):
    """nvl: `chips` chips at $1. a: 8-chip replicas, 1 M/chip-h, $5/M, demand 12.
    b: 4-chip replicas, 1 M/chip-h, $3/M, demand 100.

    LP: a 12 chips, b 8 -> 60 + 24 - 20 = 64. Integer (8a + 4b <= 20): a=1, b=3 gives
    40 + 36 - 20 = 56; a=2, b=1 gives 60 + 12 - 20 = 52; a=0, b=5 gives 60 - 20 = 40.
    """
    mk = dict(quarter=Q, site="site0", kw_per_chip=1.0, usd_per_chip_hour=1.0,
              m_output_per_chip_hour=1.0, system="nvl")
    return problem_from_records(
        [dict(mk, model="a", replica_chips=8), dict(mk, model="b", replica_chips=4)],
        [{"system": "nvl", "quarter": Q, "chips": chips}],
        [{"model": "a", "quarter": Q, "m_output_per_hour": 12.0, "value_usd_per_m_output": 5.0},
         {"model": "b", "quarter": Q, "m_output_per_hour": 100.0, "value_usd_per_m_output": 3.0}])


def replicas_of(r):
    return dict(zip(r.allocation["model"], r.allocation["replicas"]))


@pytest.mark.parametrize("name", SOLVERS)
@pytest.mark.parametrize("mode", ["round", "exact"])
def test_integer_replicas_by_hand(mode, name):
    r = solve_allocation(replicas_problem(), SolveOptions(solver=name, integer=mode, gap=0.0))
    assert r.status == ("rounded" if mode == "round" else "optimal")
    assert replicas_of(r) == {"a": 1.0, "b": 3.0}
    assert r.allocation["chips"].tolist() == [8.0, 12.0]
    assert r.allocation["m_output_per_hour"].tolist() == pytest.approx([8.0, 12.0])
    assert r.objective_usd_per_hour == pytest.approx(56.0, abs=1e-6)
    assert r.lp_bound_usd_per_hour == pytest.approx(64.0, abs=1e-6)
    assert r.gap == pytest.approx((64 - 56) / 64, abs=1e-6)


def test_partly_loaded_replica_serves_only_demand():
    # one 8-chip replica for 4 M/h of demand: worth 5*4 - 8 = 12 > 0, so it is placed
    p = problem_from_records(
        [{"model": "a", "system": "nvl", "quarter": Q, "m_output_per_chip_hour": 1.0,
          "usd_per_chip_hour": 1.0, "replica_chips": 8}],
        [{"system": "nvl", "quarter": Q, "chips": 20}],
        [{"model": "a", "quarter": Q, "m_output_per_hour": 4.0, "value_usd_per_m_output": 5.0}])
    for mode in ("round", "exact"):
        r = solve_allocation(p, SolveOptions(integer=mode))
        assert replicas_of(r) == {"a": 1.0}
        assert r.allocation["m_output_per_hour"].tolist() == [4.0]   # served, not capacity
        assert r.service["served_fraction"].tolist() == [1.0]
        assert r.objective_usd_per_hour == pytest.approx(12.0)


def test_integer_shadow_price_is_at_the_integer_plan():
    """Claim: shadow prices in integer modes are the duals of the LP in which every option keeps
    at least the plan's replicas and may add fractional chips. Here the plan (a=1, b=3) leaves a
    4 M/h of demand unmet; one more chip would serve it: 5 - 1 = $4/chip-h. The LP relaxation's
    price is b's marginal chip, 3 - 1 = $2/chip-h."""
    p = replicas_problem()
    lp = solve_allocation(p)
    assert lp.utilisation["shadow_price_usd_per_chip_hour"].iloc[0] == pytest.approx(2 - EPS)
    for mode in ("round", "exact"):
        r = solve_allocation(p, SolveOptions(integer=mode))
        assert r.utilisation["shadow_price_usd_per_chip_hour"].iloc[0] == pytest.approx(4 - EPS)


def test_integer_shadow_price_by_finite_difference_of_the_plan_lp():
    """The claim above, checked by adding a chip to the LP with the plan's replicas as bounds."""
    p = replicas_problem()
    r = solve_allocation(p, SolveOptions(integer="round"))
    reps = r.allocation.set_index("model")["replicas"]

    def plan_lp_objective(problem):
        ix = index_problem(problem)
        m = build_model(ix, replicas=True, integer=False, tie_break_usd_per_chip_hour=EPS)
        for v, model in zip(m.x, ix.option_keys["model"]):
            v.lowBound = float(reps[model])
        run = solve_model(m, "highs", mip=False, time_limit_s=10, gap=0)
        return -m.prob.objective.value(), shadow_prices(run.cap_pi)[0]

    base, price = plan_lp_objective(p)
    more, _ = plan_lp_objective(replicas_problem(chips=21))
    assert price == pytest.approx(r.utilisation["shadow_price_usd_per_chip_hour"].iloc[0])
    assert more - base == pytest.approx(price, abs=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_and_exact_are_feasible_and_bounded(seed):
    p = random_problem(6, 4, 3, 2, seed=seed)
    lp = solve_allocation(p)
    rd = solve_allocation(p, SolveOptions(integer="round"))
    ex = solve_allocation(p, SolveOptions(integer="exact", gap=1e-3, time_limit_s=20))
    for r in (rd, ex):
        a = r.allocation.merge(p.options, on=["model", "system", "quarter", "site"])
        np.testing.assert_array_equal(r.allocation["replicas"], np.round(r.allocation["replicas"]))
        np.testing.assert_allclose(a["chips"], a["replicas"] * a["replica_chips"])
        assert (r.utilisation["used_chips"] <= r.utilisation["capacity_chips"] + 1e-6).all()
        assert (r.power["used_mw"] <= r.power["cap_mw"] + 1e-9).all()
        assert r.lp_bound_usd_per_hour == pytest.approx(lp.objective_usd_per_hour, rel=1e-9)
        assert r.solver_objective_usd_per_hour <= lp.solver_objective_usd_per_hour + 1e-6
        assert 0 <= r.gap < 0.05
    # the MILP starts from the rounded plan, so it is never worse
    assert ex.solver_objective_usd_per_hour >= rd.solver_objective_usd_per_hour - 1e-6


def test_round_top_up_respects_rows():
    p = random_problem(6, 4, 3, 2, seed=4)
    ix = index_problem(p)
    reps = top_up(ix, np.zeros(ix.n_options), EPS, 1e4)
    chips = reps * ix.replica_chips
    used = np.bincount(ix.option_cap, weights=chips, minlength=len(ix.capacity_chips))
    assert (used <= ix.capacity_chips + 1e-9).all()
    linked = ix.option_pow >= 0
    mw = np.bincount(ix.option_pow[linked], weights=(chips * ix.kw_per_chip / 1000)[linked],
                     minlength=len(ix.power_mw))
    assert (mw <= ix.power_mw + 1e-9).all()
    assert chips.sum() > 0
    # idempotent: a full plan gets nothing more
    np.testing.assert_array_equal(top_up(ix, reps, EPS, 1e4), reps)


def test_round_replicas_floors_then_tops_up():
    ix = index_problem(replicas_problem())
    reps = round_replicas(ix, np.array([1.5, 2.0]), EPS, 1e4)
    assert reps.tolist() == [1.0, 3.0]


def test_milp_time_limit_raises_or_returns_incumbent():
    p = random_problem(20, 8, 4, 2, seed=1)      # 1280 integers: gap 0 is out of reach
    opts = dict(integer="exact", gap=0.0, time_limit_s=0.3)
    with pytest.raises(SolverError, match="time limit"):
        solve_allocation(p, SolveOptions(**opts))
    r = solve_allocation(p, SolveOptions(**opts, accept_time_limit=True))
    assert r.status == "time_limit" and r.gap > 0


def test_integer_min_service_is_served_first():
    p = replicas_problem()
    d = p.demand.copy()
    d["min_served_fraction"] = [0.0, 0.2]      # b needs 20 M/h: five 4-chip replicas
    r = solve_allocation(AllocationProblem(p.options, p.capacity, d),
                         SolveOptions(integer="round"))
    assert replicas_of(r) == {"b": 5.0}
    assert not r.warnings
