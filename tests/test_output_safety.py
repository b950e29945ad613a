"""Result directories under hostile conditions: a concurrent writer, --force on folders that
are not earlier results, the working folder, an input file inside --out, --out "" or under
a file, SIGTERM while writing; JSON outputs never hold NaN; --quarter outside the horizon."""
import json
import multiprocessing
import os
import signal

import pytest
from click.testing import CliRunner

import planner.output.files as runfiles
from planner.cli.main import main
from planner.errors import InputError, RunError
from planner.output.atomic import MARKER, atomic_directory
from planner.output.tables import json_text


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def leftovers(parent) -> list[str]:
    return sorted(n for n in os.listdir(parent) if n.startswith(".planner-"))


def test_a_directory_filled_meanwhile_is_kept_and_this_run_fails(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RunError, match="was filled by another process"):
        with atomic_directory(str(out)) as tmp:
            open(os.path.join(tmp, "mine.txt"), "w").close()
            out.mkdir()                                   # the other run finishes first
            (out / "theirs.txt").write_text("kept")
    assert os.listdir(out) == ["theirs.txt"]
    assert leftovers(tmp_path) == []


def test_two_concurrent_runs_one_wins_one_fails(small_path, tmp_path, monkeypatch):
    """The second run's write starts while the first is inside its atomic block."""
    out = tmp_path / "out"
    real_summary = runfiles.summary
    outcome = {}

    def summary_then_race(plan):
        if not outcome:
            outcome["started"] = True
            outcome["inner"] = invoke("run", small_path, "--out", out, "-q")
        return real_summary(plan)

    monkeypatch.setattr(runfiles, "summary", summary_then_race)
    outer = invoke("run", small_path, "--out", out, "-q")
    assert outcome["inner"].exit_code == 0
    assert outer.exit_code == 1 and "was filled by another process" in outer.output
    assert "wrote" not in outer.output
    assert json.loads((out / "summary.json").read_text())["provenance"]
    assert leftovers(tmp_path) == []


def test_force_replaces_only_an_earlier_planner_output(small_path, tmp_path):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    result = invoke("run", small_path, "--out", out, "--force", "-q")
    assert result.exit_code == 2 and f"has no {MARKER} file" in result.output
    assert os.listdir(out) == ["mine.txt"]


def test_force_never_replaces_the_working_directory(small_path, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "scenario.yaml").write_text(open(small_path).read())
    (work / MARKER).write_text("a planted marker")
    monkeypatch.chdir(work)
    for out in (".", str(tmp_path)):
        result = invoke("run", "scenario.yaml", "--out", out, "--force", "-q")
        assert result.exit_code == 2 and "is the working directory or holds it" in result.output
    assert sorted(os.listdir(work)) == [MARKER, "scenario.yaml"]


def test_force_never_replaces_a_directory_holding_an_input(small_path, tmp_path):
    out = tmp_path / "out"
    assert invoke("run", small_path, "--out", out, "-q").exit_code == 0
    (out / "scenario.yaml").write_text(open(small_path).read())
    result = invoke("run", out / "scenario.yaml", "--out", out, "--force", "-q")
    assert result.exit_code == 2 and "holds the input file" in result.output
    assert (out / "scenario.yaml").exists()


@pytest.mark.parametrize("command", [["run"], ["sweep", "--vary", "economics.target_margin=0.3"]])
def test_empty_out_is_refused(small_path, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = invoke(*command[:1], small_path, *command[1:], "--out", "", "-q" if
                    command == ["run"] else "--quiet")
    assert result.exit_code == 2 and "--out: is empty; give a directory name" in result.output
    assert os.listdir(tmp_path) == []


def test_out_under_a_file_names_the_file(small_path, tmp_path):
    (tmp_path / "f").write_text("a file")
    result = invoke("run", small_path, "--out", tmp_path / "f" / "x" / "y", "-q")
    assert result.exit_code == 2 and f"'{tmp_path / 'f'}' is a file, so no directory can be " \
        "made under it" in result.output


def test_sigterm_while_writing_exits_143_and_leaves_nothing(small_path, tmp_path, monkeypatch):
    def terminated(plan):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not interrupt")  # pragma: no cover

    monkeypatch.setattr(runfiles, "summary", terminated)
    out = tmp_path / "out"
    result = invoke("run", small_path, "--out", out, "-q")
    assert result.exit_code == 143 and "terminated; nothing written" in result.output
    assert not out.exists() and leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored after the command


def test_sigterm_stops_sweep_workers(small_path, tmp_path, monkeypatch):
    import planner.sweep.execute as execute

    real = execute._run_pool

    def pool_then_term(job, bounds, workers, bar):
        class Bar:
            def __init__(self):
                self.sent = False

            def update(self, n):
                bar.update(n)
                if not self.sent:
                    self.sent = True
                    os.kill(os.getpid(), signal.SIGTERM)

        return real(job, bounds, workers, Bar())

    monkeypatch.setattr(execute, "_run_pool", pool_then_term)
    out = tmp_path / "sweep"
    grid = ",".join(str(m / 100) for m in range(10, 70, 2))
    result = invoke("sweep", small_path, "--vary", f"economics.target_margin={grid}",
                    "--workers", "2", "--out", out, "--quiet")
    assert result.exit_code == 143, result.output
    assert multiprocessing.active_children() == []
    assert not out.exists() and leftovers(tmp_path) == []


def test_json_text_never_writes_nan():
    text = json_text({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5]})
    assert json.loads(text) == {"a": None, "b": [None, None, 1.5]}


def strict_json(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("args", [["run", "--json"], ["cost", "--json"],
                                  ["pareto", "--model", "big-moe", "--json"],
                                  ["when", "--model", "big-moe", "--price-output", "10", "--json"],
                                  ["catalog", "--json"]])
def test_every_json_output_is_strict_json(small_path, args):
    result = invoke(args[0], small_path, *args[1:])
    assert result.exit_code == 0, result.output
    strict_json(result.stdout)


def test_cost_quarter_outside_the_horizon_is_refused(small_path):
    result = invoke("cost", small_path, "--quarter", "2035Q1", "--quarter", "2025Q4")
    assert result.exit_code == 2
    assert "--quarter: 2035Q1: outside the horizon 2026Q1-2026Q4" in result.output
    assert "2 problems found" in result.output
    assert invoke("pareto", small_path, "--model", "big-moe", "--quarter", "2030Q1").exit_code == 2


def test_cost_before_a_system_is_available_says_so(small_path):
    rows = strict_json(invoke("cost", small_path, "--json", "--quarter", "2026Q1",
                              "--set", "systems.rack.available_from=2026Q3",
                              "--set", "fleet.rack.deliveries.2026Q1=null").stdout)
    assert rows and all(not r["available"] for r in rows)
    assert {r["reason"] for r in rows if r["feasible"]} == {"not available before 2026Q3"}
    later = strict_json(invoke("cost", small_path, "--json", "--quarter", "2026Q3").stdout)
    assert all(r["available"] for r in later) and "" in {r["reason"] for r in later}


def test_atomic_directory_refuses_empty_name():
    with pytest.raises(InputError, match="is empty"):
        with atomic_directory("  "):
            pass


def test_tampered_summary_with_duplicate_records_is_an_input_error(small_path, tmp_path):
    out = tmp_path / "run"
    assert invoke("run", small_path, "--out", out, "-q").exit_code == 0
    data = json.loads((out / "summary.json").read_text())
    data["economics"].append(data["economics"][0])
    (out / "summary.json").write_text(json.dumps(data))
    result = invoke("report", out, "--quiet")
    assert result.exit_code == 2 and "economics: two records for model=small-dense, " \
        "quarter=2026Q1" in result.output
    assert not (out / "report.html").exists()


def test_fuzzed_summary_never_crashes_the_report(small_path, tmp_path, monkeypatch):
    """Bounded mutation fuzzing of summary.json: every case renders or exits 2."""
    import copy
    import random

    import planner.plots as plots

    def layout_only(fig, fmt, close=True):
        if close:
            import matplotlib.pyplot as plt

            plt.close(fig)
        return b""

    monkeypatch.setattr(plots, "render", layout_only)
    out = tmp_path / "run"
    assert invoke("run", small_path, "--out", out, "-q").exit_code == 0
    original = json.loads((out / "summary.json").read_text())
    values = [None, "x", -1, 0, 1e308, [], {}, True, "2026Q9", "", -1e9]
    rng = random.Random(16)
    outcomes = {0: 0, 2: 0}
    for case in range(25):
        data = copy.deepcopy(original)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(["economics", "allocation", "utilisation", "provenance"])
            part = data[key]
            if isinstance(part, dict):
                part[rng.choice(list(part))] = rng.choice(values)
            elif part:
                record = rng.choice(part)
                column = rng.choice(list(record))
                if rng.random() < 0.8:
                    record[column] = rng.choice(values)
                else:
                    part.append(copy.deepcopy(record))
        (out / "summary.json").write_text(json.dumps(data))
        result = invoke("report", out, "--quiet", "--force")
        assert result.exit_code in outcomes and "Traceback" not in result.output, \
            (case, result.output, result.exception)
        outcomes[result.exit_code] += 1
    assert outcomes[2] > 0


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_ids_that_spreadsheets_run_as_formulas_are_neutralised(small_path, tmp_path):
    import zipfile

    (tmp_path / "small.yaml").write_text(open(small_path).read())
    scenario = tmp_path / "evil.yaml"
    scenario.write_text("extends: small.yaml\nmodels:\n  big-moe: null\n"
                        "  '=HYPERLINK(\"http://x\")':\n    tier: flagship\n"
                        "    total_params_b: 400\n    active_params_b: 20\n    weight_bits: 8\n"
                        "    kv_bytes_per_token: 70000\n    experts: {total: 128, active: 4}\n"
                        "    slo: {min_output_tokens_per_s: 20, max_ttft_s: 10}\n"
                        "    workload: {input_tokens: 2000, output_tokens: 500, cache_hit: 0.5}\n"
                        "demand:\n  big-moe: null\n  '=HYPERLINK(\"http://x\")':\n"
                        "    output_tokens_per_day: {2026Q1: 1.0e9}\n"
                        "    price_usd_per_m: {input: 3, output: 15}\n")
    out = tmp_path / "out"
    result = invoke("run", scenario, "--out", out, "--format", "csv", "--format", "xlsx",
                    "--report", "-q")
    assert result.exit_code == 0, result.output
    import csv

    for name in ("economics.csv", "allocation.csv", "utilisation.csv", "pareto.csv"):
        with open(out / name, newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "@", "+")], name
        assert not [c for c in cells if c.startswith("-") and not _number(c)], name
    assert "'=HYPERLINK" in (out / "economics.csv").read_text()
    with zipfile.ZipFile(out / "tables.xlsx") as book:
        sheets = "".join(book.read(n).decode() for n in book.namelist() if "worksheets" in n)
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in \
            book.namelist() else ""
    assert "<f>" not in sheets                      # no cell holds a formula
    assert "'=HYPERLINK" in sheets + shared
    # the report reads the guarded pareto.csv back under the real id
    assert invoke("report", out, "--force", "--quiet").exit_code == 0


@pytest.mark.parametrize("factor", [1e-6, 1e-3, 1e3, 1e4])
def test_plans_stay_right_across_demand_scales(small_path, tmp_path, factor):
    """Demand scaled from 1e-6 to 1e4 of the fixture: ample capacity serves everything; a
    shortage fills the fleet (never 0 % served on an idle fleet)."""
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "scaled.yaml"
    path.write_text("extends: small.yaml\ndemand:\n"
                    f"  small-dense: {{output_tokens_per_day: {{2026Q1: {1e9 * factor:g}}}}}\n"
                    f"  big-moe: {{output_tokens_per_day: {{2026Q1: {1e9 * factor:g}, "
                    f"2026Q4: {4e9 * factor:g}}}}}\n")
    summary = strict_json(invoke("run", path, "--json", "-q").stdout)
    served = [r["served_fraction"] for r in summary["economics"]]
    used = sum(r["used_chips"] for r in summary["utilisation"])
    capacity = sum(r["capacity_chips"] for r in summary["utilisation"])
    if factor < 1:
        assert served == pytest.approx([1.0] * len(served), abs=1e-9)
        assert used < capacity * factor * 10
    else:
        assert used == pytest.approx(capacity, rel=1e-9)
        by_quarter = {}
        for r in summary["economics"]:
            by_quarter[r["quarter"]] = by_quarter.get(r["quarter"], 0) + \
                r["served_output_tokens_per_day"]
        assert all(v > 0 for v in by_quarter.values()) and max(served) < 1
    assert not any("below the LP's resolution" in w
                   for w in summary["provenance"]["solver"]["warnings"])


def test_demand_below_the_lp_resolution_is_warned(small_path, tmp_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "tiny.yaml"
    path.write_text("extends: small.yaml\ndemand:\n  big-moe:\n"
                    "    output_tokens_per_day: {2026Q1: 1, 2026Q4: 1}\n")
    result = invoke("run", path, "--json", "-q")
    assert result.exit_code == 0
    assert "warning: demand below the LP's resolution (24 tokens/day) for big-moe 2026Q1 " \
        "(1 tokens/day)" in result.stderr
    assert any("below the LP's resolution" in w for w in
               strict_json(result.stdout)["provenance"]["solver"]["warnings"])


def test_a_run_with_stdout_closed_writes_its_files(small_path, tmp_path):
    """`planner run ... >&-`: no stdout at all is no traceback (the HiGHS banner guard once
    flushed a None sys.stdout); the files are written and the exit code is 0."""
    import subprocess
    import sys

    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", "from planner.cli.main import main; main()",
                           "run", small_path, "--out", str(out)],
                          preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and (out / "summary.json").exists()
