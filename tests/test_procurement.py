"""Procurement through the planner: scenario section, --buy, purchases.csv, bad input."""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.run.plan import make_plan
from planner.run.procurement import nvl72_class_share, orders_added, slots_table
from planner.scenario.loaded import load_scenario


def invoke(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_without_procurement_the_plan_buys_nothing_and_writes_no_purchases():
    plan = make_plan(load_scenario(None))
    assert plan.purchases is None
    assert "purchased_chips" not in plan.pnl.columns


def test_buy_adds_the_embedded_vendor_allocations():
    loaded = load_scenario(None, buy=True)
    assert "gb300-nvl72" in loaded.scenario.procurement.systems
    slots = slots_table(loaded.scenario, _quarters(loaded))
    gb300 = slots[slots["system"] == "gb300-nvl72"]
    # allocation 7,200 from 2025Q3 and 14,400 from 2026Q1; two quarters of lead time
    assert gb300["quarter_ordered"].iloc[0] == "2025Q3"  # no allocation before 2025Q3
    first = gb300[gb300["quarter_ordered"] == "2025Q3"].iloc[0]
    assert (first["quarter"], first["max_chips"]) == ("2026Q1", 7200.0)
    assert gb300[gb300["quarter_ordered"] == "2026Q1"]["max_chips"].iloc[0] == 14400.0
    assert gb300["quarter"].max() == "2028Q4" and gb300["quarter_ordered"].max() == "2028Q2"


def _quarters(loaded):
    from planner.scenario.horizon import horizon_quarters
    return horizon_quarters(loaded.scenario)


def test_bought_chips_join_the_fleet_and_its_cost():
    plan = make_plan(load_scenario(None, buy=True))
    p = plan.purchases
    assert (p["chips"] <= p["max_chips"] + 1e-6).all() and (p["chips"] >= -1e-9).all()
    in_service = plan.fleet.groupby("quarter")["purchased_chips"].sum()
    assert in_service["2025Q4"] == 0.0 and in_service["2028Q4"] > 0
    assert plan.pnl["purchased_chips"].tolist() == pytest.approx(in_service.tolist())
    capex = p.groupby("quarter_ordered")["capex_usd"].sum()
    assert plan.pnl.set_index("quarter")["purchase_capex_usd"].sum() == pytest.approx(capex.sum())


def test_run_buy_writes_purchases_csv_summary_and_the_fleet_chart(tmp_path):
    out = tmp_path / "r"
    res = invoke(["run", "--buy", "--quiet", "--out", str(out), "--report"])
    assert res.exit_code == 0, res.output
    assert "purchases:" in res.output and "Purchases (chips ordered" in res.output
    csv = pd.read_csv(out / "purchases.csv")
    assert list(csv.columns[:6]) == ["system", "site", "quarter_ordered", "quarter_in_service",
                                     "chips", "capex_usd"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["purchases"]["chips"] == pytest.approx(csv["chips"].sum())
    # in service: each order counts from its service quarter for life_quarters (all beyond 2028)
    in_service = pd.DataFrame(summary["purchases"]["in_service"])
    last = in_service[in_service["quarter"] == "2028Q4"].set_index("system")["chips"]
    bought = csv[csv["chips"] > 0].groupby("system")["chips"].sum()
    assert last.to_dict() == pytest.approx(bought.to_dict())
    html = (out / "report.html").read_text()
    assert (out / "plots" / "fleet.svg").exists() and "purchases marked" in html


def test_when_buy_is_never_later_than_without():
    args = ["when", "--model", "mythos-class", "--price-output", "25", "--json"]
    plain = json.loads(invoke(args).output)
    bought = json.loads(invoke(args + ["--buy"]).output)
    assert bought["purchases"]["chips"] > 0
    assert bought["earliest_quarter"] <= plain["earliest_quarter"]
    added = pd.DataFrame(bought["orders_added"])
    assert added["chips_with"].sum() == pytest.approx(bought["purchases"]["chips"])
    assert (added["chips_added"] == added["chips_with"] - added["chips_without"]).all()
    share = pd.DataFrame(bought["nvl72_class_share"])
    assert len(share) == len(bought["quarters"])
    assert share[["with_model", "without_model"]].stack().between(0, 1).all()
    text = invoke(args[:-1] + ["--buy"]).output
    assert "orders mythos-class adds (this plan minus the same plan without its demand)" in text
    assert "NVL72-class share of available chips" in text


def test_a_plan_without_a_models_demand_serves_none_of_it():
    plan = make_plan(load_scenario(None), without_model="mythos-class")
    e = plan.economics[plan.economics["model"] == "mythos-class"]
    assert (e["demand_output_tokens_per_day"] == 0).all()
    assert not (plan.allocation["model"] == "mythos-class").any()


def test_orders_added_is_the_difference_per_system():
    with_model = pd.DataFrame({"system": ["a", "a", "b"], "chips": [10.0, 5.0, 8.0],
                               "capex_usd": [100.0, 50.0, 0.0]})
    without = pd.DataFrame({"system": ["a", "c"], "chips": [4.0, 2.0], "capex_usd": [40.0, 9.0]})
    out = orders_added(with_model, without).set_index("system")
    assert out["chips_added"].to_dict() == {"a": 11.0, "b": 8.0, "c": -2.0}
    assert out["capex_added_usd"].to_dict() == {"a": 110.0, "b": 0.0, "c": -9.0}
    assert list(out.index) == ["a", "b", "c"]  # most added first


def test_nvl72_class_share_counts_nvidia_racks_of_72_or_more():
    systems = load_scenario(None).scenario.systems
    fleet = pd.DataFrame({"system": ["h100-hgx8", "gb200-nvl72", "tpu-v7-ironwood",
                                     "kyber-nvl144", "h100-hgx8"],
                          "quarter": ["2027Q1"] * 4 + ["2027Q2"],
                          "available_chips": [300.0, 100.0, 500.0, 100.0, 7.0]})
    fleet = pd.concat([fleet, pd.DataFrame({"system": ["gb200-nvl72"], "quarter": ["2028Q1"],
                                            "available_chips": [0.0]})])
    share = nvl72_class_share(fleet, systems)
    assert share.to_dict() == pytest.approx({"2027Q1": 0.2, "2027Q2": 0.0,
                                             "2028Q1": 0.0})  # 2028Q1: no chips at all


GB300 = "procurement:\n  systems:\n    gb300-nvl72:\n"


def run_file(tmp_path, body, command=("run", "--quiet")):
    """Run ``command`` on a scenario extending the default with ``body`` appended."""
    f = tmp_path / "s.yaml"
    f.write_text("extends: default\nname: x\n" + body)
    return CliRunner().invoke(main, [command[0], str(f), *command[1:]])


def test_unknown_buyable_system_is_an_input_error(tmp_path):
    res = run_file(tmp_path, "procurement:\n  systems:\n    gb400-nvl72:\n"
                   "      max_chips_per_quarter: {2026Q1: 100}\n")
    assert res.exit_code == 2
    assert "s.yaml:5: procurement.systems.gb400-nvl72: unknown system 'gb400-nvl72'" in res.output


def test_contract_above_allocation_is_an_input_error(tmp_path):
    res = run_file(tmp_path, GB300 + "      max_chips_per_quarter: {2026Q1: 100}\n"
                   "      min_chips_per_quarter: {2026Q2: 500}\n")
    assert res.exit_code == 2
    assert "500 contracted chips in 2026Q2 exceed the allocation of 100" in res.output


def test_negative_allocation_is_a_schema_error(tmp_path):
    res = run_file(tmp_path, GB300 + "      max_chips_per_quarter: {2026Q1: -5}\n")
    assert res.exit_code == 2
    assert "max_chips_per_quarter" in res.output and "Traceback" not in res.output


def test_sweep_refuses_a_procurement_section(tmp_path):
    res = run_file(tmp_path, GB300 + "      max_chips_per_quarter: {2026Q1: 100}\n",
                   ("sweep", "--samples", "2", "--quiet"))
    assert res.exit_code == 2
    assert "s.yaml:3: procurement: a sweep does not model purchases yet" in res.output
