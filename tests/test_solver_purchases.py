"""Purchase variables in the allocation LP: hand-solved instances (solver/purchases.py).

One model, one system, two quarters, nothing installed. An option serves 1 M output/h per
chip at $2/chip-hour (full cost); a bought chip costs $1.5/chip-hour committed when idle; the
model is worth $10 per M, so a used chip earns $8/h.
"""
import numpy as np
import pandas as pd
import pytest

from solver import AllocationProblem, SolveOptions, solve_allocation

Q = ["2026Q1", "2026Q2"]


def problem(demand=(100.0, 100.0), value=10.0, buy=None, budget=None, installed=0.0):
    options = pd.DataFrame({"model": "m", "system": "s", "quarter": Q, "site": "main",
                            "m_output_per_chip_hour": 1.0, "usd_per_chip_hour": 2.0,
                            "replica_chips": 8, "kw_per_chip": 1.0})
    capacity = pd.DataFrame({"system": "s", "quarter": Q, "site": "main", "chips": installed})
    dem = pd.DataFrame({"model": "m", "quarter": Q, "m_output_per_hour": list(demand),
                        "value_usd_per_m_output": value, "unmet_penalty_usd_per_m_output": 0.0})
    slots = pd.DataFrame([dict({"system": "s", "site": "main", "quarter_ordered": "2026Q1",
                                "quarter": "2026Q1", "life_quarters": 2, "min_chips": 0.0,
                                "max_chips": 1000.0, "domain_chips": 8, "usd_per_chip": 1000.0,
                                "committed_usd_per_chip_hour": 1.5}, **(buy or {}))])
    return AllocationProblem(options=options, capacity=capacity, demand=dem, purchases=slots,
                             budget=budget)


def solve(p, **kw):
    return solve_allocation(p, SolveOptions(**kw))


def test_buys_exactly_what_demand_needs_when_it_earns_its_cost():
    r = solve(problem())
    assert r.purchases["chips"].tolist() == pytest.approx([100.0])
    assert r.purchases["capex_usd"].tolist() == pytest.approx([100_000.0])
    assert r.allocation["chips"].tolist() == pytest.approx([100.0, 100.0])
    assert r.utilisation["capacity_chips"].tolist() == pytest.approx([100.0, 100.0])
    assert r.objective_usd_per_hour == pytest.approx(8 * 100 * 2)


def test_buys_nothing_when_revenue_does_not_cover_cost():
    r = solve(problem(value=1.9))
    assert r.purchases["chips"].tolist() == [0.0]
    assert r.allocation.empty
    assert r.objective_usd_per_hour == pytest.approx(0.0)


def test_idle_quarters_cost_the_committed_rate():
    # 100 chips serve Q1; in Q2 50 stand idle at $1.5: buying 100 beats 50 by 50 x 8 - 75
    r = solve(problem(demand=(100.0, 50.0)))
    assert r.purchases["chips"].tolist() == pytest.approx([100.0])
    assert r.objective_usd_per_hour == pytest.approx(8 * 100 + 8 * 50 - 1.5 * 50)


def test_a_lead_time_delays_service():
    r = solve(problem(buy={"quarter": "2026Q2", "life_quarters": 1}))
    assert r.purchases["chips"].tolist() == pytest.approx([100.0])
    served = r.service.set_index("quarter")["served_m_output_per_hour"]
    assert served.to_dict() == pytest.approx({"2026Q1": 0.0, "2026Q2": 100.0})


def test_retirement_after_life_quarters():
    r = solve(problem(buy={"life_quarters": 1}))
    assert r.utilisation["capacity_chips"].tolist() == pytest.approx([100.0, 0.0])
    assert r.purchases["quarters_in_service"].tolist() == [1.0]


def test_installed_chips_are_used_before_buying():
    r = solve(problem(installed=60.0))
    assert r.purchases["chips"].tolist() == pytest.approx([40.0])


def test_supply_limit_binds_with_its_shadow_price():
    # 60 chips: an extra one serves Q1 (+8) and stands idle in Q2 (-1.5) when Q2 needs 50
    r = solve(problem(demand=(100.0, 50.0), buy={"max_chips": 60.0}))
    assert r.purchases["chips"].tolist() == pytest.approx([60.0])
    assert r.purchases["supply_shadow_usd_per_chip_hour"].tolist() == pytest.approx([6.5])


def test_budget_binds_with_its_shadow_price():
    budget = pd.DataFrame({"quarter_ordered": ["2026Q1"], "usd": [40_000.0]})
    r = solve(problem(budget=budget))
    assert r.purchases["chips"].tolist() == pytest.approx([40.0])
    assert r.budget["capex_usd"].tolist() == pytest.approx([40_000.0])
    # each $1000 chip earns $8/h in both quarters
    assert r.budget["budget_shadow_per_usd_hour"].tolist() == pytest.approx([16 / 1000])
    assert r.purchases["supply_shadow_usd_per_chip_hour"].tolist() == pytest.approx([0.0])


def test_contracted_minimum_is_bought_and_used_when_its_variable_cost_is_covered():
    # the 30 chips' committed $1.5 is owed anyway; serving earns 1.9 against the full 2.0,
    # so using them loses 0.1 per chip-hour instead of 1.5 idle
    r = solve(problem(value=1.9, buy={"min_chips": 30.0}))
    assert r.purchases["chips"].tolist() == pytest.approx([30.0])
    assert r.allocation["chips"].tolist() == pytest.approx([30.0, 30.0])
    assert r.objective_usd_per_hour == pytest.approx(-0.1 * 30 * 2)
    idle = solve(problem(value=0.4, buy={"min_chips": 30.0}))
    assert idle.allocation.empty
    assert idle.objective_usd_per_hour == pytest.approx(-1.5 * 30 * 2)


@pytest.mark.parametrize("mode", ["round", "exact"])
def test_integer_modes_buy_whole_domains(mode):
    r = solve(problem(), integer=mode)
    assert r.purchases["chips"].tolist() == [104.0]  # 100 rounded up to 13 domains of 8
    assert r.allocation["chips"].tolist() == pytest.approx([104.0, 104.0])
    # 100 M/h served each quarter on 104 chips used (whole replicas), none idle
    assert r.objective_usd_per_hour == pytest.approx(2 * (10 * 100 - 2 * 104))


def test_integer_rounding_respects_the_supply_limit():
    r = solve(problem(buy={"max_chips": 100.0}), integer="round")
    assert r.purchases["chips"].tolist() == [96.0]


@pytest.mark.parametrize("limit", [25.0, 60.0, 250.0])
def test_purchases_never_exceed_limits(limit):
    budget = pd.DataFrame({"quarter_ordered": ["2026Q1"], "usd": [limit * 700.0]})
    r = solve(problem(buy={"max_chips": limit}, budget=budget))
    chips = r.purchases["chips"].to_numpy()
    assert np.all(chips <= limit + 1e-6)
    assert float(r.budget["capex_usd"].sum()) <= limit * 700.0 * (1 + 1e-9)


def test_bad_purchase_tables_raise_value_errors():
    with pytest.raises(ValueError, match="max_chips must be >= min_chips"):
        problem(buy={"min_chips": 5.0, "max_chips": 1.0})
    with pytest.raises(ValueError, match="absent from capacity"):
        problem(buy={"quarter": "2027Q1"})
    with pytest.raises(ValueError, match="domain_chips must be a whole number"):
        problem(buy={"domain_chips": 1.5})


def test_capacity_shadow_price_is_the_value_of_one_more_installed_chip():
    # Q1 uses all 60 bought chips: one more installed chip serves 1 M more (+$8/h), and
    # removes no idle cost; Q2 has 10 bought chips idle, so one more is worth nothing.
    r = solve(problem(demand=(100.0, 50.0), buy={"max_chips": 60.0}))
    shadow = r.utilisation["shadow_price_usd_per_chip_hour"].tolist()
    assert shadow == pytest.approx([8.0, 0.0], abs=1e-5)
