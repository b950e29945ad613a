"""Hand-checked arithmetic: the DESIGN reference figure and single-chip roofline cases."""
import math

import numpy as np
import pytest

from planner.costcore import evaluate, examples, load_efficiency_table, system_arrays
from planner.costcore.physics import HBM_RESERVE_FRACTION


def _blackwell(compute=0.6, memory=0.8, usd=3.5):
    return examples.system(72, 2500, 5000, 10000, 186, 8.0, 900, 400, 1.2, usd,
                           efficiency={"compute": compute, "memory": memory})


def test_reference_prefill_cost_is_0648_per_million_input_tokens():
    """1T active, 5e15 FP8 FLOP/s at 60 %, $3.5 per chip-hour, short prompt, no cache."""
    dense_1t = examples.model(1000, 1000, bits=8, layers=1, attention_width=1, experts=None,
                              input_tokens=1, output_tokens=1, cache_hit=0.0, tps=1, ttft=60)
    table = evaluate({"1t": dense_1t}, {"gb": _blackwell()}, ["2026Q1"], [[3.5]]).table
    row = table.iloc[0]
    assert row.feasible
    # 2e18 FLOP per M tokens / (5e15 x 0.6) = 666.67 s = 0.18519 h; x $3.5 = $0.64815
    expected = 2e12 * 1e6 / (5e15 * 0.6) / 3600 * 3.5
    assert math.isclose(row.usd_per_m_input, expected, rel_tol=1e-6)
    assert round(row.usd_per_m_input, 3) == 0.648
    assert math.isclose(row.input_tokens_per_s_per_chip, 5e15 * 0.6 / 2e12, rel_tol=1e-6)


def test_prefix_cache_hits_skip_recomputation():
    base = dict(layers=1, attention_width=1, experts=None, input_tokens=1000, output_tokens=1)
    no_cache = examples.model(100, 100, cache_hit=0.0, **base)
    cached = examples.model(100, 100, cache_hit=0.75, **base)
    t = evaluate({"a": no_cache, "b": cached}, {"gb": _blackwell()}, ["2026Q1"], [[3.5]]).table
    a, b = t.set_index("model").usd_per_m_input[["a", "b"]]
    assert math.isclose(b / a, 0.25, rel_tol=1e-4)


def test_single_chip_decode_step_by_hand():
    """Dense 8B BF16 on one chip: step = max(memory, compute) + layers x overhead."""
    m = examples.model(8, 8, bits=16, layers=32, hidden=4096, attention_width=4096,
                       kv=131072, experts=None, input_tokens=1000, output_tokens=1000,
                       cache_hit=0.0, tps=1, ttft=60)
    sys = examples.h100_8()
    ct = evaluate({"m": m}, {"h": sys}, ["2026Q1"], [[2.0]], replica_chips=[1], batch=[1, 64])
    fam = load_efficiency_table().family("hopper")
    ctx = 1000 + 500
    for j, batch in enumerate((1, 64)):
        mem = (8e9 * 2 + 131072 * ctx * batch) / (3.35e12 * fam.memory)
        flops = batch * (2 * 8e9 / 989e12 + 4 * 32 * 4096 * ctx / 989e12) / fam.compute
        # + the family's per-sequence overhead, one data-parallel group for a dense model
        step = max(mem, flops) + 32 * fam.layer_overhead_s + batch * fam.sequence_overhead_s
        assert math.isclose(ct.grid.step_s[0, 0, 0, 0, j], step, rel_tol=1e-12)
    # memory fit at full context: 16 GB + 64 x 2000 x 128 KiB <= 90 % of 80 GB
    assert ct.grid.fits[0, 0, 0, 1] == (16e9 + 64 * 2000 * 131072 <= (1 - HBM_RESERVE_FRACTION) * 80e9)


def test_moe_expert_coverage_grows_with_batch():
    """Weights read per step: dense part + experts x (1 - (1 - k/E)^B)."""
    # total 100B = dense 10B + experts 90B; active = 10 + 90 x 4/64 = 15.625B
    m = examples.model(100, 10 + 90 * 4 / 64, bits=8, layers=1, attention_width=1, kv=1,
                       experts=(64, 4), input_tokens=1, output_tokens=1, cache_hit=0.0)
    sys = examples.system(1, 1e6, 1e6, None, 1000, 1.0, 100, 100, 1, 1.0,
                          efficiency={"compute": 1.0, "memory": 1.0})
    ct = evaluate({"m": m}, {"s": sys}, ["2026Q1"], [[1.0]], replica_chips=[1], batch=[1, 8, 64])
    fam = load_efficiency_table().family("generic")
    for j, b in enumerate((1, 8, 64)):
        read = 10e9 + 90e9 * (1 - (1 - 4 / 64) ** b) + b * 1.5
        fixed = fam.layer_overhead_s + b * fam.sequence_overhead_s  # one chip: one group
        assert math.isclose(ct.grid.step_s[0, 0, 0, 0, j] - fixed, read / 1e12, rel_tol=1e-9)


def test_system_efficiency_overrides_family_defaults():
    table = load_efficiency_table()
    own = _blackwell(compute=0.33, memory=0.44)
    plain = examples.gb300_nvl72()
    arr = system_arrays({"own": own, "plain": plain})
    assert arr.compute_eff[0] == 0.33 and arr.memory_eff[0] == 0.44
    fam = table.family("blackwell")
    assert arr.compute_eff[1] == fam.compute and arr.memory_eff[1] == fam.memory
    assert arr.comm_eff[0] == table.family("generic").comm  # family None -> generic
    assert np.allclose(arr.scaleout_bytes_per_s, [400e9 / 8, 800e9 / 8])
    assert arr.peak_flops_per_s[1, 2] == 15000e12


def test_missing_fp4_rate_falls_back_to_fp8():
    arr = system_arrays({"h": examples.h100_8()})
    assert arr.peak_flops_per_s[0, 2] == arr.peak_flops_per_s[0, 1] == 1979e12


def test_unknown_family_is_an_error():
    with pytest.raises(ValueError, match="unknown efficiency family 'volta'"):
        system_arrays({"v": examples.system(8, 1, 1, None, 1, 1, 1, 1, 1, 1, family="volta")})
