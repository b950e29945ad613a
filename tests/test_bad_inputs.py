"""The bad-input catalogue: every malformed scenario gives its exact one-line errors and exit 2.

Static cases live in tests/bad_inputs/ (one file each, expected lines in expected.yaml); cases
that need the file system (missing, binary, unreadable, a pipe, too large) are made here.
Each runs through the real CLI (click's CliRunner) from the case's directory, so the file
names printed are stable: never a traceback, never a partial output directory.
"""
import html
import json
import os
import stat
import time
import tracemalloc

import pytest
import yaml
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import InputError
from planner.scenario import yamlload
from planner.scenario.loaded import load_scenario

BAD = os.path.join(os.path.dirname(__file__), "bad_inputs")
with open(os.path.join(BAD, "expected.yaml"), encoding="utf-8") as _handle:
    EXPECTED: dict[str, list[str]] = yaml.safe_load(_handle)
CASES = sorted(EXPECTED)


def summary_line(n: int) -> str:
    return f"{n} problem{'s' if n != 1 else ''} found; nothing was run or written."


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_clean_exit_2(result, expected: list[str]) -> None:
    assert "Traceback" not in result.output, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == expected + [summary_line(len(expected))]


def test_catalogue_is_complete():
    files = {f for f in os.listdir(BAD) if f.endswith(".yaml") and f != "expected.yaml"}
    assert files == set(EXPECTED), "every case file needs its expected lines and vice versa"
    assert len(CASES) >= 40
    for lines in EXPECTED.values():
        assert lines and all("\n" not in line for line in lines)


@pytest.mark.parametrize("case", CASES)
def test_validate_bad_input(case, monkeypatch):
    monkeypatch.chdir(BAD)
    assert_clean_exit_2(invoke("validate", case), EXPECTED[case])


@pytest.mark.parametrize("case", CASES)
def test_run_bad_input_writes_nothing(case, monkeypatch, tmp_path):
    monkeypatch.chdir(BAD)
    out = tmp_path / "out"
    assert_clean_exit_2(invoke("run", case, "--out", str(out)), EXPECTED[case])
    assert not out.exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("case", ["tag_python_object.yaml", "billion_laughs.yaml",
                                  "syntax_tab_indent.yaml", "unknown_model.yaml"])
@pytest.mark.parametrize("command", ["show", "catalog", "cost"])
def test_other_commands_stop_the_same_way(case, command, monkeypatch):
    monkeypatch.chdir(BAD)
    assert_clean_exit_2(invoke(command, case), EXPECTED[case])


def test_validate_reports_every_file_at_once(monkeypatch):
    monkeypatch.chdir(BAD)
    cases = ["negative_price.yaml", "tag_set.yaml", "unknown_system.yaml"]
    result = invoke("validate", *cases)
    assert_clean_exit_2(result, [line for c in cases for line in EXPECTED[c]])


def test_no_object_is_constructed_from_tags(monkeypatch, tmp_path):
    """The python/object tag would run os.system; nothing may be called."""
    import os as os_module

    calls = []
    monkeypatch.setattr(os_module, "system", lambda *a: calls.append(a) or 0)
    monkeypatch.chdir(BAD)
    for case in ("tag_python_object.yaml", "tag_python_name.yaml"):
        with pytest.raises(InputError):
            load_scenario(case)
    assert calls == []


# ----------------------------------------------------------------------------- bombs
@pytest.mark.parametrize("case", ["billion_laughs.yaml", "merge_key_bomb.yaml",
                                  "deep_nesting.yaml", "deep_mapping.yaml", "recursive_alias.yaml"])
def test_expansion_bombs_are_bounded_in_time_and_memory(case):
    path = os.path.join(BAD, case)
    start = time.perf_counter()
    with pytest.raises(InputError, match="document is too large"):
        load_scenario(path)
    assert time.perf_counter() - start < 2.0
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            load_scenario(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MiB"


def test_bounds_hold_for_the_set_option_too(small_path):
    deep = "[" * 300 + "]" * 300
    laughs = "[" + ", ".join(["&a [x, x, x, x, x, x, x, x, x, x]"] + ["*a"] * 9) + "]"
    with pytest.raises(InputError, match=r"--set:1: name: document is too large"):
        load_scenario(small_path, [f"name={deep}"])
    with pytest.raises(InputError, match=r"--set:1: name: YAML tag !!python/object/apply"):
        load_scenario(small_path, ["name=!!python/object/apply:os.system [ls]"])
    with pytest.raises(InputError, match=r"name: expected text, got a list"):
        load_scenario(small_path, [f"name={laughs}"])


# ----------------------------------------------------------------------------- generated cases
def _generated(tmp_path) -> dict[str, tuple[bytes | None, list[str]]]:
    """name -> (content to write, or None when the case makes the file itself; expected lines)."""
    return {
        "binary.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
                        ["binary.yaml: file is binary, not YAML text"]),
        "latin1.yaml": ("name: caf\u00e9\nhorizon: {start: 2026Q1, end: 2026Q4}\n".encode("latin-1"),
                        ["latin1.yaml:1: file is not UTF-8 text (byte 0xe9); save it as UTF-8"]),
        "utf16.yaml": ("name: x\n".encode("utf-16"),
                       ["utf16.yaml: file is binary, not YAML text"]),
        "control_char.yaml": (b"name: t\nhorizon: {start: 2026Q1, end: 2026Q4}\nnotes: bell\x07\n",
                              ["control_char.yaml:3: character U+0007 is not allowed in YAML text "
                               "(a control character); remove it"]),
        "nul_in_text.yaml": (b"name: t\x00\n", ["nul_in_text.yaml: file is binary, not YAML text"]),
        "too_large.yaml": (b"name: t\nnotes: '" + b"x" * (yamlload.MAX_BYTES + 10) + b"'\n",
                           ["too_large.yaml: file is larger than 2 MiB; a scenario is a few hundred kB"]),
        "whitespace_only.yaml": (b"  \n\n   \n", ["whitespace_only.yaml: file is empty; a scenario "
                                                "needs at least `name:` and `horizon:` (or `extends:`)"]),
        "does_not_exist.yaml": (None, ["does_not_exist.yaml: file not found"]),
    }


@pytest.mark.parametrize("name", sorted(_generated(None)))
def test_generated_bad_file(name, tmp_path, monkeypatch):
    content, expected = _generated(tmp_path)[name]
    if content is not None:
        (tmp_path / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    assert_clean_exit_2(invoke("validate", name), expected)


def test_fifo_is_refused_without_blocking(tmp_path, monkeypatch):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(tmp_path / "pipe.yaml")
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    result = invoke("validate", "pipe.yaml")
    assert time.perf_counter() - start < 2.0
    assert_clean_exit_2(result, ["pipe.yaml: is not a regular file (a pipe or device?); give a "
                                 "scenario file"])


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.yaml"
    path.write_text("name: t\n")
    if os.geteuid() == 0:  # root reads anything: simulate the refusal at the open call
        real_open = open

        def refusing_open(file, *args, **kwargs):
            if os.fspath(file).endswith("secret.yaml"):
                raise PermissionError(13, "Permission denied")
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(yamlload, "open", refusing_open, raising=False)
    else:
        path.chmod(0)
    monkeypatch.chdir(tmp_path)
    try:
        assert_clean_exit_2(invoke("validate", "secret.yaml"),
                            ["secret.yaml: cannot read file: permission denied"])
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_directory_given_as_scenario(tmp_path, monkeypatch):
    (tmp_path / "scenario.yaml").mkdir()
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", "scenario.yaml")   # click refuses it (dir_okay=False): exit 2
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "is a directory" in result.output
    with pytest.raises(InputError, match="scenario.yaml: is a directory, not a scenario file"):
        load_scenario("scenario.yaml")


# ----------------------------------------------------------------------------- --set edge cases
SET_CASES = [
    ("=5", ["--set:1: '=5' is not path.to.key=value"]),
    ("economics..target_margin=0.3",
     ["--set:1: economics..target_margin: 'economics..target_margin=0.3' is not path.to.key=value"]),
    ("economics", ["--set:1: economics: 'economics' is not path.to.key=value"]),
    ("extends=other.yaml",
     ["--set:1: extends: `extends` cannot be set from the command line; edit the scenario file"]),
    ("economics.target_margin=.nan",
     ["--set:1: economics.target_margin: must be a finite number, got nan"]),
    ("economics.target_margin=1e999",
     ["--set:1: economics.target_margin: must be a finite number, got inf"]),
    ("economics.target_margin=yes",
     ["--set:1: economics.target_margin: expected a number, got true (true/false)"]),
    ("fleet.rack.deliveries.2026Q2=" + "9" * 50,
     ["--set:1: fleet.rack.deliveries.2026Q2: number too large (9999999999999999999999999999999999999...); "
      "numbers above 1e18 are not accepted: check the units and the digits"]),
    ("fleet.rack.deliveries={2026Q2: 1, 2026Q2: 2}",
     ["--set:1: fleet.rack.deliveries.2026Q2: duplicate key (twice on this line); remove one of them"]),
    ("systems.rack.usd_per_chip_hour=*undefined",
     ["--set:1: systems.rack.usd_per_chip_hour: expected a number, got '*undefined' (text)"]),
    ("models.nope.tier=free", None),  # a new, incomplete model: several missing keys
]


@pytest.mark.parametrize("override,expected", SET_CASES, ids=[c[0][:30] for c in SET_CASES])
def test_set_edge_cases(override, expected, small_path):
    result = invoke("validate", small_path, "--set", override)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert isinstance(result.exception, SystemExit)
    if expected is not None:
        assert result.stderr.splitlines() == expected + [summary_line(len(expected))]


# ----------------------------------------------------------------------------- hostile strings
HOSTILE = "</script><script>alert('x')</script> %s {0} {name} $\\frac{"


def test_hostile_names_are_escaped_and_never_formatted(tmp_path, small_path):
    """Valid but hostile text (HTML, format strings, TeX) in names, keys and notes: the HTML
    report escapes it everywhere, and every output shows it verbatim (never interpolated)."""
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    key = "<img src=x onerror=alert(1)>"
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(
        "extends: small.yaml\n"
        f"name: {json.dumps(HOSTILE)}\n"
        f"description: {json.dumps(HOSTILE)}\n"
        "systems:\n"
        f"  rack: {{name: {json.dumps(HOSTILE)}, vendor: {json.dumps(HOSTILE)}}}\n"
        "models:\n"
        f"  big-moe: {{name: {json.dumps(HOSTILE)}, tier: {json.dumps(HOSTILE)}}}\n"
        f"  {json.dumps(key)}:\n"
        "    tier: free\n    total_params_b: 8\n    active_params_b: 8\n    weight_bits: 8\n"
        "    layers: 32\n    hidden_size: 4096\n    attention_width: 4096\n"
        "    kv_bytes_per_token: 65536\n    slo: {min_output_tokens_per_s: 20, max_ttft_s: 5}\n"
        "    workload: {input_tokens: 1000, output_tokens: 500}\n"
        "demand:\n"
        f"  {json.dumps(key)}:\n"
        "    output_tokens_per_day: {2026Q1: 1.0e9}\n"
        "    price_usd_per_m: {input: 0.1, output: 0.4}\n")
    out = tmp_path / "out"
    result = invoke("run", str(scenario), "--out", str(out), "--report", "-q")
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    for raw in ("<script>alert", "<img src=x", "</script><script>"):
        assert raw not in page
    assert html.escape(HOSTILE, quote=True) in page
    assert html.escape(key, quote=True) in page
    for svg in (out / "plots").glob("*.svg"):
        text = svg.read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text, svg.name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["provenance"]["scenario"] == HOSTILE                      # verbatim
    assert key in {row["model"] for row in summary["economics"]}
    assert yaml.safe_load(invoke("show", str(scenario)).stdout)["name"] == HOSTILE


# ----------------------------------------------------------------------------- positive controls
def test_anchors_and_merge_keys_still_load(tmp_path, small_path):
    """The bounds do not cost legitimate YAML: anchors, aliases and `<<` merges (explicit keys
    win, the first listed merge wins) load, and merged values point at the anchor's line."""
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "name: anchors\nextends: small.yaml\nsystems:\n"
        "  rack: &rack\n    chips_per_domain: 8\n"
        "    chip: &chip {bf16_tflops: 1000, fp8_tflops: 2000, hbm_gb: 100, hbm_tbps: 4.0,\n"
        "                 scaleup_gbps: 450, scaleout_gbps: 400, power_kw: 1.0}\n"
        "    usd_per_chip_hour: 2.0\n    available_from: 2026Q1\n"
        "  rack-big:\n    <<: *rack\n    chip: {<<: *chip, hbm_gb: 200}\n    usd_per_chip_hour: 3.0\n"
        "fleet:\n  rack-big: {deliveries: {2026Q2: 100}}\n")
    loaded = load_scenario(str(path))
    big = loaded.scenario.systems["rack-big"]
    assert (big.chip.hbm_gb, big.chip.bf16_tflops, big.usd_per_chip_hour) == (200, 1000, 3.0)
    assert loaded.doc.where(("systems", "rack-big", "chip", "bf16_tflops"))[1] == 6
    assert loaded.doc.where(("systems", "rack-big", "usd_per_chip_hour"))[1] == 13


def test_dates_stay_text_and_quarters_parse(tmp_path, small_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "notes.yaml"
    path.write_text("extends: small.yaml\nnotes: 2026-01-01\nhorizon: {start: 2026q1, end: 2026Q4}\n")
    loaded = load_scenario(str(path))
    assert loaded.scenario.notes == "2026-01-01" and str(loaded.scenario.horizon.start) == "2026Q1"
