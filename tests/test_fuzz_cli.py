"""Fuzzing the command line: every command with hostile option values, driven by hypothesis.

Each example invokes one command through click's runner on the small fixture with one to
three options set to hostile values (nan, inf, 1e308, negatives, empty text, quarters that
do not exist, paths that are files or missing folders, control characters, very long text).
The only acceptable outcomes are exit 0, 1 (a run that could not complete, with a message)
or 2 (bad input, with a message): never a traceback, never an exception escaping click.
Bounded by time (FUZZ_SECONDS, default 6 s) and examples (FUZZ_EXAMPLES, default 800).
"""
import os
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli.main import main

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "small.yaml")
BUDGET_S = float(os.environ.get("FUZZ_SECONDS", "6"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "800"))
STATS: Counter = Counter()
STARTED: list[float] = []

HOSTILE = ["nan", "inf", "-inf", "1e308", "-1", "0", "1e-300", "", " ", "x", "2026Q9",
           "2099Q1", "1900Q1", "big-moe", "rack", "nosuch", "\x00", "\n", "é" * 300,
           "9" * 400, "0.5", "1", "2", "png", "out.png", "nodir/x.png", "FILE", "FILE/x"]
# options each command takes a value for (flags are added as they are)
COMMANDS = {
    "run": ["--time-limit", "--gap", "--solver", "--format", "--out"],
    "when": ["--model", "--price-output", "--price-input", "--margin", "--share", "--task"],
    "cost": ["--model", "--system", "--quarter", "--per-task"],
    "pareto": ["--model", "--system", "--quarter", "--plot"],
    "size": ["--system", "--price-input", "--price-output", "--margin", "--quarter", "--plot"],
    "catalog": [],
    "validate": [],
    "show": [],
}
FLAGS = {"run": ["--integer", "--json", "--force"], "when": ["--json"], "cost": ["--json"],
         "pareto": ["--json"], "size": ["--json"], "catalog": ["--json"]}
REQUIRED = {"when": ["--model", "big-moe", "--price-output", "10"],
            "pareto": ["--model", "big-moe"], "size": ["--price-output", "10"]}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzzcli")
    (path / "FILE").write_text("a file")
    return path


def _within_budget() -> bool:
    if not STARTED:
        STARTED.append(time.monotonic())
    return time.monotonic() - STARTED[0] < BUDGET_S


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(command=st.sampled_from(sorted(COMMANDS)), data=st.data())
def test_fuzz_cli_options(workdir, command, data):
    options = COMMANDS[command]
    args = [command, FIXTURE] + REQUIRED.get(command, [])
    if options:
        for option in data.draw(st.lists(st.sampled_from(options), min_size=1, max_size=3)):
            value = data.draw(st.sampled_from(HOSTILE))
            value = str(workdir / value) if value.startswith(("FILE", "nodir", "out")) else value
            args += [option, value]
    args += data.draw(st.lists(st.sampled_from(FLAGS.get(command, ["--help"])), max_size=1))
    if not _within_budget():  # after drawing: hypothesis needs the same draws when it replays
        STATS["skipped (time budget)"] += 1
        return
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1, 2), (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (args, repr(result.exception))
    assert "Traceback" not in result.output, (args, result.output)
    STATS[f"exit {result.exit_code}"] += 1


def teardown_module(module):
    total = sum(v for k, v in STATS.items() if k.startswith("exit"))
    print(f"\nfuzz_cli: {total} executions: " + ", ".join(f"{k}: {v}" for k, v in sorted(STATS.items())))
