"""Bad input is rejected before it reaches the core; edge cases stay finite."""
from dataclasses import replace

import numpy as np
import pydantic
import pytest

from planner.costcore import evaluate, evaluate_grid, examples, model_arrays, system_arrays


def _arrays():
    return (model_arrays({"10t": examples.mythos_10t()}),
            system_arrays({"h": examples.h100_8(), "gb": examples.gb300_nvl72()}))


@pytest.mark.parametrize("field, value", [
    ("hbm_bytes_per_s", [0.0, 8e12]), ("scaleout_bytes_per_s", [np.nan, 1e11]),
    ("hbm_bytes", [np.inf, 1e11]), ("compute_eff", [1.5, 0.5]), ("chips_per_domain", [8.5, 72]),
])
def test_bad_system_arrays_are_rejected(field, value):
    _, systems = _arrays()
    with pytest.raises(ValueError, match=field):
        replace(systems, **{field: value})


@pytest.mark.parametrize("field, value", [
    ("active_params", [0.0]), ("cache_hit", [1.2]), ("layers", [np.nan]),
    ("experts_active", [300.0]), ("flops_precision", [3]),
])
def test_bad_model_arrays_are_rejected(field, value):
    models, _ = _arrays()
    with pytest.raises(ValueError, match=field):
        replace(models, **{field: value})


def test_schema_rejects_zero_bandwidth_and_accepts_missing_architecture():
    with pytest.raises(pydantic.ValidationError):
        examples.system(8, 989, 1979, None, 80, 0.0, 450, 400, 0.7, 2.5)
    data = examples.mythos_10t().model_dump(exclude_none=True)
    del data["hidden_size"]  # optional since issue 15: inferred from the active parameters
    assert type(examples.mythos_10t()).model_validate(data).hidden_size is None


@pytest.mark.parametrize("usd, se", [([[0.0], [1.0]], [1.0]), ([[1.0], [np.nan]], [1.0]),
                                     ([[1.0], [1.0]], [0.0])])
def test_bad_prices_or_serving_efficiency_are_rejected(usd, se):
    models, systems = _arrays()
    with pytest.raises(ValueError):
        evaluate_grid(models, systems, ["2026Q1"], usd, se)


def test_fully_cached_prompts_and_tiny_workloads_stay_finite():
    m = examples.model(8, 8, bits=4, layers=1, experts=None, input_tokens=0.5,
                       output_tokens=0.5, cache_hit=1.0)
    t = evaluate({"m": m, "c": examples.mythos_10t(cache_hit=1.0)},
                 {"g": examples.gb300_nvl72()}, ["2026Q1"], [[2.5]]).table
    numeric = t.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(numeric).all() and t.feasible.all()


def test_empty_inputs_give_empty_tables():
    assert evaluate({}, {"h": examples.h100_8()}, ["2026Q1"], [[1.0]]).table.empty
    assert evaluate({"m": examples.mythos_10t()}, {}, ["2026Q1"], np.zeros((0, 1))).table.empty
