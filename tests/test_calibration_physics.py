"""The cost-core options the calibration added (physics.py "Explicit options"), by hand."""
import math

import numpy as np
import pytest

from planner.costcore import evaluate_grid, examples, model_arrays, system_arrays
from planner.costcore.efficiency import load_efficiency_table

DENSE = examples.model(8, 8, bits=16, layers=32, hidden=4096, attention_width=4096, kv=131072,
                       experts=None, input_tokens=1000, output_tokens=1000, cache_hit=0.0)
MOE = examples.model(100, 10 + 90 * 4 / 64, bits=8, layers=4, hidden=1024, attention_width=1024,
                     kv=1000, experts=(64, 4), input_tokens=100, output_tokens=100, cache_hit=0.0)


def grid(models, **options):
    """The grid on an H100-8; without the family's per-sequence overhead unless given."""
    options.setdefault("sequence_overhead_s", [0.0])
    systems = system_arrays({"h": examples.h100_8()})
    return evaluate_grid(model_arrays(models), systems, ["2026Q1"], [[2.0]], [1.0],
                         replica_chips=[1, 8], batch=[1, 16, 64], **options)


def test_defaults_leave_the_grid_unchanged():
    plain = grid({"d": DENSE, "m": MOE})
    same = grid({"d": DENSE, "m": MOE}, sequence_overhead_s=[0.0], draft_tokens=[0, 0],
                accepted_tokens=[1, 1], prefill_attention_width=[4096, 1024])
    assert np.array_equal(plain.step_s, same.step_s)
    assert np.array_equal(plain.input_chip_s_per_token, same.input_chip_s_per_token)


def test_sequence_overhead_adds_per_sequence_time_per_data_parallel_group():
    x = 20e-6
    plain, more = grid({"d": DENSE, "m": MOE}), grid({"d": DENSE, "m": MOE}, sequence_overhead_s=[x])
    batch = np.array([1, 16, 64])
    # layouts (N, t): (1, 1), (8, 1), (8, 2), (8, 4), (8, 8); dense: one group whatever the
    # layout; MoE: N / t data-parallel groups, each paying for its own B / g sequences
    assert list(zip(plain.layouts.replica_chips, plain.layouts.attention_tp)) == [
        (1, 1), (8, 1), (8, 2), (8, 4), (8, 8)]
    for r, groups in enumerate((1, 8, 4, 2, 1)):
        assert np.allclose(more.step_s[0, 0, 0, r] - plain.step_s[0, 0, 0, r], x * batch,
                           rtol=1e-9, atol=0)
        assert np.allclose(more.step_s[1, 0, 0, r] - plain.step_s[1, 0, 0, r],
                           x * batch / groups, rtol=1e-9, atol=0)


def test_mtp_verifies_more_tokens_and_emits_accepted_ones():
    """Single chip, dense 8B BF16: step = (max(mem, (1+d) B flops) + fixed + d x ovh) / a."""
    d, a = 1, 1.8
    g = grid({"d": DENSE}, draft_tokens=[d], accepted_tokens=[a])
    fam = load_efficiency_table().family("hopper")
    ctx = 1000 + 500
    for j, batch in enumerate((1, 16, 64)):
        mem = (8e9 * 2 + 131072 * ctx * batch) / (3.35e12 * fam.memory)
        flops = (1 + d) * batch * (2 * 8e9 / 989e12 + 4 * 32 * 4096 * ctx / 989e12) / fam.compute
        step = max(mem, flops) + (32 + d) * fam.layer_overhead_s
        assert math.isclose(g.step_s[0, 0, 0, 0, j], step / a, rel_tol=1e-12)


def test_mtp_widens_expert_coverage():
    g1 = grid({"m": MOE})
    g2 = grid({"m": MOE}, draft_tokens=[3], accepted_tokens=[1])
    # 4 tokens per sequence touch more experts than 1: the step grows, prefill does not
    assert np.all(g2.step_s > g1.step_s)
    assert np.array_equal(g2.input_chip_s_per_token, g1.input_chip_s_per_token)


def test_prefill_attention_width_scales_the_prefill_attention_term():
    g1 = grid({"d": DENSE})
    g2 = grid({"d": DENSE}, prefill_attention_width=[1024])
    fam = load_efficiency_table().family("hopper")
    c_pf = 1000 - 1000 / 2
    saved = 4 * 32 * (4096 - 1024) * c_pf / 989e12 / fam.prefill_compute_eff
    assert math.isclose(g1.input_chip_s_per_token[0, 0, 0, 0] - g2.input_chip_s_per_token[0, 0, 0, 0],
                        saved, rel_tol=1e-9)
    assert np.array_equal(g1.step_s, g2.step_s)  # decode keeps the absorbed width


def test_aggregated_user_step_adds_the_prefill_share():
    g = grid({"d": DENSE})
    user = g.user_step_s(aggregated=True)
    for r, n in enumerate((1, 8)):
        for b, batch in enumerate((1, 16, 64)):
            extra = 1000 / 1000 * batch / n * g.input_chip_s_per_token[0, 0, 0, r]
            assert math.isclose(user[0, 0, 0, r, b], g.step_s[0, 0, 0, r, b] + extra, rel_tol=1e-12)
    assert g.user_step_s(aggregated=False) is g.step_s


@pytest.mark.parametrize("options, message", [
    (dict(sequence_overhead_s=[-1.0]), "must be >= 0"),
    (dict(sequence_overhead_s=[1.0, 2.0]), "sequence_overhead_s: expected 1 finite"),
    (dict(draft_tokens=[1], accepted_tokens=[2.5]), "accepted_tokens must be within"),
    (dict(accepted_tokens=[0.5]), "accepted_tokens must be within"),
    (dict(draft_tokens=[float("nan")]), "draft_tokens: expected 1 finite"),
    (dict(prefill_attention_width=[0.0]), "prefill_attention_width"),
])
def test_bad_options_are_rejected(options, message):
    with pytest.raises(ValueError, match=message):
        grid({"d": DENSE}, **options)


def test_sequence_overhead_is_shared_by_moe_data_parallel_groups():
    """16 chips on 8-chip nodes: MoE attention as 16 / t data-parallel groups of TP t."""
    systems = system_arrays({"h": examples.h100_8()})
    args = (model_arrays({"m": MOE}), systems, ["2026Q1"], [[2.0]], [1.0])
    plain = evaluate_grid(*args, replica_chips=[16], batch=[64], sequence_overhead_s=[0.0])
    more = evaluate_grid(*args, replica_chips=[16], batch=[64], sequence_overhead_s=[20e-6])
    for r, t in enumerate((1, 2, 4, 8)):
        assert plain.layouts.attention_tp[r] == t
        assert math.isclose(more.step_s[0, 0, 0, r, 0] - plain.step_s[0, 0, 0, r, 0],
                            20e-6 * 64 / (16 / t), rel_tol=1e-9)
