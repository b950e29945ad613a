"""End to end through the CLI on the small scenario, checked against hand arithmetic.

The hand arithmetic starts from the cost core's per-chip throughput for each pair (the cost
core has its own exact tests): chips = demand / (M output per chip-hour), cost = $/chip-hour /
(M output per chip-hour), margin = 1 - cost / revenue.
"""
import json
import os

import pytest
from click.testing import CliRunner

from planner.cli.main import main

RUN = CliRunner()


def invoke(*args):
    result = RUN.invoke(main, [str(a) for a in args])
    return result


@pytest.fixture
def per_chip(small_path):
    """M output tokens per chip-hour for each model on the rack (2026Q1), from `planner cost`."""
    rows = json.loads(invoke("cost", small_path, "--quarter", "2026Q1", "--json").stdout)
    return {r["model"]: r["m_output_per_chip_hour"] for r in rows}


def test_allocation_cost_margin_by_hand(small_path, per_chip):
    out = json.loads(invoke("run", small_path, "--json").stdout)
    econ = {(e["model"], e["quarter"]): e for e in out["economics"]}
    alloc = {(a["model"], a["quarter"]): a["chips"] for a in out["allocation"]}
    # big-moe 2026Q1: 1e9 tokens/day = 41.667 M/h
    chips = 1e9 / 24e6 / per_chip["big-moe"]
    assert alloc[("big-moe", "2026Q1")] == pytest.approx(chips, rel=1e-6)
    e = econ[("big-moe", "2026Q1")]
    cost = 2.0 / per_chip["big-moe"]
    assert e["cost_usd_per_m_output_all_in"] == pytest.approx(cost, rel=1e-6)
    revenue = 15 + 4 * 3  # output price + 4 input tokens per output at $3 (cached priced as input)
    assert e["revenue_usd_per_m_output"] == pytest.approx(revenue)
    assert e["gross_margin"] == pytest.approx(1 - cost / revenue, rel=1e-6)
    assert e["price_at_target_margin_usd_per_m_output"] == pytest.approx(15 / revenue * cost / 0.5, rel=1e-6)
    assert e["served_fraction"] == pytest.approx(1.0)


def test_shortage_rations_the_lower_priority(small_path, per_chip):
    # small-dense (priority 1) asks for far more than the 400 chips of 2026Q1
    out = json.loads(invoke("run", small_path, "--set",
                            "demand.small-dense.output_tokens_per_day.2026Q1=1e12", "--json").stdout)
    econ = {(e["model"], e["quarter"]): e for e in out["economics"]}
    util = {(u["system"], u["quarter"]): u for u in out["utilisation"]}
    big_chips = 1e9 / 24e6 / per_chip["big-moe"]
    served_small = (400 - big_chips) * per_chip["small-dense"] * 24e6
    assert econ[("big-moe", "2026Q1")]["served_fraction"] == pytest.approx(1.0)
    assert econ[("small-dense", "2026Q1")]["served_output_tokens_per_day"] == pytest.approx(served_small, rel=1e-6)
    assert util[("rack", "2026Q1")]["utilisation"] == pytest.approx(1.0)
    # one more chip serves per_chip M/h more small-dense tokens, each worth its revenue
    # 0.6 $/M (priority 1 adds no goodwill penalty), less the chip's $2/h: the scarcity rent
    rent = per_chip["small-dense"] * 0.6 - 2.0
    assert util[("rack", "2026Q1")]["shadow_price_usd_per_chip_hour"] == pytest.approx(rent, rel=1e-4)


def growth(per_chip, chips=600):
    """--set options: big-moe asks for what ``chips`` rack chips serve, in every quarter."""
    volume = chips * per_chip["big-moe"] * 24e6
    return ("--set", f"demand.big-moe.output_tokens_per_day.2026Q1={volume}",
            "--set", f"demand.big-moe.output_tokens_per_day.2026Q4={volume}")


def test_when_by_hand(small_path, per_chip):
    needed = 600  # more than 2026Q1-Q2's 400 chips, less than Q3's 800
    more = growth(per_chip, needed)
    cost = 2.0 / per_chip["big-moe"]
    args = ["when", small_path, *more, "--model", "big-moe", "--price-input", "0", "--margin", "0.5"]
    lowest = json.loads(invoke(*args, "--json").stdout)
    assert lowest["earliest_quarter"] is None or lowest["price_output"] is None
    assert [round(q["lowest_price_output_usd_per_m"], 6) for q in lowest["quarters"]] == \
        [round(cost / 0.5, 6)] * 4
    at_low_price = json.loads(invoke(*args, "--price-output", 0.9 * cost / 0.5, "--json").stdout)
    assert at_low_price["earliest_quarter"] is None
    assert at_low_price["reason"].startswith("2026Q4: cost too high")
    ok_price = json.loads(invoke(*args, "--price-output", 1.1 * cost / 0.5, "--json").stdout)
    assert ok_price["earliest_quarter"] == "2026Q3"
    assert [q["binding"][:20] for q in ok_price["quarters"]][:2] == ["not enough capacity:"] * 2
    # small-dense earns more per chip-hour at these prices, so it keeps its chips
    small_chips = 1e9 / 24e6 / per_chip["small-dense"]
    assert ok_price["quarters"][0]["served_fraction"] == pytest.approx((400 - small_chips) / needed, rel=1e-6)
    half = json.loads(invoke(*args, "--price-output", 1.1 * cost / 0.5, "--share", 0.6, "--json").stdout)
    assert half["earliest_quarter"] == "2026Q1"


@pytest.mark.parametrize("lower,higher", [(0.6, 1.0), (1.0, 5.0)])
def test_when_is_monotone_in_price(small_path, per_chip, lower, higher):
    cost = 2.0 / per_chip["big-moe"]
    base = ["when", small_path, *growth(per_chip), "--model", "big-moe", "--price-input", "0", "--json"]
    quarter = {}
    for factor in (lower, higher):
        out = json.loads(invoke(*base, "--price-output", factor * cost / 0.5, "--margin", 0.5).output)
        quarter[factor] = out["earliest_quarter"] or "9999Q9"
    assert quarter[higher] <= quarter[lower]


def test_when_unknown_model_is_usage_error(small_path):
    result = invoke("when", small_path, "--model", "nope", "--price-output", 1)
    assert result.exit_code == 2 and "unknown model" in result.output


def test_run_outputs_are_byte_identical_and_documented(small_path, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert invoke("run", small_path, "--out", first).exit_code == 0
    assert invoke("run", small_path, "--out", second).exit_code == 0
    for name in ("allocation.csv", "economics.csv", "pnl.csv", "summary.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    summary = json.loads((first / "summary.json").read_text())
    assert set(summary) == {"provenance", "economics", "economics_per_task", "allocation",
                            "utilisation", "power", "fleet_pnl", "headline", "warnings"}
    assert {"input_sha256", "versions", "solver"} <= set(summary["provenance"])
    assert {"shadow_price_usd_per_chip_hour", "utilisation"} <= set(summary["utilisation"][0])
    header = (first / "economics.csv").read_text().splitlines()[0].split(",")
    assert {"model", "quarter", "demand_output_tokens_per_day", "served_output_tokens_per_day",
            "cost_usd_per_m_output_all_in", "list_usd_per_m_output", "gross_margin",
            "achievable_price_usd_per_m_output"} <= set(header)
    assert (first / "allocation.csv").read_text().splitlines()[0].startswith("model,system,quarter,chips")
    assert "timings_s" in json.loads((first / "timings.json").read_text())


def test_out_dir_refused_unless_force(small_path, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    refused = invoke("run", small_path, "--out", target)
    assert refused.exit_code == 2 and "not empty" in refused.output
    assert os.listdir(target) == ["keep.txt"]
    forced = invoke("run", small_path, "--out", target, "--force")   # not a planner output
    assert forced.exit_code == 2 and "is not an earlier planner output" in forced.output
    assert os.listdir(target) == ["keep.txt"]
    (target / "keep.txt").unlink()
    assert invoke("run", small_path, "--out", target).exit_code == 0    # empty: written
    assert invoke("run", small_path, "--out", target, "--force").exit_code == 0  # replaced
    assert sorted(os.listdir(target)) == [".planner-output", "allocation.csv", "economics.csv",
                                          "pnl.csv", "summary.json", "timings.json"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".planner-")]


def test_cost_json_keys(small_path):
    rows = json.loads(invoke("cost", small_path, "--json").stdout)
    assert len(rows) == 2 * 4
    assert {"model", "system", "quarter", "feasible", "reason", "replica_chips", "batch",
            "output_tokens_per_s_per_user", "output_tokens_per_s_per_chip",
            "input_tokens_per_s_per_chip", "usd_per_m_input", "usd_per_m_output"} <= set(rows[0])


def test_integer_mode_whole_replicas(small_path):
    out = json.loads(invoke("run", small_path, "--integer", "--json").stdout)
    rows = json.loads(invoke("cost", small_path, "--quarter", "2026Q1", "--json").stdout)
    replica = {r["model"]: r["replica_chips"] for r in rows}
    for a in out["allocation"]:
        assert a["chips"] / replica[a["model"]] == pytest.approx(round(a["chips"] / replica[a["model"]]))


def test_site_power_cap_limits_chips_by_hand(small_path, per_chip, tmp_path):
    # 0.3 MW at 1.8 kW per chip all-in (1 kW TDP x 1.5 system x 1.2 PUE) runs 166.7 chips
    text = open(small_path).read() + "sites:\n  main:\n    power_mw: {2026Q1: 0.3}\n"
    path = tmp_path / "capped.yaml"
    path.write_text(text)
    out = json.loads(invoke("run", path, "--set", "demand.small-dense.output_tokens_per_day.2026Q1=1e12",
                            "--json").stdout)
    util = {u["quarter"]: u for u in out["utilisation"]}
    assert util["2026Q1"]["used_chips"] == pytest.approx(0.3 / 0.0018, rel=1e-6)
    assert util["2026Q1"]["shadow_price_usd_per_chip_hour"] == pytest.approx(0.0, abs=1e-6)
    power = {p["quarter"]: p for p in out["power"]}
    # one more MW runs 1/0.0018 more chips, each earning small-dense's rent
    rent = per_chip["small-dense"] * 0.6 - 2.0
    assert power["2026Q1"]["shadow_price_usd_per_mw_hour"] == pytest.approx(rent / 0.0018, rel=1e-4)
    bad = invoke("validate", path, "--set", "fleet.rack.site=mian")
    assert bad.exit_code == 2 and "unknown site 'mian'; did you mean 'main'?" in bad.output


def test_run_without_demand_is_a_clear_input_error(small_path):
    result = invoke("run", small_path, "--set", "demand=null")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "demand: the scenario has no demand series" in result.stderr
