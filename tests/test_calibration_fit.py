"""The fit: deterministic, reproducible from the shipped points, honest about its errors."""
import datetime
import hashlib
import math
import re
from importlib import resources

import numpy as np
import pytest

from planner.calibration import fit, params, report
from planner.calibration.points import load_points
from planner.calibration.predict import load_catalog
from planner.costcore import load_efficiency_table

CATALOG = load_catalog()
MODELS, SYSTEMS = CATALOG
POINTS = load_points(models=MODELS, systems=SYSTEMS)
TABLE = load_efficiency_table()


def _family(name):
    return [p for p in POINTS if p.use and fit.family_of(p, SYSTEMS) == name]


def test_fit_is_deterministic():
    pts = _family("hopper")
    first = fit.fit_family("hopper", pts, MODELS, SYSTEMS)
    second = fit.fit_family("hopper", pts, MODELS, SYSTEMS)
    assert first == second


def test_shipped_parameters_are_the_fit_of_the_shipped_points():
    fits = fit.fit(POINTS, MODELS, SYSTEMS)
    assert set(fits) == {"amd", "ampere", "blackwell", "hopper"}
    for name, result in fits.items():
        shipped = TABLE.family(name)
        got = params.table_from_families({name: result.values}).family(name)
        for key in ("compute", "memory", "comm", "layer_overhead_s", "collective_latency_s",
                    "sequence_overhead_s"):
            assert getattr(got, key) == pytest.approx(getattr(shipped, key), rel=0.02), (name, key)


def test_families_without_points_take_their_proxy_fit():
    for name, (proxy, _) in params.PROXIES.items():
        assert TABLE.family(name) == TABLE.family(proxy), name
    assert set(params.PROXIES) == {"rubin", "tpu", "trainium", "generic"}


def test_proxies_fall_back_to_textbook_without_a_fitted_proxy():
    table = params.table_from_families({"hopper": params.TEXTBOOK["blackwell"]})
    assert table.family("generic") == table.family("hopper")
    book = params.TEXTBOOK["tpu"]
    assert (table.family("tpu").compute, table.family("tpu").comm) == (book["compute"], book["comm"])


def test_shipped_file_records_date_version_and_points_used():
    assert TABLE.version >= 1
    assert datetime.date.fromisoformat(TABLE.date)
    assert TABLE.fitted_on == tuple(p.id for p in POINTS if p.use)
    text = resources.files("planner").joinpath("data/calibration_points.csv").read_text("utf-8")
    assert TABLE.calibration["points_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    raw = resources.files("planner").joinpath("data/efficiency.yaml").read_text("utf-8")
    assert not re.search(r"(^|\s)/(work|home|tmp|Users)/", raw)  # no machine paths


def test_loaded_parameters_reproduce_the_reported_errors():
    cal = report.evaluate(catalog=CATALOG)
    stored = TABLE.calibration
    for row in cal.frame.itertuples(index=False):
        assert row.predicted == pytest.approx(stored["points"][row.id]["predicted"], rel=1e-3), row.id
    for key, _ in report.SUMMARIES:
        got, want = cal.summary[key], stored[key]
        used = [p for p in POINTS if p.use and (not key.startswith("nvidia_")
                                                 or fit.family_of(p, SYSTEMS) in params.NVIDIA)]
        assert got["points"] == want["points"] == len(used)
        assert got["median_factor"] == pytest.approx(want["median_factor"], rel=1e-3), key
        if math.isinf(want["worst_factor"]):
            assert math.isinf(got["worst_factor"]) and got["infeasible"] == want["infeasible"]
        else:
            assert got["worst_factor"] == pytest.approx(want["worst_factor"], rel=1e-3), key
        assert got["worst_point"] == want["worst_point"]


def test_in_sample_and_cross_validated_errors_stay_where_the_refit_put_them():
    """Regression guard on the shipped fit (issue 15 refit with layouts, prefill regime and
    the two LMSYS cross-domain points): NVIDIA median <= 1.12x in sample and <= 1.2x held out
    point by point, worst held out < 2x. Every held-out miss beyond 2x is AMD (8 points, 7
    parameters: gpt-oss on MI325X, Llama-70B on MI355X, R1 on MI300X at 23 tok/s)."""
    s = TABLE.calibration
    assert s["nvidia_in_sample"]["median_factor"] <= 1.12
    assert s["nvidia_leave_one_point_out"]["median_factor"] <= 1.2
    assert s["nvidia_leave_one_point_out"]["worst_factor"] < 2.0
    assert s["leave_one_point_out"]["median_factor"] <= 1.3
    beyond = [i for i, e in s["points"].items()
              if i in TABLE.fitted_on and max(e["loo"], e["measured"]) / min(e["loo"], e["measured"]) > 2]
    assert all(fit.family_of(p, SYSTEMS) == "amd" for p in POINTS if p.id in beyond), beyond
    assert len(beyond) <= 5


@pytest.mark.xfail(strict=True, reason="issue 15 goal not met yet: NVIDIA leave-one-point-out "
                   "median 1.17x, worst 1.77x (ix-gptoss-b200-100, ix-r1-8k1k-b200-42)")
def test_issue_15_nvidia_goal():
    loo = TABLE.calibration["nvidia_leave_one_point_out"]
    assert loo["median_factor"] <= 1.12 and loo["worst_factor"] <= 1.4


def test_cross_validation_holds_points_out():
    pts = _family("ampere")  # two points
    loo = fit.cross_validate(pts, MODELS, SYSTEMS, by="point")
    full = fit.predict(pts, MODELS, SYSTEMS, TABLE).tokens_per_s_per_gpu
    assert np.all(np.isfinite(loo)) and not np.allclose(loo, full)
    # one source only: holding it out leaves no points, so the textbook values predict
    loso = fit.cross_validate(pts, MODELS, SYSTEMS, by="source")
    book = fit.predict(pts, MODELS, SYSTEMS, params.table_from_families({}))
    assert np.allclose(loso, book.tokens_per_s_per_gpu)
    with pytest.raises(ValueError):
        fit.cross_validate(pts, MODELS, SYSTEMS, by="family")


def test_factors_count_infeasible_points_as_infinite_error():
    s = fit.factors([100.0, 50.0, np.nan], [100.0, 100.0, 10.0], ["a", "b", "c"])
    assert s["infeasible"] == ["c"] and math.isinf(s["worst_factor"]) and s["worst_point"] == "c"
    assert s["median_factor"] == pytest.approx(2.0)
