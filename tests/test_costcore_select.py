"""The cheapest table and the Pareto frontier: columns, units, NaN policy, API conveniences."""
import numpy as np
import pandas as pd

from common.quarters import Quarter
from planner.costcore import UNITS, cheapest, evaluate, evaluate_grid, examples, pareto
from planner.costcore.select import _NAN_WHEN_NO_FIT, COLUMNS

# replicas of up to 144 H100 nodes, so that the 10T model fits on both systems
SYSTEMS = {"h100-8": examples.h100_8().model_copy(update={"max_replica_domains": 144}),
           "gb300-nvl72": examples.gb300_nvl72()}
MODELS = {
    "10t": examples.mythos_10t(),
    "70b": examples.model(70, 70, bits=8, layers=80, hidden=8192, attention_width=8192,
                          kv=327680, experts=None, input_tokens=2000, output_tokens=500),
    "huge": examples.model(2e6, 1000),  # 2 PB of weights: fits nowhere
    "fast": examples.mythos_10t(tps=5000),
}


def _table():
    return evaluate(MODELS, SYSTEMS, ["2026Q1", "2027Q1"], [[2.5, 2.0], [3.0, 2.8]],
                    serving_efficiency=[1.0, 1.3])


def test_table_shape_columns_units_and_types():
    ct = _table()
    t = ct.table
    assert list(t.columns) == COLUMNS
    assert len(t) == 4 * 2 * 2
    assert t.attrs["units"] == UNITS == ct.units
    assert t.feasible.dtype == bool
    assert t.replica_chips.dtype == np.int64 and t.batch.dtype == np.int64
    assert set(t.quarter) == {"2026Q1", "2027Q1"}
    assert (t.reason == "").equals(t.feasible)


def test_nan_only_where_nothing_fits():
    t = _table().table
    no_fit = t.reason.str.startswith("does not fit")
    assert set(t[no_fit].model) == {"huge"}
    numeric = [c for c in UNITS]
    assert np.isfinite(t.loc[~no_fit, numeric].to_numpy(dtype=float)).all()
    nan_cols = list(_NAN_WHEN_NO_FIT)
    assert t.loc[no_fit, nan_cols].isna().all().all()
    zero_cols = [c for c in numeric if c not in nan_cols and c != "usd_per_chip_hour"]
    assert (t.loc[no_fit, zero_cols] == 0).all().all()
    assert not np.isinf(t[numeric].to_numpy(dtype=float)).any()


def test_feasible_rows_meet_targets_and_costs_add_up():
    t = _table().table
    f = t[t.feasible]
    models = f.model.map(lambda m: MODELS[m])
    assert (f.output_tokens_per_s_per_user >= models.map(lambda m: m.slo.min_output_tokens_per_s)).all()
    assert (f.ttft_s <= models.map(lambda m: m.slo.max_ttft_s)).all()
    ratio = models.map(lambda m: m.workload.input_tokens / m.workload.output_tokens)
    assert np.allclose(f.usd_per_m_output_incl_input, f.usd_per_m_output + ratio * f.usd_per_m_input)
    assert np.allclose(f.usd_per_m_output_incl_input, f.usd_per_chip_hour / f.m_output_per_chip_hour)


def test_serving_efficiency_lowers_later_costs():
    t = _table().table
    f = t[t.feasible & (t.system == "gb300-nvl72")].set_index(["model", "quarter"])
    for model in f.index.get_level_values(0).unique():
        assert f.loc[(model, "2027Q1")].m_output_per_chip_hour > f.loc[(model, "2026Q1")].m_output_per_chip_hour


def test_pareto_frontier_is_non_dominated_and_contains_the_choice():
    ct = _table()
    for model, system in (("10t", "gb300-nvl72"), ("70b", "h100-8")):
        front = ct.pareto(model, system, Quarter(2026, 1))
        speed, cost = front.output_tokens_per_s_per_user, front.usd_per_m_output
        assert speed.is_monotonic_increasing and cost.is_monotonic_increasing
        assert len(front) > 3
        # no fitting configuration beats a frontier point on both axes
        grid = ct.grid
        m, s = grid.models.names.index(model), grid.systems.names.index(system)
        fits = grid.fits[m, s]
        all_speed = 1 / grid.step_s[m, s, 0][fits]
        all_cost = grid.output_chip_s_per_token()[m, s, 0][fits] * 2.5e6 / 3600 * (
            grid.usd_per_chip_hour[s, 0] / 2.5)
        for v, c in zip(speed, cost):
            assert not np.any((all_speed > v * (1 + 1e-12)) & (all_cost < c * (1 - 1e-12)))
        pick = ct.table.set_index(["model", "system", "quarter"]).loc[(model, system, "2026Q1")]
        full = ct.pareto(model, system, "2026Q1", cost="usd_per_m_output_incl_input")
        hit = full[(full.replica_chips == pick.replica_chips) & (full.batch == pick.batch)]
        assert len(hit) == 1 and hit.meets_slo.iloc[0]


def test_pareto_of_a_pair_that_never_fits_is_empty():
    assert _table().pareto("huge", "h100-8", "2026Q1").empty


def test_evaluate_accepts_frames_and_quarter_mappings():
    usd = pd.DataFrame({"2026Q1": [2.5, 3.0]}, index=["h100-8", "gb300-nvl72"])
    a = evaluate({"70b": MODELS["70b"]}, SYSTEMS, [Quarter(2026, 1)], usd,
                 serving_efficiency={"2026Q1": 1.2}).table
    b = evaluate({"70b": MODELS["70b"]}, SYSTEMS, ["2026Q1"], [[2.5], [3.0]],
                 serving_efficiency=[1.2]).table
    pd.testing.assert_frame_equal(a, b)


def test_grid_functions_compose_without_the_schema():
    rng = np.random.default_rng(3)
    models, systems = examples.random_arrays(rng, 2, 2)
    grid = evaluate_grid(models, systems, ["2026Q1"], [[1.0], [2.0]], [1.0])
    t = cheapest(grid)
    assert len(t) == 4
    front = pareto(grid, "m0", "s0", "2026Q1")
    assert set(front.columns) >= set(UNITS) | {"meets_slo"}
