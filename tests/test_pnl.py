"""Fleet P&L: hand-checked revenue, cost split and profit on a two-system fleet."""
import pandas as pd
import pytest

from planner.run.pnl import HOURS_PER_QUARTER, fleet_pnl


def _inputs():
    # Two systems in one quarter: A has 10 installed chips (8 available, 2 reserved) at $2/h,
    # B has 5 installed (all available) at $4/h. The plan uses 6 chips of A and 1 of B.
    fleet = pd.DataFrame({"system": ["a", "b"], "quarter": ["2026Q1", "2026Q1"],
                          "installed_chips": [10.0, 5.0], "available_chips": [8.0, 5.0],
                          "usd_per_chip_hour": [2.0, 4.0]})
    allocation = pd.DataFrame({"model": ["m", "m"], "system": ["a", "b"],
                               "quarter": ["2026Q1", "2026Q1"], "chips": [6.0, 1.0],
                               "usd_per_hour": [12.0, 4.0]})
    # 24e6 output tokens a day = 1 M output tokens an hour, at $30 of list revenue per M and
    # $5 of imputed value per M (apart from revenue).
    economics = pd.DataFrame({"model": ["m"], "quarter": ["2026Q1"],
                              "served_output_tokens_per_day": [24e6],
                              "unmet_output_tokens_per_day": [48e6],
                              "revenue_usd_per_m_output": [30.0],
                              "imputed_value_usd_per_m_output": [5.0]})
    return economics, fleet, allocation


def test_hand_checked_two_system_pnl():
    row = fleet_pnl(*_inputs()).iloc[0]
    h = HOURS_PER_QUARTER
    assert row["revenue_usd"] == pytest.approx(30.0 * h)
    assert row["serving_cost_usd"] == pytest.approx(16.0 * h)   # 6 x $2 + 1 x $4
    assert row["reserved_cost_usd"] == pytest.approx(4.0 * h)   # 2 x $2
    assert row["fleet_cost_usd"] == pytest.approx(40.0 * h)     # 10 x $2 + 5 x $4
    assert row["idle_cost_usd"] == pytest.approx(20.0 * h)      # 2 x $2 + 4 x $4
    assert row["operating_profit_usd"] == pytest.approx(-10.0 * h)
    assert row["operating_margin"] == pytest.approx(-1 / 3)
    assert row["imputed_value_usd"] == pytest.approx(5.0 * h)   # not in revenue or profit
    assert row["lost_revenue_usd"] == pytest.approx(2 * 30.0 * h)  # 2 M/h unmet at $30


def test_cost_split_adds_up_and_profit_is_revenue_less_every_chip():
    row = fleet_pnl(*_inputs()).iloc[0]
    assert row["serving_cost_usd"] + row["idle_cost_usd"] + row["reserved_cost_usd"] == \
        pytest.approx(row["fleet_cost_usd"])
    assert row["revenue_usd"] - row["fleet_cost_usd"] == pytest.approx(row["operating_profit_usd"])


def test_quarter_without_revenue_has_no_margin():
    economics, fleet, allocation = _inputs()
    row = fleet_pnl(economics.iloc[0:0], fleet, allocation.iloc[0:0]).iloc[0]
    assert row["revenue_usd"] == 0.0 and pd.isna(row["operating_margin"])
    assert row["idle_cost_usd"] == pytest.approx((40.0 - 4.0) * HOURS_PER_QUARTER)


def test_free_tier_earns_no_revenue_but_is_served_at_its_imputed_value():
    """Default scenario: the free tier's list price is 0; its imputed value keeps it served."""
    from planner.run.plan import make_plan
    from planner.scenario.loaded import load_scenario

    plan = make_plan(load_scenario(None))
    e = plan.economics[plan.economics["model"] == "free-tier"]
    assert (e["revenue_usd_per_m_output"] == 0).all() and e["gross_margin"].isna().all()
    # $2 output + 5 input tokens per output at a 50 % cache hit of $0.25 and $0.025
    assert e["imputed_value_usd_per_m_output"].to_numpy() == pytest.approx(2 + 5 * 0.1375)
    assert e["served_fraction"].iloc[-1] == pytest.approx(1.0)
    pnl = fleet_pnl(plan.economics, plan.fleet, plan.allocation).set_index("quarter")
    served_m = e.set_index("quarter")["served_output_tokens_per_day"] / 24e6
    assert pnl["imputed_value_usd"].to_numpy() == pytest.approx(
        (served_m * 2.6875 * HOURS_PER_QUARTER).reindex(pnl.index).to_numpy())


def test_rounding_is_not_reported_as_unmet_demand():
    """Unmet tokens are a shortage (more than 1e-9 of demand), never the vertex's rounding."""
    from planner.run.plan import make_plan
    from planner.scenario.loaded import load_scenario

    e = make_plan(load_scenario(None)).economics
    short = e[e["unmet_output_tokens_per_day"] > 0]
    assert (short["unmet_output_tokens_per_day"] > 1e-9 * short["demand_output_tokens_per_day"]).all()
    assert (short["served_fraction"] < 1 - 1e-9).all() and len(short) > 0
