"""Price-responsive demand: the curve, its value staircase in the LP, clearing prices, and the
planner's outputs (demand/elasticity.py, solver/demand_steps.py, planner/elastic.py)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from demand.elasticity import clearing_price, demand_at_price, value_slices
from planner.cli.main import main
from planner.run.plan import make_plan
from planner.scenario.loaded import load_scenario
from solver import AllocationProblem, SolveOptions, solve_allocation

Q = ["2026Q1"]


def one_system(chips, demand_at_list, list_price, elasticity, usd_per_chip_hour=1.0,
               steps=8):
    """One model, one system serving 1 M output per chip-hour; a token is worth its price."""
    quantity, value = value_slices(np.array([demand_at_list]), np.array([list_price]),
                                   np.array([list_price]), np.array([elasticity]), steps)
    options = pd.DataFrame({"model": "m", "system": "s", "quarter": Q, "site": "main",
                            "m_output_per_chip_hour": 1.0, "usd_per_chip_hour": usd_per_chip_hour,
                            "replica_chips": 1, "kw_per_chip": 1.0})
    capacity = pd.DataFrame({"system": "s", "quarter": Q, "site": "main", "chips": chips})
    dem = pd.DataFrame({"model": "m", "quarter": Q, "m_output_per_hour": [demand_at_list],
                        "value_usd_per_m_output": list_price,
                        "unmet_penalty_usd_per_m_output": 0.0})
    st = pd.DataFrame({"model": "m", "quarter": "2026Q1", "step": np.arange(quantity.shape[1]),
                       "m_output_per_hour": quantity[0], "value_usd_per_m_output": value[0]})
    result = solve_allocation(AllocationProblem(options=options, capacity=capacity, demand=dem,
                                                demand_steps=st))
    return float(result.service["served_m_output_per_hour"].iloc[0]), result


def test_slices_sum_to_the_demand_at_list_and_are_worth_more_at_higher_prices():
    q, v = value_slices(np.array([100.0]), np.array([10.0]), np.array([12.0]), np.array([-1.0]),
                        steps=8)
    assert q.sum() == pytest.approx(100.0)
    assert (np.diff(v[0]) > 0).all() and v[0, 0] == pytest.approx(12.0 * 2 ** (1 / 4))
    # e = -1: D(p) = 100 x 10 / p; the top slice holds D(160) = 6.25 M at 16 x list
    assert q[0, -1] == pytest.approx(6.25) and v[0, -1] == pytest.approx(12.0 * 16)


def test_clearing_price_by_hand():
    # e = -1, list $10, 100 M demanded: serving 50 M clears at $20; 100 M at the list price
    assert clearing_price(np.array([50.0, 100.0, 0.0]), np.full(3, 100.0), np.full(3, 10.0),
                          np.full(3, -1.0)).tolist()[:2] == [20.0, 10.0]
    assert np.isnan(clearing_price(np.array([0.0]), np.array([100.0]), np.array([10.0]),
                                   np.array([-1.0]))[0])
    assert demand_at_price(100.0, 20.0, 10.0, -0.5) == pytest.approx(100 / 2 ** 0.5)


def test_a_single_system_shortage_clears_at_the_hand_computed_price():
    # 50 chips serve 50 of the 100 M/h demanded at $10: with e = -1 the price that sells
    # exactly 50 is $20, a step edge of the default grid (10 x 16^(2/8)), so the LP serves 50
    served, result = one_system(50.0, 100.0, 10.0, -1.0)
    assert served == pytest.approx(50.0)
    assert clearing_price(np.array([served]), np.array([100.0]), np.array([10.0]),
                          np.array([-1.0]))[0] == pytest.approx(20.0)
    # one more chip serves one more M of the marginal slice, worth 10 x sqrt(2 x 2^0.5) - $1
    shadow = result.utilisation["shadow_price_usd_per_chip_hour"].iloc[0]
    assert shadow == pytest.approx(10 * np.sqrt(2 ** 0.5 * 2) - 1.0, rel=1e-6)


@pytest.mark.parametrize("chips", [10.0, 30.0, 60.0, 200.0])
def test_a_higher_list_price_never_serves_more_of_a_lone_model(chips):
    served = [one_system(chips, demand_at_price(100.0, p, 10.0, -1.2), p, -1.2)[0]
              for p in (5.0, 10.0, 20.0, 40.0)]
    assert all(b <= a + 1e-9 for a, b in zip(served, served[1:]))


def test_the_staircase_converges_to_the_curve():
    # ample capacity, $40 per M to serve: welfare is maximal serving everyone who pays >= $40,
    # D(40) = 100 x (40 / 10)^-1 = 25 M/h; finer steps approach it
    errors = [abs(one_system(1000.0, 100.0, 10.0, -1.0, usd_per_chip_hour=40.0 * (1 + 1e-9),
                             steps=n)[0] - 25.0) for n in (3, 9, 27, 81)]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 0.02 * 25.0


def test_elasticity_zero_changes_nothing():
    # --inelastic removes every elasticity: the plan of fixed demand, the hash of a scenario
    # that never had one; elasticity 0 on every series plans the same
    fixed = load_scenario(None, elastic=False)
    assert all(d.elasticity == 0 and d.reference_price_usd_per_m_output is None
               for d in fixed.scenario.demand.values())
    stripped = load_scenario(None, [f"demand.{m}.{k}=null" for m in fixed.scenario.demand
                                    for k in ("elasticity", "reference_price_usd_per_m_output")])
    assert stripped.input_sha256 == fixed.input_sha256
    zero = load_scenario(None, [f"demand.{m}.elasticity=0" for m in fixed.scenario.demand])
    a, b = make_plan(fixed), make_plan(zero)
    pd.testing.assert_frame_equal(a.economics, b.economics)
    pd.testing.assert_frame_equal(a.pnl, b.pnl)
    assert "clearing_price_usd_per_m_output" not in a.economics.columns


def test_the_default_scenario_carries_the_tier_elasticities():
    d = load_scenario(None).scenario.demand
    assert (d["flagship"].elasticity, d["mythos-class"].elasticity, d["frontier-30t"].elasticity,
            d["free-tier"].elasticity) == (-1.0, -0.5, -0.5, 0.0)
    assert load_scenario(None, elastic=True).input_sha256 == load_scenario(None).input_sha256
    res = invoke(["run", "--elastic", "--inelastic"])  # the later flag wins, as click does
    assert res.exit_code == 0 and "clearing" not in res.output
    shown = invoke(["show"]).output, invoke(["show", "--inelastic"]).output
    assert "elasticity: -1.0" in shown[0] and "elasticity: -" not in shown[1]


def test_a_scenario_extending_the_default_gets_the_elasticity_of_its_own_tiers(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("extends: default\nmodels: {flagship: {tier: open}}\n")
    loaded = load_scenario(str(path))
    assert loaded.scenario.demand["flagship"].elasticity == -1.5  # open's, not flagship's
    file, line = loaded.doc.where(("demand", "flagship", "elasticity"))
    text = (Path(__file__).parents[1] / "demand/data/elasticity.yaml").read_text().splitlines()
    assert file.endswith("demand/data/elasticity.yaml") and text[line - 1].strip() == "open: -1.5"
    assert load_scenario(str(path), elastic=False).scenario.demand["flagship"].elasticity == 0


def test_a_standalone_scenario_stays_inelastic_even_with_buy(tmp_path):
    # `planner init` files without their elasticity part: a scenario that does not extend the
    # default; --buy merges embedded procurement data, which does not make it the default's
    from planner.output.scaffold import write_scaffold

    write_scaffold(str(tmp_path / "s"))
    path = tmp_path / "s" / "scenario.yaml"
    path.write_text(path.read_text().replace(", demand-elasticity.yaml", ""))
    for buy in (False, True):
        demand = load_scenario(str(path), buy=buy).scenario.demand
        assert all(d.elasticity == 0 for d in demand.values()), buy
    assert load_scenario(str(path), elastic=True).scenario.demand["flagship"].elasticity == -1


def test_an_elastic_plan_reports_clearing_prices_and_revenue_at_them():
    plan = make_plan(load_scenario(None, ["demand.flagship.elasticity=-1"], elastic=False))
    e = plan.economics
    flag = e[e["model"] == "flagship"]
    # list $75 in 2025Q1 = the reference: demand is the forecast; $25 from 2025Q4 triples it
    first = flag.iloc[0]
    assert first["demand_output_tokens_per_day"] == first["forecast_output_tokens_per_day"]
    cut = flag[flag["quarter"] == "2026Q1"].iloc[0]
    assert cut["demand_output_tokens_per_day"] == pytest.approx(
        3 * cut["forecast_output_tokens_per_day"])
    full = flag[flag["unmet_output_tokens_per_day"] == 0]
    assert (full["clearing_price_usd_per_m_output"] == full["list_usd_per_m_output"]).all()
    short = flag[flag["unmet_output_tokens_per_day"] > 0]
    assert len(short) and (short["clearing_price_usd_per_m_output"]
                           > short["list_usd_per_m_output"]).all()
    assert e[e["model"] == "mythos-class"]["clearing_price_usd_per_m_output"].isna().all()
    assert (plan.pnl["revenue_at_clearing_usd"] >= plan.pnl["revenue_usd"] - 1e-6).all()


def invoke(args):
    return CliRunner().invoke(main, args)


def test_bad_elasticities_are_input_errors(tmp_path):
    res = invoke(["run", "--set", "demand.free-tier.elasticity=-1"])
    assert res.exit_code == 2 and "needs a list output price > 0" in res.output
    res = invoke(["run", "--set", "demand.flagship.elasticity=0.5"])
    assert res.exit_code == 2 and "demand.flagship.elasticity" in res.output
    for bad in ("0", ".inf", "cheap"):
        res = invoke(["run", "--set", "demand.flagship.elasticity=-1", "--set",
                      f"demand.flagship.reference_price_usd_per_m_output={bad}"])
        assert res.exit_code == 2 and "expected a finite price > 0" in res.output, bad


def test_price_command_curve_json_and_errors(tmp_path):
    args = ["price", "--set", "demand.flagship.elasticity=-1", "--model", "flagship",
            "--quarter", "2027Q1", "--prices", "150,300", "--json"]
    res = invoke(args)
    assert res.exit_code == 0, res.output
    points = pd.DataFrame(json.loads(res.output)["points"])
    assert points["price_usd_per_m_output"].tolist() == [150.0, 300.0]
    # unit elasticity: fully served, revenue does not depend on the price
    assert (points["served_fraction"] == 1).all()
    assert points["revenue_usd"].iloc[0] == pytest.approx(points["revenue_usd"].iloc[1])
    assert (points["model_profit_usd"] == points["revenue_usd"] - points["serving_cost_usd"]).all()
    plot = tmp_path / "p.svg"
    res = invoke(["price", "--model", "flagship", "--prices", "20,40", "--plot", str(plot)])
    assert res.exit_code == 0 and plot.exists() and "most model profit at $40/M" in res.output
    assert invoke(["price", "--model", "flagship", "--prices", "0,10"]).exit_code == 2
    assert invoke(["price", "--model", "nope"]).exit_code == 2
    assert invoke(["price", "--model", "flagship", "--quarter", "2031Q1"]).exit_code == 2


def test_solver_checks_the_steps():
    options = pd.DataFrame({"model": "m", "system": "s", "quarter": Q, "site": "main",
                            "m_output_per_chip_hour": 1.0, "usd_per_chip_hour": 1.0,
                            "replica_chips": 1, "kw_per_chip": 1.0})
    capacity = pd.DataFrame({"system": "s", "quarter": Q, "site": "main", "chips": 5.0})
    dem = pd.DataFrame({"model": "m", "quarter": Q, "m_output_per_hour": [10.0],
                        "value_usd_per_m_output": 1.0, "unmet_penalty_usd_per_m_output": 0.0})
    steps = pd.DataFrame({"model": "m", "quarter": "2026Q1", "step": [0, 1],
                          "m_output_per_hour": [4.0, 5.0], "value_usd_per_m_output": 2.0})
    with pytest.raises(ValueError, match="must sum to their demand row"):
        AllocationProblem(options=options, capacity=capacity, demand=dem, demand_steps=steps)


def two_step_problem(replica_chips, chips=10.0):
    """10 M/h demanded in two slices worth $5 and $2 per M; 1 M per chip-hour at $1."""
    options = pd.DataFrame({"model": "m", "system": "s", "quarter": Q, "site": "main",
                            "m_output_per_chip_hour": 1.0, "usd_per_chip_hour": 1.0,
                            "replica_chips": replica_chips, "kw_per_chip": 1.0})
    capacity = pd.DataFrame({"system": "s", "quarter": Q, "site": "main", "chips": chips})
    dem = pd.DataFrame({"model": "m", "quarter": Q, "m_output_per_hour": [10.0],
                        "value_usd_per_m_output": 5.0, "unmet_penalty_usd_per_m_output": 0.0})
    steps = pd.DataFrame({"model": "m", "quarter": "2026Q1", "step": [0, 1],
                          "m_output_per_hour": [4.0, 6.0], "value_usd_per_m_output": [2.0, 5.0]})
    return AllocationProblem(options=options, capacity=capacity, demand=dem, demand_steps=steps)


@pytest.mark.parametrize("mode", ["round", "exact"])
def test_integer_modes_value_the_slices_a_replica_serves(mode):
    # replicas of 4 chips, 10 chips: by hand, 1 replica serves the $5 slice's 4 M
    # (gain 4 x 5 - 4 = 16); a 2nd serves 2 more of it and 2 of the $2 slice
    # (2 x 5 + 2 x 2 - 4 = 10 > 0): 8 served, objective 6 x 5 + 2 x 2 - 8 = $26/h
    res = solve_allocation(two_step_problem(4), SolveOptions(integer=mode))
    assert res.service["served_m_output_per_hour"].iloc[0] == pytest.approx(8.0)
    assert res.objective_usd_per_hour == pytest.approx(26.0)
    # replicas of 5 chips: the 2nd serves the last 1 M at $5 and 4 M at $2: 1 x 5 + 4 x 2 - 5
    # = 8 > 0, so both run: 10 served, 6 x 5 + 4 x 2 - 10 = $28/h
    res = solve_allocation(two_step_problem(5), SolveOptions(integer=mode))
    assert res.objective_usd_per_hour == pytest.approx(28.0)
    # the same with a $3 chip-hour: the 2nd replica loses 1 x 5 + 4 x 2 - 15 = -2: one replica
    # serves 5 M (5 of the $5 slice), 5 x 5 - 15 = $10/h
    prob = two_step_problem(5)
    prob = AllocationProblem(options=prob.options.assign(usd_per_chip_hour=3.0),
                             capacity=prob.capacity, demand=prob.demand,
                             demand_steps=prob.demand_steps)
    res = solve_allocation(prob, SolveOptions(integer=mode))
    assert res.service["served_m_output_per_hour"].iloc[0] == pytest.approx(5.0)
    assert res.objective_usd_per_hour == pytest.approx(10.0)


def test_unmet_fills_the_lowest_valued_slices_first():
    from solver.demand_steps import served_value, unmet_per_step
    from solver.indexing import index_problem

    ix = index_problem(two_step_problem(1))
    assert unmet_per_step(ix, np.array([5.0])).tolist() == [4.0, 1.0]
    assert unmet_per_step(ix, np.array([3.0])).tolist() == [3.0, 0.0]
    assert served_value(ix, np.array([5.0]), np.array([5.0])) == pytest.approx(25.0)


def test_integer_elastic_run_on_the_default_scenario():
    loaded = load_scenario(None, elastic=True)
    lp, rounded = make_plan(loaded), make_plan(loaded, integer="round")
    exact = make_plan(loaded, integer="exact")
    assert rounded.solver_info["integer"] == "round"
    # whole replicas cost a little welfare, never more than the LP bound; the MILP's plan is
    # never worse than the rounded one
    value = {k: p.solver_info["objective_usd_per_hour"]
             for k, p in (("lp", lp), ("round", rounded), ("exact", exact))}
    assert value["round"] <= value["exact"] <= value["lp"] + 1e-6
    assert "clearing_price_usd_per_m_output" in rounded.economics.columns


def test_elastic_flag_adds_the_assumed_tier_elasticities_at_list_reference():
    loaded = load_scenario(None, elastic=True)
    d = loaded.scenario.demand
    assert (d["flagship"].elasticity, d["mythos-class"].elasticity, d["free-tier"].elasticity) \
        == (-1.0, -0.5, 0.0)
    assert d["flagship"].reference_price_usd_per_m_output == "list"
    e = make_plan(loaded).economics
    # the forecast is the demand at each quarter's list price: nothing moves at list prices
    assert (e["demand_output_tokens_per_day"] == e["forecast_output_tokens_per_day"]).all()
    # a scenario's own elasticity wins over the tier's
    own = load_scenario(None, ["demand.flagship.elasticity=-0.2"], elastic=True)
    assert own.scenario.demand["flagship"].elasticity == -0.2


def test_a_price_override_moves_list_referenced_demand_along_the_curve():
    loaded = load_scenario(None, elastic=True)
    base = make_plan(loaded).economics
    dear = make_plan(loaded, price_override=("mythos-class", None, 100.0, None)).economics
    q = (base["model"] == "mythos-class") & (base["quarter"] == "2027Q1")
    # list $50 in 2027Q1; at $100 demand is (100 / 50)^-0.5 of the forecast
    assert dear.loc[q, "demand_output_tokens_per_day"].iloc[0] == pytest.approx(
        base.loc[q, "demand_output_tokens_per_day"].iloc[0] / 2 ** 0.5)


def test_sweep_plans_price_responsive_demand():
    """`planner sweep --elastic`: the samples plan the tier curves. With the flagship's curve
    through $50 instead of $25 (elasticity -1) its demand at list doubles, so in its shortage
    quarters a smaller share of it is served."""
    args = ["sweep", "--elastic", "--quiet", "--json",
            "--set", "demand.flagship.reference_price_usd_per_m_output=25",
            "--vary", "demand.flagship.reference_price_usd_per_m_output=25,50"]
    res = invoke(args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["ok"], out["failed"]) == (2, 0)
    q = pd.DataFrame(out["quantiles"])
    flagship = q[q["model"] == "flagship"]
    assert (flagship["served_fraction_p90"] >= flagship["served_fraction_p10"]).all()
    assert (flagship["served_fraction_p90"] > flagship["served_fraction_p10"] + 0.1).any()


def test_when_reports_the_clearing_price_at_the_asked_price():
    res = invoke(["when", "--elastic", "--model", "mythos-class", "--price-output", "40",
                  "--json"])
    assert res.exit_code == 0, res.output
    q = pd.DataFrame(json.loads(res.output)["quarters"]).dropna(subset=["served_fraction"])
    full = q[q["served_fraction"] >= 1 - 1e-9]
    short = q[q["served_fraction"] < 1 - 1e-9]
    assert (full["clearing_price_usd_per_m_output"] == 40.0).all()
    assert len(short) and (short["clearing_price_usd_per_m_output"] > 40.0).all()


def test_a_price_per_task_moves_demand_along_the_curve_of_the_list_reference():
    from demand.timeline import usd_per_task

    loaded = load_scenario(None)
    m = loaded.scenario.models["mythos-class"]
    tokens, hit = m.tokens_per_task["coding-agent"], m.workload.cache_hit
    base = make_plan(loaded)
    res = invoke(["when", "--model", "mythos-class", "--per-task", "coding-agent",
                  "--price-per-task", "1", "--json"])
    assert res.exit_code == 0, res.output
    q = pd.DataFrame(json.loads(res.output)["quarters"])
    d = base.demand[base.demand["model"] == "mythos-class"].reset_index(drop=True)
    listed = usd_per_task(tokens.input_tokens, tokens.output_tokens,
                          (1 - hit) * d["price_usd_per_m_input"]
                          + hit * d["price_usd_per_m_cached_input"], d["price_usd_per_m_output"])
    # the card scaled by 1 / listed; demand = forecast x (1 / listed)^-0.5 around the list
    assert np.allclose(q["price_usd_per_task"].dropna(), 1.0)
    e = base.economics[base.economics["model"] == "mythos-class"].reset_index(drop=True)
    expected = e["forecast_output_tokens_per_day"] * (1.0 / listed) ** -0.5
    assert np.allclose(q["demand_output_tokens_per_day"], expected, rtol=1e-9)




def test_exact_mode_with_steps_finds_the_better_whole_replica():
    # m1: 3 M/h at $3 (one step). A 5-chip replica on s0 (2 M per chip-hour at $0.5) serves
    # it for $2.5/h: 9 - 2.5 = $6.5/h; a 3-chip replica on s1 ($1) only 9 - 3 = $6/h. m0 is
    # worth $0.5 per M and costs >= $1.33 per M to serve: never served. (HiGHS once returned
    # the $6 plan as optimal from a MIP start; the start is not given with steps.)
    options = pd.DataFrame({"model": ["m0", "m0", "m1", "m1"], "system": ["s0", "s1"] * 2,
                            "quarter": "2026Q1", "site": "main",
                            "m_output_per_chip_hour": [1.5, 1.0, 2.0, 2.0],
                            "usd_per_chip_hour": [2.0, 2.0, 0.5, 1.0],
                            "replica_chips": [1, 1, 5, 3], "kw_per_chip": 1.0})
    capacity = pd.DataFrame({"system": ["s0", "s1"], "quarter": "2026Q1", "site": "main",
                             "chips": [11.0, 12.0]})
    dem = pd.DataFrame({"model": ["m0", "m1"], "quarter": "2026Q1",
                        "m_output_per_hour": [5.0, 3.0], "value_usd_per_m_output": [0.5, 3.0],
                        "unmet_penalty_usd_per_m_output": 0.0})
    steps = pd.DataFrame({"model": ["m0", "m1"], "quarter": "2026Q1", "step": 0,
                          "m_output_per_hour": [5.0, 3.0], "value_usd_per_m_output": [0.5, 3.0]})
    res = solve_allocation(AllocationProblem(options=options, capacity=capacity, demand=dem,
                                             demand_steps=steps), SolveOptions(integer="exact"))
    assert res.objective_usd_per_hour == pytest.approx(6.5)
    assert res.allocation[["model", "system", "chips"]].values.tolist() == [["m1", "s0", 5.0]]
