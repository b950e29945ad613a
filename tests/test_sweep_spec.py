"""The sweep's inputs: the `uncertainty:` schema, path checks, --vary grids, draws, application."""
import numpy as np
import pytest

from common.quarters import Quarter
from planner.errors import InputError
from planner.scenario.loaded import load_scenario
from planner.sweep.apply import SampleError, apply_values, validate_sample
from planner.sweep.sample import draw, sample_values
from planner.sweep.spec import SweepSpec, base_data, spec_from_scenario, spec_from_vary

HEAD = "name: s\nextends: default\nuncertainty:\n  seed: 3\n  samples: 5\n  vary:\n"


def problems(exc) -> list[str]:
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize("entry, line, message", [
    ("    - path: economics.target_margin\n      set: {normal: {mean: 0.4, sd: -0.1}}\n",
     8, "uncertainty.vary.0.set.normal.sd: must be >= 0, got -0.1"),
    ("    - path: economics.target_margin\n      set: {triangular: [0.5, 0.3, 0.6]}\n",
     8, "low <= mode <= high"),
    ("    - path: economics.target_margin\n      set: {uniform: [0.5, 0.3]}\n",
     8, "uniform must be [low, high] with low <= high"),
    ("    - path: economics.target_margin\n      set: {normal: {mean: 0.4, sd: 0.1}, "
     "uniform: [0, 1]}\n", 8, "give exactly one distribution"),
    ("    - path: economics.target_margin\n      set: {gauss: {mean: 0.4}}\n",
     8, "unknown key 'gauss'"),
    ("    - path: economics.target_margin\n      mutliply: {uniform: [0.9, 1.1]}\n",
     7, "unknown key 'mutliply'; did you mean 'multiply'?"),
    ("    - path: economics.target_margin\n      set: {normal: {mean: 0.4, sdd: 0.1}}\n",
     8, "unknown key 'sdd'; did you mean 'sd'?"),
    ("    - path: economics.target_margin\n", 7, "give exactly one of set, multiply, add"),
    ("    - path: economics.target_margin\n      set: {lognormal: {median: 0, sigma: 0.1}}\n",
     8, "median: must be > 0"),
])
def test_invalid_distribution_spec_names_file_and_line(write, entry, line, message):
    path = write(HEAD + entry)
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    text = problems(exc)
    assert any(t.startswith(f"{path}:{line}: ") and message in t for t in text), text


@pytest.mark.parametrize("entry, message", [
    ("    - path: fleet.gb300-nvl72.delivries\n      slip_quarters: {uniform_int: [0, 2]}\n",
     "no key 'delivries' in fleet.gb300-nvl72; did you mean 'deliveries'?"),
    ("    - path: systmes.h100-hgx8.chip.hbm_gb\n      multiply: {uniform: [0.9, 1.1]}\n",
     "did you mean 'systems'?"),
    ("    - path: demand.flagship.output_tokens_per_day\n      set: {uniform: [1, 2]}\n",
     "set needs a single number"),
    ("    - path: economics.target_margin\n      slip_quarters: {uniform_int: [0, 2]}\n",
     "slip_quarters needs a mapping of quarter -> number"),
    ("    - path: systems.gb300-nvl72.usd_per_chip_hour\n      set: {uniform: [1, 2]}\n",
     "is not set in the scenario (null)"),
    ("    - path: fleet.gb300-nvl72.deliveries\n      slip_quarters: {uniform: [0, 2]}\n",
     "slip_quarters needs whole quarters"),
    ("    - path: horizon.start\n      set: {uniform: [0, 2]}\n", "cannot vary"),
])
def test_paths_are_checked_against_the_resolved_scenario(write, entry, message):
    path = write(HEAD + entry)
    loaded = load_scenario(path)
    with pytest.raises(InputError) as exc:
        spec_from_scenario(loaded)
    text = problems(exc)
    assert len(text) == 1 and text[0].startswith((f"{path}:7: uncertainty.vary.0.path: ",
                                                  f"{path}:8: uncertainty.vary.0.")) \
        and message in text[0], text


def test_spec_from_scenario_reads_every_input(write):
    path = write(HEAD + "    - path: fleet.gb300-nvl72.deliveries\n"
                 "      name: slip\n      slip_quarters: {uniform_int: [0, 2]}\n"
                 "    - path: demand.flagship.output_tokens_per_day\n"
                 "      multiply: {lognormal: {median: 1.0, sigma: 0.3}}\n"
                 "    - path: models.\"llama-3.1-70b\".layers\n      add: {choice: [0, 8]}\n")
    spec = spec_from_scenario(load_scenario(path), samples=9)
    assert (spec.mode, spec.seed, spec.samples, spec.n_samples) == ("random", 3, 9, 9)
    assert [i.name for i in spec.inputs] == ["slip", "demand.flagship.output_tokens_per_day",
                                             'models."llama-3.1-70b".layers']
    assert spec.inputs[2].path == ("models", "llama-3.1-70b", "layers")
    assert spec.inputs[1].describe() == "multiply lognormal(median=1, sigma=0.3)"


def test_vary_grid_parsing_and_errors():
    loaded = load_scenario()
    spec = spec_from_vary(loaded, ["economics.target_margin=0.3,0.5",
                                   "fleet.gb300-nvl72.deliveries:slip_quarters=0,1,2"])
    assert spec.mode == "grid" and spec.n_samples == 6
    assert [tuple(sample_values(spec, i)) for i in range(6)] == [
        (0.3, 0), (0.3, 1), (0.3, 2), (0.5, 0), (0.5, 1), (0.5, 2)]
    with pytest.raises(InputError) as exc:
        spec_from_vary(loaded, ["economics.target_margn=0.3", "economics.target_margin=a",
                                "economics.target_margin:scale=2", "nothing",
                                "fleet.gb300-nvl72.deliveries:slip_quarters=0.5"])
    text = problems(exc)
    assert text[0] == ("--vary:1: economics.target_margn: no key 'target_margn' in economics; "
                       "did you mean 'target_margin'?")
    assert text[1].startswith("--vary:2: ") and "'a' is not a number" in text[1]
    assert text[2].startswith("--vary:3: ") and "unknown operation 'scale'" in text[2]
    assert text[3].startswith("--vary:4: ") and "is not PATH=V1,V2" in text[3]
    assert text[4].startswith("--vary:5: ") and "whole numbers" in text[4]


def test_draws_depend_only_on_seed_and_index():
    from planner.sweep.spec import Input

    inputs = (Input("a", ("economics", "target_margin"), "set", dist=("normal", (1.0, 0.5))),
              Input("b", ("economics", "target_margin"), "set", dist=("uniform_int", (0, 3))))
    spec = SweepSpec("random", inputs, seed=11, samples=100)
    first = [sample_values(spec, i) for i in range(100)]
    again = [sample_values(spec, i) for i in reversed(range(100))][::-1]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    other = SweepSpec("random", inputs, seed=12, samples=100)
    assert not np.array_equal(sample_values(spec, 0), sample_values(other, 0))
    ints = np.array([v[1] for v in first])
    assert set(ints) <= {0, 1, 2, 3} and len(set(ints)) == 4


@pytest.mark.parametrize("dist", [("normal", (2.0, 0.0)), ("lognormal", (2.0, 0.0)),
                                  ("uniform", (2.0, 2.0)), ("triangular", (2.0, 2.0, 2.0)),
                                  ("uniform_int", (2.0, 2.0)), ("choice", (2.0,))])
def test_zero_width_distributions_give_their_value_exactly(dist):
    rng = np.random.default_rng(0)
    assert all(draw(dist, rng) == 2.0 for _ in range(20))


def test_triangular_and_uniform_stay_in_range():
    rng = np.random.default_rng(1)
    tri = np.array([draw(("triangular", (1.0, 1.5, 4.0)), rng) for _ in range(4000)])
    assert tri.min() >= 1.0 and tri.max() <= 4.0
    assert tri.mean() == pytest.approx((1.0 + 1.5 + 4.0) / 3, abs=0.05)
    uni = np.array([draw(("uniform", (-1.0, 3.0)), rng) for _ in range(4000)])
    assert uni.min() >= -1.0 and uni.max() <= 3.0 and uni.mean() == pytest.approx(1.0, abs=0.1)


def _input(path, op):
    from planner.sweep.spec import Input

    return Input(path, tuple(path.split(".")), op, dist=("uniform", (0.0, 1.0)))


def test_apply_values_copy_on_write_rounding_and_slips():
    loaded = load_scenario()
    base = base_data(loaded)
    end = loaded.scenario.horizon.end
    before = base["fleet"]["gb300-nvl72"]["deliveries"].copy()
    inputs = [_input("fleet.gb300-nvl72.deliveries", "slip_quarters"),
              _input("models.flagship.layers", "multiply"),
              _input("demand.flagship.output_tokens_per_day", "slip_quarters")]
    data = apply_values(base, inputs, [2, 1.26, 3], end)
    assert base["fleet"]["gb300-nvl72"]["deliveries"] == before  # the base is untouched
    assert data["fleet"]["h100-hgx8"] is base["fleet"]["h100-hgx8"]  # untouched parts shared
    assert data["models"]["free-tier"] is base["models"]["free-tier"]
    moved = data["fleet"]["gb300-nvl72"]["deliveries"]
    assert moved == {str(Quarter.parse(q) + 2): v for q, v in before.items()}
    layers = base["models"]["flagship"]["layers"]
    assert data["models"]["flagship"]["layers"] == round(layers * 1.26)
    assert isinstance(data["models"]["flagship"]["layers"], int)
    # a linear series slipped past the horizon end ends with its value there
    demand = base["demand"]["flagship"]["output_tokens_per_day"]
    slipped = data["demand"]["flagship"]["output_tokens_per_day"]
    assert max(slipped, key=Quarter.parse) == str(end)
    xs = [(Quarter.parse(q) + 3).index for q in demand]
    expected_end = np.interp(end.index, xs, list(demand.values()))
    assert slipped[str(end)] == pytest.approx(expected_end)
    validate_sample(data, check_semantics=True)  # still a valid scenario


def test_invalid_sample_raises_sample_error():
    loaded = load_scenario()
    inputs = [_input("systems.tpu-v7-ironwood.usd_per_chip_hour", "set")]
    data = apply_values(base_data(loaded), inputs, [-1.0], loaded.scenario.horizon.end)
    with pytest.raises(SampleError,
                       match=r"systems.tpu-v7-ironwood.usd_per_chip_hour: must be > 0"):
        validate_sample(data, check_semantics=False)
    inputs = [_input("models.flagship.active_params_b", "set")]
    data = apply_values(base_data(loaded), inputs, [1e6], loaded.scenario.horizon.end)
    with pytest.raises(SampleError, match="active parameters"):
        validate_sample(data, check_semantics=True)


@pytest.mark.parametrize("path, op, value", [
    ("economics.serving_efficiency", "multiply", 1.1),
    ("systems.gb300-nvl72.capex.usd_per_chip", "set", 99000.0),
    ("fleet.gb300-nvl72.deliveries", "slip_quarters", 2),
    ("models.flagship.layers", "multiply", 1.26),
    ("demand.flagship.output_tokens_per_day", "multiply", 1.3),
    ("economics.target_margin", "set", 0.5),
])
def test_validating_only_the_changes_equals_a_full_validation(path, op, value):
    loaded = load_scenario()
    base = base_data(loaded)
    data = apply_values(base, [_input(path, op)], [value], loaded.scenario.horizon.end)
    full = validate_sample(data, check_semantics=True)
    quick = validate_sample(data, check_semantics=True, base=(base, loaded.scenario))
    assert quick == full
    section, name = path.split(".")[:2]
    entries = getattr(quick, section)
    if isinstance(entries, dict):  # the untouched entries are the base's own objects
        others = [k for k in entries if k != name]
        assert others and all(entries[k] is getattr(loaded.scenario, section)[k] for k in others)
        assert entries[name] is not getattr(loaded.scenario, section)[name]


def test_validating_only_the_changes_reports_problems_as_the_full_validation():
    loaded = load_scenario()
    base = base_data(loaded)
    inputs = [_input("systems.tpu-v7-ironwood.usd_per_chip_hour", "set")]
    data = apply_values(base, inputs, [-1.0], loaded.scenario.horizon.end)
    with pytest.raises(SampleError) as full:
        validate_sample(data, check_semantics=False)
    with pytest.raises(SampleError) as quick:
        validate_sample(data, check_semantics=False, base=(base, loaded.scenario))
    assert str(quick.value) == str(full.value)
    assert "systems.tpu-v7-ironwood.usd_per_chip_hour: must be > 0" in str(quick.value)
