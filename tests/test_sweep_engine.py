"""One sample end to end equals the planning run of the same scenario; the array shortcuts equal
the DataFrame originals they stand in for; a sample does not depend on the samples before it."""
import numpy as np
import pandas as pd
import pytest

from demand.timeline import demand_arrays, demand_table
from fleets.timeline import fleet_arrays, fleet_table
from planner.costcore import load_efficiency_table
from planner.run.plan import cost_table, make_plan
from planner.scenario.horizon import horizon_quarters
from planner.scenario.loaded import Loaded, load_scenario
from planner.scenario.yamlload import Located
from planner.sweep.apply import apply_values, validate_sample
from planner.sweep.engine import Engine, SweepJob
from planner.sweep.spec import Input, SweepSpec, base_data
from planner.sweep.tables import physics


@pytest.fixture(scope="module")
def default():
    return load_scenario()


def _quarters(scenario):
    ql = horizon_quarters(scenario)
    return ql, tuple(str(q) for q in ql), np.array([q.index for q in ql])


def test_fleet_and_demand_arrays_equal_the_timeline_tables(default):
    s = default.scenario
    ql, qs, qi = _quarters(s)
    fleet, table = fleet_arrays(s, qi), fleet_table(s, ql)
    assert np.array_equal(fleet.available_chips.reshape(-1), table["available_chips"].to_numpy())
    per_system = table.groupby("system", sort=False).first()
    assert np.array_equal(fleet.usd_per_chip_hour, per_system["usd_per_chip_hour"].to_numpy())
    assert np.array_equal(fleet.kw_per_chip, per_system["kw_per_chip"].to_numpy())
    demand, dt = demand_arrays(s, qi), demand_table(s, ql)
    for field, column in (("m_output_per_hour", "m_output_per_hour"),
                          ("price_output", "price_usd_per_m_output"),
                          ("revenue", "revenue_usd_per_m_output"),
                          ("penalty", "unmet_penalty_usd_per_m_output")):
        assert np.array_equal(getattr(demand, field).reshape(-1), dt[column].to_numpy()), field
    first = dt.groupby("model", sort=False).first()
    assert np.array_equal(demand.input_per_output,
                          first["input_tokens_per_output_token"].to_numpy())
    assert np.array_equal(demand.peak_to_average, first["peak_to_average"].to_numpy())


def test_physics_equals_the_cost_cores_cheapest_configuration(default):
    s = default.scenario
    ql, qs, qi = _quarters(s)
    eff = load_efficiency_table()
    phys = physics(s, qs, ql, eff)
    costs = cost_table(default, ql)[0].table.set_index(["model", "system", "quarter"])
    models, systems = list(s.demand), list(s.systems)
    index = pd.MultiIndex.from_product([models, systems, list(qs)])
    rows = costs.loc[index]
    shape = phys.feasible.shape
    assert np.array_equal(phys.feasible, rows["feasible"].to_numpy().reshape(shape))
    ok = phys.feasible
    for field in ("replica_chips", "output_tokens_per_s_per_chip", "input_tokens_per_s_per_chip"):
        np.testing.assert_allclose(getattr(phys, field)[ok],
                                   rows[field].to_numpy(dtype=float).reshape(shape)[ok],
                                   rtol=1e-12, err_msg=field)
    # limited to the systems with chips: the same numbers on those systems
    used = (fleet_arrays(s, qi).available_chips > 0).any(axis=1)
    assert not used.all()
    part = physics(s, qs, ql, eff, systems_used=used)
    assert not part.feasible[:, ~used].any()
    assert np.array_equal(part.feasible[:, used], phys.feasible[:, used])
    np.testing.assert_allclose(part.output_tokens_per_s_per_chip[:, used],
                               phys.output_tokens_per_s_per_chip[:, used], rtol=1e-12)


def _compare_with_plan(result, loaded, models):
    """The same LP, polished alike, the same definitions: equal up to summation order (the
    run sums per model-quarter with pandas' compensated sums, a sample with bincount)."""
    e = make_plan(loaded).economics
    for k, model in enumerate(models):
        rows = e[e["model"] == model]
        for column, values in (("served_fraction", result.economics.served_fraction),
                               ("cost_usd_per_m_output_all_in", result.economics.cost),
                               ("gross_margin", result.economics.margin)):
            # 1e-11: a served fraction summed from ~1e6-chip terms in another order differs by
            # ~2e-12 relative in the default scenario (issue 15's costs)
            np.testing.assert_allclose(values[k], rows[column].to_numpy(dtype=float),
                                       rtol=1e-11, atol=1e-15, err_msg=f"{model} {column}")


def test_samples_equal_make_plan_of_the_sampled_scenario(default):
    """Shortage, slipped deliveries, other prices and efficiency: the sample's key outputs are
    those of `planner run` on the scenario the sample describes."""
    inputs = (Input("slip", ("fleet", "gb300-nvl72", "deliveries"), "slip_quarters",
                    dist=("uniform_int", (0, 2))),
              Input("demand", ("demand", "flagship", "output_tokens_per_day"), "multiply",
                    dist=("lognormal", (1.5, 0.3))),
              Input("tpu", ("systems", "tpu-v7-ironwood", "usd_per_chip_hour"), "set",
                    dist=("uniform", (1.0, 2.5))),
              Input("eff", ("economics", "serving_efficiency"), "multiply",
                    dist=("normal", (1.0, 0.1))))
    _samples_equal_make_plan(default, SweepSpec("random", inputs, seed=5, samples=3),
                             hardware_reused=True)  # only the efficiency moved the physics


def test_a_sample_that_changes_hardware_equals_make_plan_without_reuse(default):
    """A sample that changes a system's HBM gets a cost core of its own (no base terms)."""
    inputs = (Input("hbm", ("systems", "h200-hgx8", "chip", "hbm_gb"), "multiply",
                    values=(0.5, 2.0)),
              Input("eff", ("economics", "serving_efficiency"), "multiply", values=(1.1,)))
    _samples_equal_make_plan(default, SweepSpec("grid", inputs), hardware_reused=False)


def _samples_equal_make_plan(default, spec: SweepSpec, hardware_reused: bool) -> None:
    """Every sample of ``spec`` equals make_plan of the scenario it describes, and re-used the
    base's hardware terms (or not) as said; none re-used the base's whole cost core."""
    from planner.sweep.sample import sample_values

    job = SweepJob("t", base_data(default), spec, load_efficiency_table())
    engine = Engine(job)
    for i in range(spec.n_samples):
        values = sample_values(spec, i)
        result = engine.run(i, values)
        assert result.error is None, result.error
        assert result.hardware_reused == hardware_reused and not result.cost_core_reused
        data = apply_values(job.scenario, spec.inputs, values, default.scenario.horizon.end)
        sampled = Loaded(validate_sample(data, True), Located(data), "sample")
        _compare_with_plan(result, sampled, engine.models)


def test_a_sample_does_not_depend_on_the_samples_before_it(default):
    inputs = (Input("d", ("demand", "flagship", "output_tokens_per_day"), "multiply",
                    dist=("uniform", (0.5, 3.0))),)
    spec = SweepSpec("random", inputs, seed=1, samples=6)
    job = SweepJob("t", base_data(default), spec, load_efficiency_table())
    from planner.sweep.sample import sample_values

    warm = Engine(job)
    runs = [warm.run(i, sample_values(spec, i)) for i in range(6)]
    for i in (5, 2):
        fresh = Engine(job).run(i, sample_values(spec, i))
        for field in ("served_fraction", "cost", "margin"):
            assert np.array_equal(getattr(runs[i].economics, field),
                                  getattr(fresh.economics, field), equal_nan=True)


def test_failed_sample_is_returned_not_raised(default):
    inputs = (Input("tpu", ("systems", "tpu-v7-ironwood", "usd_per_chip_hour"), "add",
                    values=(-5.0, 0.0)),)
    spec = SweepSpec("grid", inputs)
    engine = Engine(SweepJob("t", base_data(default), spec, load_efficiency_table()))
    bad, good = engine.run(0, np.array([-5.0])), engine.run(1, np.array([0.0]))
    assert bad.economics is None and "usd_per_chip_hour: must be > 0" in bad.error
    assert good.error is None and good.economics is not None


def test_demand_arrays_follow_growth_after_the_last_point():
    """The sweep reads demand through demand.timeline, so later demand features follow."""
    import numpy as np

    from demand.timeline import demand_arrays, demand_table
    from planner.scenario.horizon import horizon_quarters
    from planner.scenario.loaded import load_scenario

    s = load_scenario(None, ["demand.flagship.growth_per_year=0.5"]).scenario
    quarters = horizon_quarters(s)
    arrays = demand_arrays(s, np.array([q.index for q in quarters]))
    table = demand_table(s, quarters)
    i = list(s.demand).index("flagship")
    expected = table[table["model"] == "flagship"]["m_output_per_hour"].to_numpy()
    assert np.allclose(arrays.m_output_per_hour[i], expected, rtol=1e-12)


def test_sweep_with_a_power_cap_equals_make_plan_on_each_sample(default):
    """A binding site power cap: every sample's key outputs are `planner run`'s."""
    data = base_data(default)
    data["sites"] = {**data.get("sites", {}), "main": {**data.get("sites", {}).get("main", {}),
                                                      "power_mw": {"2025Q1": 150, "2027Q1": 400}}}
    capped = Loaded(validate_sample(data, True), Located(data), "capped")
    power = make_plan(capped).power
    assert power is not None and (power["shadow_price_usd_per_mw_hour"] > 0).any()
    inputs = (Input("demand", ("demand", "flagship", "output_tokens_per_day"), "multiply",
                    dist=("lognormal", (1.0, 0.3))),
              Input("cap", ("sites", "main", "power_mw"), "multiply",
                    dist=("uniform", (0.8, 1.2))))
    spec = SweepSpec("random", inputs, seed=2, samples=3)
    job = SweepJob("t", data, spec, load_efficiency_table())
    engine = Engine(job)
    from planner.sweep.sample import sample_values

    for i in range(3):
        values = sample_values(spec, i)
        result = engine.run(i, values)
        assert result.error is None, result.error
        sampled_data = apply_values(data, inputs, values, default.scenario.horizon.end)
        sampled = Loaded(validate_sample(sampled_data, True), Located(sampled_data), "sample")
        _compare_with_plan(result, sampled, engine.models)


def test_sweep_with_price_responsive_demand_equals_make_plan_on_each_sample():
    """Elastic demand (a list-price reference and a fixed one, in a shortage): every sample's
    key outputs are `planner run`'s, the elasticity itself being one of the inputs."""
    loaded = load_scenario(None, ["demand.flagship.elasticity=-1",
                                  "demand.flagship.reference_price_usd_per_m_output=list",
                                  "demand.mythos-class.elasticity=-0.5"])
    data = base_data(loaded)
    inputs = (Input("demand", ("demand", "flagship", "output_tokens_per_day"), "multiply",
                    dist=("lognormal", (1.5, 0.3))),
              Input("e", ("demand", "mythos-class", "elasticity"), "set",
                    dist=("uniform", (-1.5, -0.2))))
    spec = SweepSpec("random", inputs, seed=4, samples=3)
    engine = Engine(SweepJob("t", data, spec, load_efficiency_table()))
    from planner.sweep.sample import sample_values

    for i in range(3):
        values = sample_values(spec, i)
        result = engine.run(i, values)
        assert result.error is None, result.error
        sampled_data = apply_values(data, inputs, values, loaded.scenario.horizon.end)
        sampled = Loaded(validate_sample(sampled_data, True), Located(sampled_data), "sample")
        plan = make_plan(sampled)
        assert (plan.economics["unmet_output_tokens_per_day"] > 0).any()  # steps bind somewhere
        _compare_with_plan(result, sampled, engine.models)


def test_arrays_like_a_base_copy_its_untouched_rows_and_recompute_the_rest(default):
    s = default.scenario
    ql, qs, qi = _quarters(s)
    base = base_data(default)
    inputs = [Input("fleet.gb300-nvl72.deliveries", ("fleet", "gb300-nvl72", "deliveries"),
                    "slip_quarters", dist=("uniform_int", (1.0, 1.0))),
              Input("demand.flagship.output_tokens_per_day",
                    ("demand", "flagship", "output_tokens_per_day"), "multiply",
                    dist=("uniform", (1.5, 1.5)))]
    data = apply_values(base, inputs, [1, 1.5], s.horizon.end)
    sample = validate_sample(data, True, (base, s))
    for arrays, like in ((fleet_arrays, (s, fleet_arrays(s, qi))),
                         (demand_arrays, (s, demand_arrays(s, qi)))):
        expected, got = arrays(sample, qi), arrays(sample, qi, like)
        for field in expected.__dataclass_fields__:
            assert np.array_equal(getattr(got, field), getattr(expected, field)), field
        assert not all(np.array_equal(getattr(like[1], f), getattr(got, f))
                       for f in expected.__dataclass_fields__)  # the change is in the rows
