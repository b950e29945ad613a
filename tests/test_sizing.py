"""`planner size`: inverse sizing checked by hand, against the cost core, and for monotonicity."""
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli.main import main
from planner.costcore import evaluate, examples
from planner.queries.sizing import STEPS_PER_DECADE, SizeQuery, size, synthetic_model

RUN = CliRunner()
BOUNDS = ["prefill_bound_active_params", "memory_bound_active_params",
          "decode_bound_active_params", "max_active_params"]


def chip(fp8_tflops=5000.0, hbm_tbps=8.0, hbm_gb=288.0, domain=72, usd=3.5):
    """A rack of chips doing 5e15 FP8 FLOP/s at 60 % utilisation for $3.5 an hour."""
    return examples.system(domain, fp8_tflops / 2, fp8_tflops, None, hbm_gb, hbm_tbps, 900, 800,
                           1.4, usd, efficiency=dict(compute=0.6, memory=0.7))


def answer(query, system=None, usd=3.5):
    system = system or chip(usd=usd)
    return size({"s": system}, query, [usd], "2026Q1")


def grid_floor(value, spd=STEPS_PER_DECADE):
    """The largest active count of the log grid at or below ``value``."""
    return 10 ** (math.floor(math.log10(value) * spd + 1e-9) / spd)


def test_hand_check_prefill_only_bound_is_about_10t():
    # $25/M input at 50 % margin -> $12.5/M allowed, / allowance 2 -> $6.25/M input;
    # 2 x active FLOP per token at 5e15 x 0.6 FLOP/s and $3.5/h:
    # active = 6.25 x 3600 x 3e15 / (3.5 x 2e6) = 9.64e12
    hand = 6.25 * 3600 * 3e15 / (3.5 * 2e6)
    assert hand == pytest.approx(9.642857e12, rel=1e-6)
    q = SizeQuery(price_input=25, margin=0.5, allowance=2, totals_b=(30000,), experts=("8/256",),
                  input_tokens=1)  # a one-token prompt: no attention FLOPs
    a = answer(q)
    assert q.allowed_usd_per_m_input == pytest.approx(6.25)
    assert a.systems["prefill_only_active_params"].iloc[0] == pytest.approx(hand, rel=1e-12)
    row = a.table.iloc[0]
    assert row["prefill_bound_active_params"] == pytest.approx(grid_floor(hand), rel=1e-9)


def test_hand_check_decode_memory_and_speed_cut_it_down():
    q = SizeQuery(price_input=25, margin=0.5, allowance=2, totals_b=(10000, 30000),
                  experts=("8/64", "8/256"))
    table = answer(q).table
    hand = 9.642857e12
    for row in table.itertuples():
        # with a 2,000-token prompt attention adds ~2 %: still "roughly 10T" before the cuts
        assert 0.85 * hand < row.prefill_bound_active_params <= hand
        assert np.nan_to_num(row.max_active_params) < 0.5 * row.prefill_bound_active_params
        # 30T 8/64 is servable on a 16-rack replica (expert parallel over 1152 chips): there
        # prefill's cut from 30T to ~9T (3.3x) is the largest (memory 1.7x, speed 1.4x)
        assert row.binds in (("prefill", "memory", "decode", "speed")
                             if row.total_params == 3e13 and row.experts == "8/64"
                             else ("memory", "decode", "speed"))
        if not np.isnan(row.max_active_params):
            assert row.output_tokens_per_s_per_user >= 30 and row.ttft_s <= 10


def test_prefill_cost_of_1t_active_matches_the_design_example():
    # DESIGN.md: 1T active -> 2e18 FLOP per M tokens -> 0.185 h at 3e15 FLOP/s -> $0.65 per M
    q = SizeQuery(price_input=25, margin=0.5, input_tokens=1, output_tokens=1)
    model = synthetic_model(1e12, 1e12, "dense", q)
    big = chip(hbm_gb=5000)  # so that the weights fit on one chip
    table = evaluate({"m": model}, {"s": big}, ["2026Q1"], [[3.5]], replica_chips=(1,),
                     batch=(1,)).table
    assert table["usd_per_m_input"].iloc[0] == pytest.approx(3.5 * 2e18 / 3e15 / 3600, rel=1e-4)


def test_memory_fit_by_hand():
    # 8-chip domains of 80 GB: replicas up to 1152 chips hold 0.9 x 80 GB x 1152 = 82.9 TB.
    system = chip(hbm_gb=80, domain=8).model_copy(update={"max_replica_domains": 144})
    q = SizeQuery(price_input=1e6, margin=0.0, totals_b=(80000, 100000), experts=("dense",),
                  min_output_tokens_per_s=1e-3, max_ttft_s=1e6)
    table = answer(q, system).table.set_index("total_params")
    assert table.loc[80e12, "memory_bound_active_params"] == pytest.approx(80e12)  # 80 TB fits
    assert table.loc[100e12, "prefill_bound_active_params"] == pytest.approx(100e12)
    assert np.isnan(table.loc[100e12, "memory_bound_active_params"])  # 100 TB does not
    assert table.loc[100e12, "binds"] == "memory"
    four = answer(SizeQuery(**{**q.__dict__, "weight_bits": 4}), system).table
    assert four.set_index("total_params").loc[100e12, "max_active_params"] == pytest.approx(100e12)


def test_impossible_speed_target_binds_speed():
    q = SizeQuery(price_input=1e6, margin=0.0, totals_b=(100, 1000), experts=("dense", "8/64"),
                  min_output_tokens_per_s=1e6)
    table = answer(q).table
    assert table["max_active_params"].isna().all()
    assert set(table["binds"]) == {"speed"}
    assert table["decode_bound_active_params"].notna().all()


def test_answer_reconciles_with_the_cost_core():
    q = SizeQuery(price_input=5, price_output=25, margin=0.4, totals_b=(300, 3000),
                  experts=("dense", "8/256"))
    table = answer(q, usd=2.0).table
    assert table["max_active_params"].notna().sum() >= 3
    for row in table.dropna(subset=["max_active_params"]).itertuples():
        model = synthetic_model(row.total_params, row.max_active_params, row.experts, q)
        got = evaluate({"m": model}, {"s": chip(usd=2.0)}, ["2026Q1"], [[2.0]],
                       replica_chips=(row.replica_chips,), batch=(row.batch,)).table.iloc[0]
        assert got["feasible"]
        assert got["usd_per_m_input"] == pytest.approx(row.usd_per_m_input, rel=1e-9)
        assert got["usd_per_m_output"] == pytest.approx(row.usd_per_m_output, rel=1e-9)
        assert got["usd_per_m_input"] <= q.allowed_usd_per_m_input * (1 + 1e-9)
        assert got["usd_per_m_output"] <= q.allowed_usd_per_m_output * (1 + 1e-9)


def _bounds(table):
    return np.nan_to_num(table[BOUNDS].to_numpy(), nan=0.0)


SMALL = dict(totals_b=(100, 1000, 10000, 30000), experts=("dense", "8/64", "8/1024"),
             steps_per_decade=8)


def test_cascade_never_grows():
    b = _bounds(answer(SizeQuery(price_input=3, margin=0.4, **SMALL)).table)
    assert np.all(np.diff(b, axis=1) <= 0)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.05, 200), st.floats(1.0, 20.0), st.floats(0.0, 0.9))
def test_higher_price_never_gives_a_smaller_model(price, factor, margin):
    low = answer(SizeQuery(price_input=price, margin=margin, **SMALL)).table
    high = answer(SizeQuery(price_input=price * factor, margin=margin, **SMALL)).table
    assert np.all(_bounds(high) >= _bounds(low))


@settings(max_examples=15, deadline=None)
@given(st.floats(0.2, 50), st.floats(1.0, 4.0), st.floats(1.0, 4.0))
def test_faster_system_never_gives_a_smaller_model(price, flops, bandwidth):
    q = SizeQuery(price_input=price, margin=0.5, **SMALL)
    slow = answer(q, chip()).table
    fast = answer(q, chip(fp8_tflops=5000 * flops, hbm_tbps=8 * bandwidth)).table
    assert np.all(_bounds(fast) >= _bounds(slow))


def test_cli_size_json_and_plot(small_path, tmp_path):
    plot = tmp_path / "region.png"
    result = RUN.invoke(main, ["size", small_path, "--system", "rack", "--price-input", "3",
                               "--margin", "0.5", "--allowance", "2", "--total-b", "8",
                               "--total-b", "400", "--experts", "dense", "--experts", "4/128",
                               "--json", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["inputs"]["allowed_usd_per_m_input"] == pytest.approx(0.75)
    assert out["inputs"]["price_output"] == 15  # 5 x input by default
    assert out["inputs"]["quarter"] == "2026Q1"
    assert len(out["rows"]) == 4 and out["systems"][0]["usd_per_chip_hour"] == 2.0
    assert plot.read_bytes()[:4] == b"\x89PNG"
    text = RUN.invoke(main, ["size", small_path, "--system", "rack", "--price-input", "3"]).output
    assert "rack, 2026Q1: $2.00/chip-hour; prefill-only bound" in text
    assert "+speed=answer" in text


@pytest.mark.parametrize("args, message", [
    (["--margin", "1"], "--margin: must be in [0, 1), got 1"),
    (["--allowance", "0.5"], "--allowance: must be >= 1"),
    (["--experts", "8/4"], "--experts: '8/4': need 1 <= K < E"),
    (["--price-input", "-3"], "--price-input: must be a positive number, got -3"),
    (["--quarter", "2026Q5"], "--quarter: '2026Q5' is not a quarter"),
])
def test_cli_size_bad_input(small_path, args, message):
    base = ["size", small_path, "--system", "rack", "--price-input", "3"]
    result = RUN.invoke(main, base + args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
