"""The vectorised core equals the plain scalar implementation of the same formulas."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.costcore import cheapest, evaluate_grid, examples
from planner.costcore.scalar import (cheapest_config, evaluate_config, model_row, prefill_regime,
                                     system_row)
from planner.costcore.select import _metrics

# Both sides use IEEE float64 with the same operations, grouped differently in places
# ((a / b) / c vs a / (b * c)): they agree to a few ulps. 1e-9 leaves ample room.
RTOL = 1e-9
REPLICAS = (1, 2, 4, 8, 16, 64, 72, 144, 576, 1152)
BATCHES = (1, 3, 16, 100, 1024, 8192)


def _grid(seed, M=3, S=3, Q=2):
    rng = np.random.default_rng(seed)
    models, systems = examples.random_arrays(rng, M, S)
    usd = rng.uniform(0.5, 10, (S, Q))
    se = rng.uniform(0.5, 2.5, Q)
    draft = rng.choice([0.0, 1.0, 2.0], (M, S))
    accepted = 1 + draft * rng.uniform(0, 1, (M, S))
    grid = evaluate_grid(models, systems, [f"2026Q{q + 1}" for q in range(Q)], usd, se,
                         replica_chips=REPLICAS, batch=BATCHES, draft_tokens=draft,
                         accepted_tokens=accepted)
    return grid, models, systems, usd, se, draft, accepted


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_every_configuration_matches_scalar(seed):
    grid, models, systems, usd, se, draft, accepted = _grid(seed)
    M, S, Q, R, B = grid.shape
    idx = np.indices((M, S, Q, R, B)).reshape(5, -1)
    vec = _metrics(grid, *idx)
    fits = grid.fits[idx[0], idx[1], idx[3], idx[4]]
    slo = grid.meets_slo()[tuple(idx)]
    lay = grid.layouts
    mrows = [model_row(models, m) for m in range(M)]
    srows = [system_row(systems, s) for s in range(S)]
    pre = {(m, s, q): prefill_regime(mrows[m], srows[s], se[q], REPLICAS)
           for m in range(M) for s in range(S) for q in range(Q)}
    for j in range(idx.shape[1]):
        m, s, q, r, b = idx[:, j]
        ref = evaluate_config(mrows[m], srows[s], se[q], usd[s, q], lay.replica_chips[r],
                              lay.attention_tp[r], BATCHES[b], pre[m, s, q], draft[m, s],
                              accepted[m, s])
        assert fits[j] == ref["fits"]
        assert slo[j] == ref["meets_slo"]
        for key, value in vec.items():
            assert math.isclose(value[j], ref[key], rel_tol=RTOL), (key, value[j], ref[key])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_cheapest_matches_scalar_search(seed):
    grid, models, systems, usd, se, draft, accepted = _grid(seed)
    grid = evaluate_grid(models, systems, grid.quarters, usd, se, replica_chips=REPLICAS,
                         batch=BATCHES)  # plain decoding: cheapest_config has no MTP
    table = cheapest(grid)
    for row in table.itertuples():
        m, s = models.names.index(row.model), systems.names.index(row.system)
        q = grid.quarters.index(row.quarter)
        ref = cheapest_config(model_row(models, m), system_row(systems, s), se[q], usd[s, q],
                              REPLICAS, BATCHES)
        assert row.feasible == (ref is not None)
        if ref is not None:
            assert math.isclose(row.usd_per_m_output_incl_input, ref["usd_per_m_output_incl_input"],
                                rel_tol=RTOL)
            assert math.isclose(row.m_output_per_chip_hour, ref["m_output_per_chip_hour"],
                                rel_tol=RTOL)


def test_outputs_are_finite_on_random_inputs():
    """Never NaN/inf in the grid, whatever the (validated) inputs."""
    for seed in range(5):
        grid, *_ = _grid(seed, M=8, S=6, Q=3)
        for arr in (grid.step_s, grid.ttft_s, grid.input_chip_s_per_token,
                    grid.total_chip_s_per_output(), grid.prefill_chip_s_per_token()):
            assert np.all(np.isfinite(arr)) and np.all(arr > 0)
