"""Monotonicity laws: better hardware never costs more; stricter targets never cost less."""
from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.costcore import cheapest, evaluate_grid, examples

REPLICAS = (1, 2, 8, 16, 72, 144, 576)
BATCHES = (1, 4, 32, 256, 2048)
SLACK = 1 + 1e-12


def _cost(models, systems, usd, se):
    grid = evaluate_grid(models, systems, ["2026Q1", "2026Q2"], usd, se,
                         replica_chips=REPLICAS, batch=BATCHES)
    t = cheapest(grid)
    cost = np.where(t.feasible, t.usd_per_m_output_incl_input, np.inf)
    return cost, t.feasible.to_numpy(), grid


def _instance(seed):
    rng = np.random.default_rng(seed)
    models, systems = examples.random_arrays(rng, 4, 3)
    return models, systems, rng.uniform(1, 5, (3, 2)), rng.uniform(0.8, 1.5, 2), rng


def _never_worse(before, after):
    (c0, f0, g0), (c1, f1, g1) = before, after
    assert np.all(f1 >= f0), "an improvement made a pair infeasible"
    assert np.all(c1 <= c0 * SLACK), "an improvement raised a cost"
    # and configuration by configuration, for those meeting the targets before (a config
    # missing its TTFT target reports the quickest prefill replica, not the cheapest)
    ok = g0.meets_slo()
    assert np.all(g1.meets_slo() >= ok)
    assert np.all(g1.total_chip_s_per_output()[ok] <= g0.total_chip_s_per_output()[ok] * SLACK)
    assert np.all(g1.step_s <= g0.step_s * SLACK)
    assert np.all(g1.fits >= g0.fits)


HARDWARE = ["hbm_bytes_per_s", "hbm_bytes", "peak_flops_per_s", "scaleup_bytes_per_s",
            "scaleout_bytes_per_s", "memory_eff", "compute_eff", "comm_eff",
            "prefill_compute_eff", "scaleout_comm_eff"]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(HARDWARE), st.floats(1.0, 4.0))
def test_more_hardware_never_costs_more(seed, field, factor):
    models, systems, usd, se, _ = _instance(seed)
    value = getattr(systems, field) * factor
    if field.endswith("_eff"):
        value = np.minimum(value, 1.0)
    better = replace(systems, **{field: value})
    _never_worse(_cost(models, systems, usd, se), _cost(models, better, usd, se))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1.0, 3.0))
def test_better_serving_software_never_costs_more(seed, factor):
    models, systems, usd, se, _ = _instance(seed)
    _never_worse(_cost(models, systems, usd, se), _cost(models, systems, usd, se * factor))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1.0, 5.0), st.sampled_from(["speed", "ttft"]))
def test_stricter_targets_never_cost_less(seed, factor, which):
    models, systems, usd, se, _ = _instance(seed)
    if which == "speed":
        stricter = replace(models, min_output_tokens_per_s=models.min_output_tokens_per_s * factor)
    else:
        stricter = replace(models, max_ttft_s=models.max_ttft_s / factor)
    c0, f0, _ = _cost(models, systems, usd, se)
    c1, f1, _ = _cost(stricter, systems, usd, se)
    assert np.all(f1 <= f0)
    assert np.all(c1 >= c0)


def test_cost_scales_with_chip_hour_price():
    models, systems, usd, se, _ = _instance(7)
    c0, f0, _ = _cost(models, systems, usd, se)
    c1, f1, _ = _cost(models, systems, usd * 2, se)
    assert np.array_equal(f0, f1)
    assert np.allclose(c1[f0], 2 * c0[f0], rtol=1e-12)
