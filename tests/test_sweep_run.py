"""Whole sweeps: zero variance equals the single run, executors agree, summaries, the CLI."""
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import RunError
from planner.run.plan import make_plan
from planner.scenario.loaded import load_scenario
from planner.sweep.aggregate import quantile_table, tornado_table, when_table
from planner.sweep.run import run_sweep
from planner.sweep.spec import spec_from_scenario

SPEC = """\
name: sweep-test
extends: default
uncertainty:
  seed: 7
  samples: 12
  vary:
    - path: fleet.gb300-nvl72.deliveries
      name: gb300 slip
      slip_quarters: {uniform_int: [0, 2]}
    - path: demand.flagship.output_tokens_per_day
      name: flagship demand
      multiply: {lognormal: {median: 1.2, sigma: 0.4}}
    - path: systems.tpu-v7-ironwood.usd_per_chip_hour
      name: tpu price
      set: {triangular: [1.3, 1.6, 2.2]}
    - path: economics.serving_efficiency
      name: efficiency
      multiply: {normal: {mean: 1.0, sd: 0.1}}
"""

ZERO = """\
name: zero-variance
extends: default
uncertainty:
  seed: 1
  samples: 3
  vary:
    - path: fleet.gb300-nvl72.deliveries
      slip_quarters: {uniform_int: [0, 0]}
    - path: demand.flagship.output_tokens_per_day
      multiply: {lognormal: {median: 1.0, sigma: 0.0}}
    - path: systems.tpu-v7-ironwood.usd_per_chip_hour
      set: {triangular: [1.6, 1.6, 1.6]}
    - path: economics.serving_efficiency
      multiply: {normal: {mean: 1.0, sd: 0.0}}
"""

FIELDS = ("values", "ok", "served_fraction", "cost", "margin", "when", "served_share",
          "horizon_margin", "fleet_margin")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "s.yaml"
    path.write_text(SPEC)
    return load_scenario(str(path))


@pytest.fixture(scope="module")
def serial(loaded):
    return run_sweep(loaded, spec_from_scenario(loaded), workers=1)


def assert_same(a, b):
    for field in FIELDS:
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True), field
    assert a.errors == b.errors


def test_zero_variance_sweep_equals_the_single_run(write):
    loaded = load_scenario(write(ZERO))
    result = run_sweep(loaded, spec_from_scenario(loaded), workers=1)
    assert result.ok.all() and result.n == 3
    e = make_plan(loaded).economics
    for k, model in enumerate(result.models):
        rows = e[e["model"] == model]
        for column, values in (("served_fraction", result.served_fraction),
                               ("cost_usd_per_m_output_all_in", result.cost),
                               ("gross_margin", result.margin)):
            expected = rows[column].to_numpy(dtype=float)
            for i in range(result.n):
                np.testing.assert_allclose(values[i, k], expected, rtol=1e-9, atol=1e-12,
                                           err_msg=f"{model} {column}")
    # every sample is the same, so every quantile is the single run's number
    q = quantile_table(result)
    assert np.array_equal(q["gross_margin_p10"].to_numpy(), q["gross_margin_p90"].to_numpy(),
                          equal_nan=True)


def test_same_seed_same_results_with_one_or_two_workers(loaded, serial):
    assert serial.ok.all() and serial.info["executor"] == "local"
    pool = run_sweep(loaded, spec_from_scenario(loaded), workers=2)
    assert pool.info["executor"] == "processes" and pool.info["workers"] == 2
    assert_same(serial, pool)
    other_seed = run_sweep(loaded, spec_from_scenario(loaded, samples=4, seed=8), workers=1)
    assert not np.array_equal(other_seed.values, serial.values[:4])


def test_same_results_on_a_dask_cluster(loaded, serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = run_sweep(loaded, spec_from_scenario(loaded), dask=client)
    assert result.info["executor"] == "dask" and result.info["workers"] == 2
    assert_same(serial, result)


def test_quantiles_are_ordered(serial):
    q = quantile_table(serial)
    assert len(q) == len(serial.models) * len(serial.quarters)
    for name in ("served_fraction", "cost_usd_per_m_output_all_in", "gross_margin"):
        p10, p50, p90 = (q[f"{name}_{p}"].to_numpy() for p in ("p10", "p50", "p90"))
        finite = np.isfinite(p10)
        assert (p10[finite] <= p50[finite]).all() and (p50[finite] <= p90[finite]).all(), name
    served = q[["served_fraction_p10", "served_fraction_p90"]]
    assert (served["served_fraction_p10"].dropna() >= 0).all()
    assert (served["served_fraction_p90"].dropna() <= 1 + 1e-9).all()
    # a quarter without demand has no served share (not a phantom 100 %)
    assert served.isna().any(axis=None)
    order = {quarter: i for i, quarter in enumerate(serial.quarters + ("never",))}
    for row in when_table(serial).itertuples(index=False):
        assert order[row.when_p10] <= order[row.when_p50] <= order[row.when_p90]


def test_tornado_ranks_the_input_that_drives_the_outcome(write):
    """Flagship demand x 0.2-5 dominates when flagship can be fully served."""
    text = SPEC.replace("multiply: {lognormal: {median: 1.2, sigma: 0.4}}",
                        "multiply: {uniform: [0.2, 5.0]}").replace("samples: 12", "samples: 120")
    loaded = load_scenario(write(text))
    result = run_sweep(loaded, spec_from_scenario(loaded), workers=1)
    t = tornado_table(result)
    assert (t["n_low"] >= 10).all() and (t["n_high"] >= 10).all() and (t["note"] == "").all()
    flagship = t[t["output"] == "when:flagship"].set_index("input")
    assert flagship["swing"].abs().idxmax() == "flagship demand"
    assert flagship.loc["flagship demand", "swing"] > 0  # more demand: served later
    assert set(t["output"]) >= {"margin:all", "when:flagship", "margin:flagship"}


def test_failed_samples_are_reported_and_the_sweep_goes_on(write):
    text = SPEC.replace("set: {triangular: [1.3, 1.6, 2.2]}", "set: {normal: {mean: 0.3, sd: 1.0}}")
    loaded = load_scenario(write(text))
    result = run_sweep(loaded, spec_from_scenario(loaded), workers=2)
    failed = np.flatnonzero(~result.ok)
    assert 0 < len(failed) < result.n
    tpu = [i.name for i in result.spec.inputs].index("tpu price")
    for i in failed:
        assert result.values[i, tpu] <= 0
        assert "usd_per_chip_hour: must be > 0" in result.errors[int(i)]
    assert np.isnan(result.margin[failed]).all()
    assert np.isfinite(result.fleet_margin[result.ok]).all()
    runner = CliRunner()
    out = runner.invoke(main, ["sweep", loaded.doc.where(("name",))[0], "--workers", "1",
                               "--json", "--quiet"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["failed"] == len(failed)
    first = payload["failures"][0]
    assert first["sample"] == failed[0] and first["parameters"]["tpu price"] <= 0


def test_all_samples_failing_is_a_run_error(write):
    text = SPEC.replace("set: {triangular: [1.3, 1.6, 2.2]}", "set: {uniform: [-2, -1]}")
    loaded = load_scenario(write(text))
    with pytest.raises(RunError, match="all 12 samples failed"):
        run_sweep(loaded, spec_from_scenario(loaded), workers=1)


def test_cli_sweep_writes_the_result_directory(loaded, tmp_path):
    out_dir = tmp_path / "sweep"
    path = loaded.doc.where(("name",))[0]
    result = CliRunner().invoke(main, ["sweep", path, "--samples", "6", "--workers", "1",
                                       "--out", str(out_dir), "--model", "flagship"])
    assert result.exit_code == 0, result.output
    assert "P10 / P50 / P90" in result.stdout and "when:flagship" in result.stdout
    names = set(os.listdir(out_dir))
    assert names == {"samples.csv", "quantiles.csv", "when.csv", "tornado.csv", "failures.csv",
                     "sample_economics.csv", "summary.json", "timings.json", "tornado.png",
                     "tornado.svg", ".planner-output"}
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["samples"] == 6 and summary["tornado_focus"] == "flagship"
    assert "timings_s" not in summary and "wall_s" not in summary["execution"]
    assert json.loads((out_dir / "timings.json").read_text())["wall_s"] > 0
    first = (out_dir / "summary.json").read_bytes()
    replaced = CliRunner().invoke(main, ["sweep", path, "--samples", "6", "--workers", "1",
                                         "--out", str(out_dir), "--model", "flagship", "--force"])
    assert replaced.exit_code == 0, replaced.output
    assert (out_dir / "summary.json").read_bytes() == first   # wall times are in timings.json
    again = CliRunner().invoke(main, ["sweep", path, "--samples", "2", "--out", str(out_dir)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_cli_grid_and_usage_errors():
    runner = CliRunner()
    out = runner.invoke(main, ["sweep", "--vary", "economics.target_margin=0.3,0.6",
                               "--vary", "fleet.gb300-nvl72.deliveries:slip_quarters=0,2",
                               "--workers", "1", "--json", "--quiet"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["mode"] == "grid" and payload["samples"] == 4 and payload["seed"] is None
    bad = runner.invoke(main, ["sweep", "--vary", "economics.target_margn=0.3"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "--vary:1: economics.target_margn: no key 'target_margn' in economics; did you mean " \
           "'target_margin'?" in bad.output
    none = runner.invoke(main, ["sweep"])
    assert none.exit_code == 2 and "no `uncertainty:` section" in none.output


def test_cli_invalid_spec_reports_file_and_line(write):
    path = write(SPEC.replace("sd: 0.1", "sd: -0.1"))
    out = CliRunner().invoke(main, ["sweep", path])
    assert out.exit_code == 2 and "Traceback" not in out.output
    line = SPEC.splitlines().index("      multiply: {normal: {mean: 1.0, sd: 0.1}}") + 1
    assert f"{path}:{line}: uncertainty.vary.3.multiply.normal.sd: must be >= 0, got -0.1" \
        in out.output


def test_cli_dask_address(loaded, serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        out = CliRunner().invoke(main, ["sweep", loaded.doc.where(("name",))[0], "--dask",
                                        cluster.scheduler_address, "--json", "--quiet"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["execution"]["executor"] == "dask" and payload["ok"] == serial.n
    assert payload["quantiles"] == json.loads(json.dumps(
        __import__("planner.output.tables", fromlist=["to_records"]).to_records(quantile_table(serial))))


def test_dask_without_the_extra_is_a_clear_usage_error(loaded, monkeypatch):
    import sys

    from planner.errors import InputError

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(InputError, match=r"needs Dask: install it with pip install "
                                         r"'fleet-planner\[dask\]'"):
        run_sweep(loaded, spec_from_scenario(loaded, samples=2), dask="tcp://127.0.0.1:8786")
