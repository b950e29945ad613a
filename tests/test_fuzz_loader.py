"""Fuzzing the scenario loader: mutated scenario files and --set values, driven by hypothesis.

The target is ``planner.scenario.loaded.load_scenario`` (read, parse, compose, validate, check). The
only acceptable failure is ``InputError`` (a clean validation error, exit code 2) whose
problems are each one line; any other exception, a hang or a multi-line message is a bug.

Inputs are mutations of real scenario text (the small fixture, a child extending it, one
extending the embedded default, one using anchors and merge keys): byte flips, deleted/duplicated/swapped lines, indentation
shifts, tabs, truncation, random keys and hostile values (NaN, huge numbers, tags, anchors,
dates, unicode), plus raw random bytes and text. The run is bounded by example count and by
time (FUZZ_SECONDS, default 6 s per target; FUZZ_EXAMPLES, default 800), so CI stays fast; the number of executions
and how they ended is printed at the end of the module.

The examples are derandomized (the same every run, tests/conftest.py), so the suite passes or
fails on the code alone; ``FUZZ_RANDOM=1`` draws new ones, for exploring with a larger budget, e.g.
``FUZZ_RANDOM=1 FUZZ_SECONDS=300 FUZZ_EXAMPLES=100000 pytest tests/test_fuzz_loader.py``.
What such a run finds goes into ``REGRESSIONS`` below.
"""
import contextlib
import os
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.scenario.loaded import load_scenario

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "small.yaml")
BUDGET_S = float(os.environ.get("FUZZ_SECONDS", "6"))       # per target
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "800"))      # per target
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

STATS: Counter = Counter()
STARTED: dict[str, float] = {}

SMALL_TEXT = open(FIXTURE, "rb").read()
CHILD_TEXT = b"""name: child
extends: small.yaml
horizon: {start: 2026Q1, end: 2026Q4}
systems:
  rack:
    usd_per_chip_hour: 2.5
    chip: {hbm_gb: 120}
fleet:
  rack:
    deliveries: {2026Q2: 400}
models:
  big-moe:
    experts: {total: 128, active: 4}
demand:
  big-moe:
    output_tokens_per_day: {2026Q1: 2.0e9}
    price_usd_per_m: {input: 3, output: 15}
"""
DEFAULT_CHILD_TEXT = b"""name: over-default
extends: default
economics: {target_margin: 0.3}
"""
ANCHOR_TEXT = b"""name: anchors
extends: small.yaml
systems:
  rack: &rack
    chips_per_domain: 8
    chip: &chip {bf16_tflops: 1000, fp8_tflops: 2000, hbm_gb: 100, hbm_tbps: 4.0,
                 scaleup_gbps: 450, scaleout_gbps: 400, power_kw: 1.0}
    usd_per_chip_hour: 2.0
    available_from: 2026Q1
  rack-big:
    <<: *rack
    chip: {<<: *chip, hbm_gb: 200}
    usd_per_chip_hour: 3.0
fleet:
  rack-big: {deliveries: {2026Q2: 100}}
"""
BASES = [SMALL_TEXT, CHILD_TEXT, DEFAULT_CHILD_TEXT, ANCHOR_TEXT]

KEYS = ["name", "extends", "horizon", "start", "end", "systems", "rack", "chip", "fleet",
        "deliveries", "models", "big-moe", "small-dense", "demand", "experts", "total", "active",
        "usd_per_chip_hour", "hbm_gb", "total_params_b", "active_params_b", "economics",
        "target_margin", "priority", "source", "<<", "2026Q1", "2026Q5", "2026", "x" * 300]
VALUES = ["0", "-1", "1e400", "-1e400", ".nan", ".inf", "1e300", "9" * 400, "1" * 5000, "yes",
          "~", "null", "[]", "{}", "[1, [2, [3]]]", "{a: {b: {c: 1}}}", "2026-01-01", "2026Q5",
          "2026Q1", "2026", "&a 1", "*a", "*undefined", "!!python/object/apply:os.system [ls]",
          "!!binary aGk=", "!!set {a}", "!include x.yaml", "'quoted", '"\\ud800"', "\t1",
          "default", "../fixtures/small.yaml", "small.yaml", "[" * 100 + "]" * 100,
          "[" * 3000 + "]" * 3000, "{a: " * 500 + "1" + "}" * 500, "<<: *chip", "*rack",
          "<script>alert(1)</script>", "%s %(x)s {0} {x}", "\u202egnp.exe", "0x1F", "0o17",
          "1_000", "1:30", "+.5", "-.0"]


@st.composite
def mutated(draw) -> bytes:
    """A base scenario with 1-4 random mutations."""
    data = bytearray(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        lines = bytes(data).split(b"\n")
        op = draw(st.sampled_from(["flip", "delete", "duplicate", "swap", "insert", "value",
                                   "unicode", "truncate", "indent", "tab"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if op == "flip" and data:
            pos = draw(st.integers(0, len(data) - 1))
            data[pos] = draw(st.integers(0, 255))
            continue
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            indent = b" " * draw(st.sampled_from([0, 2, 4, 6, 1, 3]))
            key = draw(st.sampled_from(KEYS)).encode()
            value = draw(st.sampled_from(VALUES + [""])).encode("utf-8", "surrogatepass")
            lines.insert(i, indent + key + b": " + value)
        elif op == "value" and b": " in lines[i]:
            head = lines[i].split(b": ", 1)[0]
            lines[i] = head + b": " + draw(st.sampled_from(VALUES)).encode()
        elif op == "unicode":
            text = draw(st.text(max_size=20)).encode("utf-8", "surrogatepass")
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + text + lines[i][pos:]
        elif op == "truncate":
            return bytes(data[:draw(st.integers(0, len(data)))])
        elif op == "indent":
            shift = draw(st.integers(-3, 3))
            lines[i] = (b" " * shift + lines[i]) if shift > 0 else lines[i][-shift:]
        elif op == "tab":
            lines[i] = b"\t" + lines[i]
        data = bytearray(b"\n".join(lines))
    return bytes(data)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, request):
    path = tmp_path_factory.mktemp("fuzz")
    (path / "small.yaml").write_bytes(SMALL_TEXT)
    yield path
    lines = [f"fuzz_loader {target}: {STATS[target, 'executions']} executions in "
             f"{STATS[target, 'seconds']:.1f} s: {STATS[target, 'valid']} valid, "
             f"{STATS[target, 'input_error']} clean input errors, {STATS[target, 'crash']} crashes"
             for target in sorted(STARTED)]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else _nothing():
        print("\n" + "\n".join(lines))


@contextlib.contextmanager
def _nothing():
    yield


def run_target(workdir, text: bytes | None, overrides: list[str] = (), target: str = "") -> None:
    """Load ``text`` (or the fixture with ``overrides``); only a clean InputError may escape."""
    start = time.perf_counter()
    STARTED.setdefault(target, start)
    if start - STARTED[target] > BUDGET_S:
        return  # time budget of this target spent: the remaining examples are skipped
    path = workdir / "case.yaml"
    if text is not None:
        path.write_bytes(text)
    try:
        load_scenario(str(path) if text is not None else str(workdir / "small.yaml"),
                      list(overrides))
        STATS[target, "valid"] += 1
    except InputError as exc:
        STATS[target, "input_error"] += 1
        assert exc.problems
        for problem in exc.problems:
            shown = str(problem)
            assert "\n" not in shown and "\r" not in shown, shown
            assert "Traceback" not in shown
    except BaseException:
        STATS[target, "crash"] += 1
        raise
    finally:
        STATS[target, "executions"] += 1
        STATS[target, "seconds"] += time.perf_counter() - start


@FUZZ
@given(text=mutated())
def test_fuzz_mutated_scenarios(workdir, text):
    run_target(workdir, text, target="mutated")


@FUZZ
@given(text=st.one_of(st.binary(max_size=2000),
                      st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_fuzz_random_bytes_and_text(workdir, text):
    run_target(workdir, text, target="random")


_set_keys = st.lists(st.sampled_from(KEYS + ["", '"a.b"', "economics", "fleet.rack"]),
                     min_size=0, max_size=4).map(".".join)


@FUZZ
@given(key=_set_keys, sep=st.sampled_from(["=", "==", ""]),
       value=st.one_of(st.sampled_from(VALUES), st.text(max_size=30)))
def test_fuzz_set_overrides(workdir, key, sep, value):
    run_target(workdir, None, [f"{key}{sep}{value}"], target="set")


# Inputs that once crashed the loader (found by the fuzzers above), kept as plain cases.
REGRESSIONS = [
    # a scenario over the default whose demand or models are not mappings crashed the
    # default's tier elasticities before validation could report it
    DEFAULT_CHILD_TEXT + b"demand: oops\n",
    DEFAULT_CHILD_TEXT + b"models: [1]\ndemand:\n  flagship: 3\n",
    DEFAULT_CHILD_TEXT + b"models:\n  flagship: {tier: [1]}\n",
]


@pytest.mark.parametrize("text", REGRESSIONS)
def test_fuzz_regressions(workdir, text):
    with pytest.raises(InputError):
        load_scenario(str(_write(workdir, text)))


def _write(workdir, text: bytes):
    path = workdir / "regression.yaml"
    path.write_bytes(text)
    return path
