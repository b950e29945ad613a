"""`planner when` price semantics: an input price alone keeps the list cache discount,
--price-cached sets the cached price, and the lowest-price mode answers the same price at
target margin as `planner run` (one definition, rate card scaled)."""
import json

import pytest
from click.testing import CliRunner

from planner.cli.main import main

CACHED = ["--set", "demand.big-moe.price_usd_per_m.cached_input=0.3"]  # list: input 3, cached 0.3


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def quarters(result) -> list[dict]:
    return json.loads(result.stdout)["quarters"]


def test_input_price_alone_keeps_the_cache_discount(small_path):
    rows = quarters(invoke("when", small_path, "--model", "big-moe", "--price-output", 15,
                           "--price-input", 6, "--json", *CACHED))
    assert [r["price_usd_per_m_input"] for r in rows] == [6.0] * len(rows)
    assert [r["price_usd_per_m_cached_input"] for r in rows] == \
        pytest.approx([0.6] * len(rows))   # 0.3 x 6 / 3


def test_cached_price_is_set_explicitly(small_path):
    answer = json.loads(invoke("when", small_path, "--model", "big-moe", "--price-output", 15,
                               "--price-input", 6, "--price-cached", 1, "--json",
                               *CACHED).stdout)
    assert answer["price_cached_input"] == 1.0
    assert {r["price_usd_per_m_cached_input"] for r in answer["quarters"]} == {1.0}


def test_output_price_alone_scales_the_list_rate_card_and_says_so(small_path):
    # list big-moe: $3 input, $0.3 cached, $15 output; at $30 output the card doubles
    result = invoke("when", small_path, "--model", "big-moe", "--price-output", 30, *CACHED)
    assert ("price vector (the list rate card scaled to that output price in each quarter), "
            "2026Q4: $6 input, $0.6 cached input, $30 output per M tokens") in \
        " ".join(result.stdout.split())
    rows = quarters(invoke("when", small_path, "--model", "big-moe", "--price-output", 30,
                           "--json", *CACHED))
    assert {(r["price_usd_per_m_input"], r["price_usd_per_m_cached_input"],
             r["price_usd_per_m_output"]) for r in rows} == {(6.0, 0.6, 30.0)}
    # revenue per M output at a 50 % cache hit and 4 input tokens per output token
    assert [r["revenue_usd_per_m_output"] for r in rows] == pytest.approx([30 + 4 * 3.3] * 4)


def test_lowest_price_is_runs_price_at_target_margin(small_path):
    run = json.loads(invoke("run", small_path, "--json", *CACHED).stdout)
    expected = {r["quarter"]: r["price_at_target_margin_usd_per_m_output"]
                for r in run["economics"] if r["model"] == "big-moe"}
    rows = quarters(invoke("when", small_path, "--model", "big-moe", "--json", *CACHED))
    assert {r["quarter"]: r["lowest_price_output_usd_per_m"] for r in rows} == expected  # bits
    assert all(v > 0 for v in expected.values())


def test_lowest_price_of_a_free_tier_is_runs_too():
    # no list revenue: the required revenue as it is, as `planner run` shows it (was null)
    run = json.loads(invoke("run", "--json").stdout)
    expected = {r["quarter"]: r["price_at_target_margin_usd_per_m_output"]
                for r in run["economics"] if r["model"] == "free-tier"}
    rows = quarters(invoke("when", "--model", "free-tier", "--json"))
    got = {r["quarter"]: r["lowest_price_output_usd_per_m"] for r in rows}
    assert got == expected and all(v > 0 for v in got.values())


def test_output_price_alone_lowest_price_is_the_scaled_cards(small_path):
    """With --price-output alone the card is scaled, so the lowest price does not depend on
    the price asked; asking it back meets the margin exactly."""
    rows = {p: quarters(invoke("when", small_path, "--model", "big-moe", "--price-output", p,
                               "--json", *CACHED)) for p in (1, 15, 100)}
    lowest = [[r["lowest_price_output_usd_per_m"] for r in rows[p]] for p in (1, 15, 100)]
    assert lowest[0] == pytest.approx(lowest[1]) and lowest[2] == pytest.approx(lowest[1])
    at = quarters(invoke("when", small_path, "--model", "big-moe", "--price-output",
                         lowest[1][0], "--margin", 0.5, "--json", *CACHED))
    assert at[0]["margin"] == pytest.approx(0.5, abs=1e-9)


def test_no_demand_anywhere_still_gives_a_reason(small_path):
    answer = json.loads(invoke("when", small_path, "--model", "big-moe", "--price-output", 15,
                               "--set", "demand.big-moe.output_tokens_per_day={2026Q1: 0, "
                               "2026Q4: 0}", "--json").stdout)
    assert answer["earliest_quarter"] is None
    assert answer["reason"] == "2026Q4: no demand yet (before launch)"
