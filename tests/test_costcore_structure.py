"""Structural behaviour the design notes promise, on realistic hardware and models."""
import pytest

from planner.costcore import evaluate, examples, model_arrays, system_arrays
from planner.costcore.scalar import evaluate_config, model_row, system_row

SYSTEMS = {"h100-8": examples.h100_8(), "gb300-nvl72": examples.gb300_nvl72()}
USD = [[2.5], [3.0]]


def _row(table, model, system):
    return table.set_index(["model", "system"]).loc[(model, system)]


def test_10t_model_is_far_costlier_on_hopper_nodes_than_on_a_rack():
    ct = evaluate({"10t": examples.mythos_10t()}, SYSTEMS, ["2026Q1"], USD)
    hopper, rack = _row(ct.table, "10t", "h100-8"), _row(ct.table, "10t", "gb300-nvl72")
    assert rack.feasible
    if hopper.feasible:  # only by spreading over > 100 nodes on the scale-out network
        assert hopper.replica_chips > 64
        assert hopper.usd_per_m_output_incl_input > 2.5 * rack.usd_per_m_output_incl_input
        assert hopper.usd_per_m_output > 2.5 * rack.usd_per_m_output


def test_10t_model_does_not_fit_eight_hopper_nodes():
    ct = evaluate({"10t": examples.mythos_10t()}, SYSTEMS, ["2026Q1"], USD,
                  replica_chips=(1, 2, 4, 8, 16, 32, 64))
    hopper = _row(ct.table, "10t", "h100-8")
    assert not hopper.feasible
    assert hopper.reason.startswith("does not fit in the HBM of up to 64 chips")
    assert _row(ct.table, "10t", "gb300-nvl72").feasible


def _same_active(active_b, tps=30):
    """1T and 10T total at equal active parameters and equal dense part (70 % of active)."""
    dense = 0.7 * active_b
    small = round(8 * (1000 - dense) / (active_b - dense))
    large = round(8 * (10000 - dense) / (active_b - dense))
    return {"1t": examples.model(1000, active_b, experts=(small, 8), tps=tps),
            "10t": examples.model(10000, active_b, experts=(large, 8), tps=tps)}


@pytest.mark.parametrize("active_b", [50, 100, 500])
def test_10x_total_params_costs_far_less_than_10x_on_a_large_domain(active_b):
    big = examples.system(576, 2500, 5000, 15000, 288, 8.0, 900, 800, 1.4, 3.0,
                          family="blackwell")
    ct = evaluate(_same_active(active_b), {"big": big, **SYSTEMS}, ["2026Q1"], [[3.0], *USD])
    t = ct.table.set_index(["model", "system"])
    assert t.feasible.all() or not t.loc[("10t", "h100-8")].feasible
    ratio = {s: t.loc[("10t", s)].usd_per_m_output_incl_input
             / t.loc[("1t", s)].usd_per_m_output_incl_input for s in ("big", "gb300-nvl72")}
    decode = (t.loc[("10t", "big")].usd_per_m_output / t.loc[("1t", "big")].usd_per_m_output)
    assert 1.0 <= ratio["big"] < 1.6 and 1.0 <= decode < 1.6
    # one 72-chip rack is not "large enough" for 10T: the law weakens there
    assert ratio["gb300-nvl72"] > ratio["big"]


def test_dense_model_larger_than_a_domain_spans_domains_by_pipeline():
    llama405 = examples.model(405, 405, bits=16, layers=126, hidden=16384,
                              attention_width=128 * 128, kv=516096, experts=None,
                              input_tokens=2000, output_tokens=500, cache_hit=0.0, tps=10)
    row = _row(evaluate({"405b": llama405}, SYSTEMS, ["2026Q1"], USD).table, "405b", "h100-8")
    assert row.feasible and row.replica_chips >= 16


def test_reasons_for_unreachable_targets():
    fast = examples.mythos_10t(tps=5000)
    quick = examples.mythos_10t(ttft=1e-4)
    t = evaluate({"fast": fast, "quick": quick}, {"gb": SYSTEMS["gb300-nvl72"]}, ["2026Q1"],
                 [[3.0]]).table.set_index("model")
    assert not t.loc["fast"].feasible
    assert t.loc["fast"].reason.startswith("cannot reach 5e+03 tok/s per user (best ")
    assert t.loc["fast"].output_tokens_per_s_per_user < 5000  # the fastest configuration
    assert not t.loc["quick"].feasible
    assert t.loc["quick"].reason.endswith("s over 0.0001 s target")
    assert t.loc["quick"].reason.startswith("TTFT ")


# Measured points (shared reference calibration.csv, ai-dynamo/aiconfigurator silicon data):
# (id, system, model, bits, chips, concurrency, tokens/s per user, output tokens/s per GPU)
CALIBRATION = [
    ("aic-h200-tp1-c4", "h200", "l70", 8, 1, 4, 49.7, 194),
    ("aic-h200-tp1-c128", "h200", "l70", 8, 1, 128, 22.3, 2740),
    ("aic-h200-tp8-c4", "h200", "l70", 8, 8, 4, 159.8, 79),
    ("aic-h200-tp8-c128", "h200", "l70", 8, 8, 128, 46.2, 729),
    ("aic-b200-tp1-c32", "b200", "l70", 8, 1, 32, 56.0, 1742),
    ("aic-b200fp4-tp1-c128", "b200", "l70", 4, 1, 128, 45.7, 5682),
    ("aic-h100-tp2-c64", "h100", "l70", 8, 2, 64, 34.8, 1098),
    ("aic-h200-r1-tp8ep8-c16", "h200", "r1", 8, 8, 16, 87.8, 175),
]


def test_pre_calibration_defaults_are_within_a_small_factor_of_measurements():
    systems = {
        "h200": examples.system(8, 989, 1979, None, 141, 4.8, 450, 400, 0.7, 1, family="hopper"),
        "b200": examples.system(8, 2250, 4500, 9000, 180, 8.0, 900, 400, 1.0, 1,
                                family="blackwell"),
        "h100": examples.h100_8(),
    }
    sys_arr = system_arrays(systems)
    for pid, sys, model, bits, chips, conc, per_user, per_gpu in CALIBRATION:
        if model == "l70":  # Llama-3.1-70B: 80 layers, GQA 8 x 128, 64 query heads
            m = examples.model(70.6, 70.6, bits=bits, layers=80, hidden=8192,
                               attention_width=64 * 128, kv=80 * 2 * 8 * 128 * 2, experts=None,
                               input_tokens=1000, output_tokens=1000, cache_hit=0.0)
        else:  # DeepSeek-R1: 61 layers, MLA 512 + 64, 256 experts top-8
            m = examples.model(671, 37, bits=8, layers=61, hidden=7168,
                               attention_width=128 * 576, kv=61 * 576 * 2, experts=(256, 8),
                               input_tokens=1000, output_tokens=8000, cache_hit=0.0)
        r = evaluate_config(model_row(model_arrays({"m": m}), 0),
                            system_row(sys_arr, list(systems).index(sys)), 1.0, 1.0, chips,
                            chips, conc)  # every measured layout here is TP = chips
        for got, want in ((r["output_tokens_per_s_per_user"], per_user),
                          (r["output_tokens_per_s_per_chip"], per_gpu)):
            assert 0.4 < got / want < 2.5, (pid, got, want)
