"""Each constraint family: the rows it writes, and its effect on a solved plan."""

import numpy as np
import pulp
import pytest

from solver import SolveOptions, solve_allocation
from solver import constraints as C
from solver.build import build_model
from solver.indexing import index_problem
from solver.pulp_fast import make_variables
from solver.synthetic import problem_from_records

Q = "2026Q1"


def two_site_problem(power=True, min_frac=0.0, b_value=2.0):
    """Models a, b; systems h100 (both sites) and tpu (site1 only, model b only)."""
    opts = [
        {"model": "a", "system": "h100", "quarter": Q, "site": "site0",
         "m_output_per_chip_hour": 2.0, "usd_per_chip_hour": 1.0, "replica_chips": 8,
         "kw_per_chip": 1.5},
        {"model": "a", "system": "h100", "quarter": Q, "site": "site1",
         "m_output_per_chip_hour": 2.0, "usd_per_chip_hour": 1.0, "replica_chips": 8,
         "kw_per_chip": 1.5},
        {"model": "b", "system": "h100", "quarter": Q, "site": "site0",
         "m_output_per_chip_hour": 1.0, "usd_per_chip_hour": 1.0, "replica_chips": 8,
         "kw_per_chip": 1.5},
        {"model": "b", "system": "tpu", "quarter": Q, "site": "site1",
         "m_output_per_chip_hour": 3.0, "usd_per_chip_hour": 2.0, "replica_chips": 4,
         "kw_per_chip": 1.0},
    ]
    cap = [{"system": "h100", "quarter": Q, "site": "site0", "chips": 10},
           {"system": "h100", "quarter": Q, "site": "site1", "chips": 20},
           {"system": "tpu", "quarter": Q, "site": "site1", "chips": 5},
           {"system": "tpu", "quarter": Q, "site": "site0", "chips": 7}]   # no option uses it
    dem = [{"model": "a", "quarter": Q, "m_output_per_hour": 30.0, "value_usd_per_m_output": 3.0},
           {"model": "b", "quarter": Q, "m_output_per_hour": 40.0, "value_usd_per_m_output": b_value,
            "min_served_fraction": min_frac}]
    pw = [{"site": "site1", "quarter": Q, "mw": 0.02}] if power else None
    return problem_from_records(opts, cap, dem, pw)


def rows_as_dicts(cons):
    """{row name: ({variable name: coefficient}, sense, rhs)}"""
    return {name: ({v.name: a for v, a in c.expr.items()}, c.sense, -c.constant)
            for name, c in cons.items()}


@pytest.fixture
def setup():
    ix = index_problem(two_site_problem())
    prob = pulp.LpProblem("t", pulp.LpMinimize)
    x = C.option_variables(prob, ix, integer=False)
    u = C.unmet_variables(prob, ix)
    return ix, prob, x, u


def test_option_variables_only_for_feasible_options(setup):
    ix, _, x, _ = setup
    assert len(x) == 4                                 # 2 models x 2 systems x 2 sites = 8 pairs
    assert [v.name for v in x] == ["x0", "x1", "x2", "x3"]
    assert all(v.lowBound == 0 and v.upBound is None and v.cat == pulp.LpContinuous for v in x)
    # sorted option keys: (a,h100,site0), (a,h100,site1), (b,h100,site0), (b,tpu,site1)
    assert list(ix.option_keys.itertuples(index=False, name=None))[3] == ("b", "tpu", Q, "site1")


def test_option_variables_integer_category():
    ix = index_problem(two_site_problem())
    x = C.option_variables(pulp.LpProblem("t"), ix, integer=True)
    assert all(v.cat == pulp.LpInteger for v in x)


def test_capacity_constraints_rows(setup):
    ix, _, x, _ = setup
    rows, cons = C.capacity_constraints(ix, x, np.ones(4))
    # capacity rows sorted: (h100,site0), (h100,site1), (tpu,site0), (tpu,site1); tpu/site0 unused
    assert rows.tolist() == [0, 1, 3]
    assert rows_as_dicts(cons) == {
        "cap000000": ({"x0": 1.0, "x2": 1.0}, pulp.LpConstraintLE, 10.0),
        "cap000001": ({"x1": 1.0}, pulp.LpConstraintLE, 20.0),
        "cap000003": ({"x3": 1.0}, pulp.LpConstraintLE, 5.0),
    }


def test_capacity_constraints_count_replica_chips(setup):
    ix, _, x, _ = setup
    _, cons = C.capacity_constraints(ix, x, ix.replica_chips)
    assert rows_as_dicts(cons)["cap000000"][0] == {"x0": 8.0, "x2": 8.0}


def test_demand_constraints_rows(setup):
    ix, _, x, u = setup
    cons = C.demand_constraints(ix, x, np.ones(4), u)
    assert rows_as_dicts(cons) == {
        "dem000000": ({"x0": 2.0, "x1": 2.0, "u0": 1.0}, pulp.LpConstraintGE, 30.0),
        "dem000001": ({"x2": 1.0, "x3": 3.0, "u1": 1.0}, pulp.LpConstraintGE, 40.0),
    }


def test_power_constraints_rows(setup):
    ix, _, x, _ = setup
    rows, cons = C.power_constraints(ix, x, np.ones(4))
    assert rows.tolist() == [0]
    (coefs, sense, rhs), = rows_as_dicts(cons).values()
    assert coefs == pytest.approx({"x1": 0.0015, "x3": 0.001})   # site0 options: no cap row
    assert sense == pulp.LpConstraintLE and rhs == pytest.approx(0.02)


def test_min_service_constraints_rows():
    ix = index_problem(two_site_problem(min_frac=0.75))
    prob = pulp.LpProblem("t", pulp.LpMinimize)
    u = C.unmet_variables(prob, ix)
    z_rows, z = C.shortfall_variables(prob, ix)
    assert z_rows.tolist() == [1]
    cons = C.min_service_constraints(ix, u, z_rows, z)
    assert rows_as_dicts(cons) == {
        "min000001": ({"u1": 1.0, "z1": -1.0}, pulp.LpConstraintLE, pytest.approx(10.0))}


def test_grouped_expressions_keeps_empty_rows_only_with_extra_vars():
    prob = pulp.LpProblem("t")
    v = np.array(make_variables(prob, ["p", "q", "r"]), dtype=object)
    rows, ex = C.grouped_expressions(np.array([2, 0, 2]), 4, v, np.array([1.0, 2.0, 3.0]))
    assert rows.tolist() == [0, 2]
    assert [{k.name: a for k, a in e.items()} for e in ex] == [{"q": 2.0}, {"p": 1.0, "r": 3.0}]
    extra = np.array(make_variables(prob, ["e0", "e1", "e2", "e3"]), dtype=object)
    rows, ex = C.grouped_expressions(np.array([2, 0, 2]), 4, v, np.array([1.0, 2.0, 3.0]), extra)
    assert rows.tolist() == [0, 1, 2, 3]
    assert {k.name: a for k, a in ex[1].items()} == {"e1": 1.0}


def test_make_variables_fast_equals_plain():
    prob = pulp.LpProblem("t")
    fast = make_variables(prob, ["a1", "a2", "a3"], 0.0, pulp.LpInteger)
    plain = make_variables(prob, ["b1", "b2", "b3"], 0.0, pulp.LpInteger, fast=False)
    for f, p in zip(fast, plain):
        df, dp = dict(f.__dict__), dict(p.__dict__)
        assert df.pop("_LpElement__name")[1:] == dp.pop("_LpElement__name")[1:]
        assert df.pop("hash") == id(f) and dp.pop("hash") == id(p)
        assert df == dp
    assert len({hash(v) for v in fast + plain}) == 6


def test_build_model_counts():
    m = build_model(index_problem(two_site_problem(min_frac=0.5)), replicas=False, integer=False,
                    tie_break_usd_per_chip_hour=1e-6)
    assert m.n_columns == 4 + 2 + 1
    assert m.n_rows == 3 + 2 + 1 + 1          # cap, demand, power, min service


# ---- behaviour of each family in a solved plan -------------------------------------------

def test_capacity_binds_in_solution():
    r = solve_allocation(two_site_problem(power=False))
    util = r.utilisation.set_index(["system", "site"])
    assert util.loc[("h100", "site0"), "used_chips"] == pytest.approx(10.0)
    assert util.loc[("tpu", "site1"), "used_chips"] == pytest.approx(5.0)
    assert (util["used_chips"] <= util["capacity_chips"] + 1e-7).all()
    assert util.loc[("tpu", "site0"), "shadow_price_usd_per_chip_hour"] == 0.0


def test_demand_balance_in_solution():
    r = solve_allocation(two_site_problem(power=False))
    s = r.service.set_index("model")
    np.testing.assert_allclose(s["served_m_output_per_hour"] + s["unmet_m_output_per_hour"],
                               s["demand_m_output_per_hour"])
    served_by_alloc = r.allocation.groupby("model")["m_output_per_hour"].sum()
    np.testing.assert_allclose(served_by_alloc.reindex(s.index, fill_value=0.0),
                               s["served_m_output_per_hour"], rtol=1e-9)


def test_power_cap_binds_in_solution():
    free = solve_allocation(two_site_problem(power=False))
    capped = solve_allocation(two_site_problem(power=True))
    p = capped.power.iloc[0]
    assert p["used_mw"] == pytest.approx(0.02)
    assert p["shadow_price_usd_per_mw_hour"] > 0
    assert capped.objective_usd_per_hour < free.objective_usd_per_hour
    assert free.power is None


def test_feasibility_no_chips_on_unlisted_pairs():
    r = solve_allocation(two_site_problem(power=False))
    pairs = set(zip(r.allocation["model"], r.allocation["system"]))
    assert ("a", "tpu") not in pairs


def test_min_service_in_solution():
    # b is worth less than it costs to serve, yet gets enough chips for half its demand
    base = solve_allocation(two_site_problem(power=False, b_value=0.5))
    r = solve_allocation(two_site_problem(power=False, min_frac=0.5, b_value=0.5))
    sb = r.service.set_index("model").loc["b"]
    assert base.service.set_index("model").loc["b", "served_fraction"] == 0.0
    assert sb["served_fraction"] == pytest.approx(0.5)
    assert len(r.min_service_violations) == 0 and r.warnings == ()


def test_min_service_penalty_option_is_used():
    r = solve_allocation(two_site_problem(min_frac=0.5),
                         SolveOptions(min_service_penalty_usd_per_m_output=1e5))
    assert r.min_service_penalty_usd_per_m_output == 1e5
