"""Determinism: identical inputs give byte-identical outputs; provenance records the input hash.

Compared: allocation.csv, economics.csv, summary.json, the HTML report and its plots (every
file but timings.json, which holds wall-clock times on purpose), across runs in one process,
across processes with different hash seeds, and across HiGHS and CBC where the optimum is
unique (then only the solver's name and version in the provenance may differ).
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import solver
from planner.cli.main import main
from planner.scenario.loaded import load_scenario

SHORTAGE = ("--set", "demand.small-dense.output_tokens_per_day.2026Q1=1e12")


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def files_of(directory) -> dict[str, bytes]:
    out = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            out[os.path.relpath(path, directory)] = open(path, "rb").read()
    out.pop("timings.json")
    return out


@pytest.mark.parametrize("mode", [(), ("--integer",), ("--exact",), SHORTAGE])
def test_two_runs_are_byte_identical(small_path, tmp_path, mode):
    invoke("run", small_path, *mode, "--out", tmp_path / "a", "-q")
    invoke("run", small_path, *mode, "--out", tmp_path / "b", "-q")
    a, b = files_of(tmp_path / "a"), files_of(tmp_path / "b")
    assert set(a) == {".planner-output", "allocation.csv", "economics.csv", "pnl.csv",
                      "summary.json"}
    assert a == b


def test_report_and_plots_are_byte_identical(small_path, tmp_path):
    invoke("run", small_path, "--out", tmp_path / "a", "--report", "-q")
    invoke("run", small_path, "--out", tmp_path / "b", "--report", "-q")
    a, b = files_of(tmp_path / "a"), files_of(tmp_path / "b")
    assert "report.html" in a and any(name.endswith(".svg") for name in a)
    assert sorted(n for n in a if a[n] != b.get(n)) == []


def test_terminal_report_is_identical_but_for_the_run_time(small_path):
    first = invoke("run", small_path).stdout
    second = invoke("run", small_path).stdout
    mask = re.compile(r"run \d+\.\d+ s")
    assert mask.sub("run T s", first) == mask.sub("run T s", second)


def test_identical_across_processes_and_hash_seeds(small_path, tmp_path):
    """Set/dict order must not leak into outputs: PYTHONHASHSEED changes string hashing."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", "from planner.cli.main import main; main()", "run",
                        small_path, *SHORTAGE, "--out", str(out), "-q"],
                       check=True, env=env, capture_output=True, timeout=120)
        outputs.append(files_of(out))
    assert outputs[0] == outputs[1]


def _same_within(frame_a: pd.DataFrame, frame_b: pd.DataFrame, rtol: float = 1e-6) -> None:
    """Same columns, keys and text; numbers equal to ``rtol`` of their unit's scale."""
    assert list(frame_a.columns) == list(frame_b.columns)
    assert len(frame_a) == len(frame_b)
    for column in frame_a.columns:
        a, b = frame_a[column], frame_b[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            # unmet tokens are compared at the scale of demand (same unit), not of themselves
            unit = next((u for u in ("tokens_per_day", "per_hour") if u in column), column)
            same_unit = [c for c in frame_a.columns if unit in c]
            scale = max(float(np.nanmax(np.abs(frame_a[same_unit].to_numpy(dtype=float)),
                                        initial=0.0)), 1.0)
            assert np.allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True), column
        else:
            assert a.tolist() == b.tolist(), column


@pytest.mark.skipif(not solver.cbc_available(), reason="CBC is not installed")
@pytest.mark.parametrize("mode", [(), SHORTAGE, ("--exact",)])
def test_highs_and_cbc_agree(small_path, tmp_path, mode):
    """The small scenario's optimum is unique (one system; in the shortage the more valuable
    model is served first): both solvers give the same plan, to CBC's printed precision."""
    invoke("run", small_path, *mode, "--solver", "highs", "--out", tmp_path / "h", "-q")
    invoke("run", small_path, *mode, "--solver", "cbc", "--out", tmp_path / "c", "-q")
    for name in ("allocation.csv", "economics.csv"):
        _same_within(pd.read_csv(tmp_path / "h" / name), pd.read_csv(tmp_path / "c" / name))
    sh, sc = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("h", "c"))
    _same_within(pd.DataFrame(sh["utilisation"]), pd.DataFrame(sc["utilisation"]))  # duals too
    assert (sh["provenance"]["solver"]["solver"], sc["provenance"]["solver"]["solver"]) == \
        ("highs", "cbc")
    assert sh["provenance"]["input_sha256"] == sc["provenance"]["input_sha256"]


@pytest.mark.skipif(not solver.cbc_available(), reason="CBC is not installed")
def test_highs_and_cbc_agree_byte_for_byte(small_path, tmp_path):
    invoke("run", small_path, "--solver", "highs", "--out", tmp_path / "h", "-q")
    invoke("run", small_path, "--solver", "cbc", "--out", tmp_path / "c", "-q")
    h, c = files_of(tmp_path / "h"), files_of(tmp_path / "c")
    assert (h["allocation.csv"], h["economics.csv"]) == (c["allocation.csv"], c["economics.csv"])


def test_provenance_records_the_input_hash(small_path, tmp_path):
    out = tmp_path / "out"
    invoke("run", small_path, "--out", out, "-q")
    provenance = json.loads((out / "summary.json").read_text())["provenance"]
    assert provenance["input_sha256"] == load_scenario(small_path).input_sha256
    assert re.fullmatch(r"[0-9a-f]{64}", provenance["input_sha256"])
    assert {"versions", "solver", "scenario", "horizon"} <= set(provenance)


def test_input_hash_ignores_layout_but_not_values(small_path, tmp_path):
    """Comments, key order and number spelling do not change the hash; a value does."""
    text = open(small_path).read()
    relaid = tmp_path / "relaid.yaml"
    body = [line for line in text.splitlines() if not line.startswith("#")]
    moved = [line for line in body if line.startswith("economics:")]
    relaid.write_text("# reordered\n" + "\n".join(moved + [b for b in body if b not in moved])
                      .replace("1.0e9", "1000000000") + "\n")
    assert load_scenario(str(relaid)).input_sha256 == load_scenario(small_path).input_sha256
    changed = load_scenario(small_path, ["demand.big-moe.priority=4"]).input_sha256
    assert changed != load_scenario(small_path).input_sha256
