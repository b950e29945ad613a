"""Hostile inputs beyond the static catalogue: confinement of `extends`, quarter keys spelt
two ways, every problem of a file at once, round-trippable `show`, deep `--set` paths and
plot files in missing folders. Each runs through the real CLI: exit 2, a clear line, no
traceback."""
import os

import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.scenario.loaded import load_scenario
from planner.scenario.yamlload import dump_yaml, load_yaml_text


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_exit_2(result, *fragments: str) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 2, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.fixture
def outside(tmp_path, small_path):
    """A scenario folder ``scen/`` and a sibling folder ``shared/`` holding the small base."""
    (tmp_path / "scen").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "small.yaml").write_text(open(small_path).read())
    child = tmp_path / "scen" / "child.yaml"
    child.write_text("extends: ../shared/small.yaml\nname: child\n")
    return tmp_path, str(child)


def test_extends_outside_the_folder_is_refused_and_allowed_explicitly(outside):
    root, child = outside
    assert_exit_2(invoke("show", child), "'../shared/small.yaml' is outside the scenario's "
                  "folder", "--allow-extends DIR")
    shown = invoke("show", child, "--allow-extends", str(root / "shared"))
    assert shown.exit_code == 0, shown.output
    assert "name: child" in shown.output
    # the same folder given for both sides of a diff
    (root / "scen" / "other.yaml").write_text("extends: ../shared/small.yaml\nname: other\n")
    refused = invoke("diff", child, str(root / "scen" / "other.yaml"), "--quiet")
    assert_exit_2(refused, "is outside the scenario's folder")


def test_extends_refusal_does_not_tell_whether_a_path_exists(outside):
    root, child = outside
    missing = root / "scen" / "missing.yaml"
    missing.write_text("extends: ../shared/no-such.yaml\nname: m\n")
    a, b = invoke("validate", child), invoke("validate", str(missing))
    assert a.exit_code == b.exit_code == 2
    assert a.output.split(": ", 2)[2].replace("small", "X") == \
        b.output.split(": ", 2)[2].replace("no-such", "X")


def test_absolute_extends_needs_allow_extends(outside):
    root, child = outside
    target = str(root / "shared" / "small.yaml")
    with open(child, "w") as handle:
        handle.write(f"extends: {target}\nname: child\n")
    assert_exit_2(invoke("validate", child), "is an absolute path")
    assert invoke("validate", child, "--allow-extends", str(root / "shared")).exit_code == 0


def test_a_symlink_out_of_the_folder_is_outside(outside):
    root, child = outside
    os.symlink(root / "shared" / "small.yaml", root / "scen" / "link.yaml")
    with open(child, "w") as handle:
        handle.write("extends: link.yaml\nname: child\n")
    assert_exit_2(invoke("validate", child), "'link.yaml' is outside the scenario's folder")


def test_a_subfolder_is_inside(tmp_path, small_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "small.yaml").write_text(open(small_path).read())
    (tmp_path / "top.yaml").write_text("extends: base/small.yaml\nname: top\n")
    assert load_scenario(str(tmp_path / "top.yaml")).scenario.name == "top"


def test_quarter_keys_spelt_two_ways_in_one_mapping_are_duplicates(tmp_path, small_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "q.yaml"
    path.write_text("extends: small.yaml\nfleet:\n  rack:\n    deliveries:\n"
                    "      2026Q1: 10\n      2026q1: 20\n      ' 2026 Q1 ': 30\n")
    assert_exit_2(invoke("validate", str(path)), "q.yaml:4: fleet.rack.deliveries: '2026Q1' and "
                  "'2026q1' are the same quarter 2026Q1; keep one of them")


def test_a_quarter_key_spelt_otherwise_overrides_the_parents(tmp_path, small_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "q.yaml"
    path.write_text("extends: small.yaml\nfleet:\n  rack:\n    deliveries: {2026q1: 100}\n")
    deliveries = load_scenario(str(path)).scenario.fleet["rack"].deliveries
    assert {str(q): n for q, n in deliveries.items()} == {"2026Q1": 100.0, "2026Q3": 800.0}


def test_duplicate_keys_do_not_hide_the_other_problems(tmp_path, small_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "d.yaml"
    path.write_text("extends: small.yaml\nname: a\nname: b\n"
                    "systems:\n  rack:\n    usd_per_chip_hour: -1\n"
                    "fleet:\n  nosuch: {deliveries: {2026Q1: 1}}\n")
    result = invoke("validate", str(path))
    assert_exit_2(result, "d.yaml:3: name: duplicate key (first written on line 2)",
                  "d.yaml:6: systems.rack.usd_per_chip_hour: must be > 0, got -1",
                  "d.yaml:8: fleet.nosuch: unknown system 'nosuch'", "3 problems found")


@pytest.mark.parametrize("model_id", ["1e3", "yes", "null", "2026-01-01", "0x10", "~", "1_000"])
def test_show_output_reloads_as_the_same_scenario(model_id, tmp_path, small_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    path = tmp_path / "id.yaml"
    path.write_text(f"extends: small.yaml\nmodels:\n  '{model_id}':\n"
                    "    tier: open\n    total_params_b: 8\n    active_params_b: 8\n"
                    "    weight_bits: 8\n    kv_bytes_per_token: 65536\n"
                    "    slo: {min_output_tokens_per_s: 20, max_ttft_s: 5}\n"
                    "    workload: {input_tokens: 100, output_tokens: 100, cache_hit: 0}\n")
    shown = invoke("show", str(path))
    assert shown.exit_code == 0, shown.output
    (tmp_path / "shown.yaml").write_text(shown.output)
    again = load_scenario(str(tmp_path / "shown.yaml")).scenario
    assert model_id in again.models
    assert again == load_scenario(str(path)).scenario


def test_dump_yaml_round_trips_text_that_looks_like_other_types():
    data = {"1e3": "1e-5", "true": "no", "x": ["2026Q1", "1.5e3", "+1e2", "null", "='cmd'"]}
    assert load_yaml_text(dump_yaml(data), "t.yaml").data == data


def test_set_path_deeper_than_the_nesting_limit_is_an_input_error():
    deep = ".".join(["a"] * 5000) + "=1"
    assert_exit_2(invoke("show", "--set", deep), "--set:1: a.a.a.…: key path is 5000 levels "
                  "deep; a scenario nests at most 64 levels")


@pytest.mark.parametrize("command", [["pareto", "--model", "flagship"], ["calibrate"],
                                     ["size", "--price-output", "10"]])
def test_plot_into_a_missing_folder_is_refused_before_any_work(command, tmp_path):
    result = invoke(*command, "--plot", str(tmp_path / "nodir" / "x.png"))
    assert_exit_2(result, "does not exist; create it first")
    result = invoke(*command, "--plot", str(tmp_path / "x.txt"))
    assert_exit_2(result, "has no plot extension")
    assert os.listdir(tmp_path) == []


def test_plot_into_an_unwritable_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        assert_exit_2(invoke("calibrate", "--plot", str(locked / "x.png")), "is not writable")
    finally:
        locked.chmod(0o700)


def test_allow_extends_is_documented_on_every_scenario_command():
    for command in ("validate", "show", "run", "when", "cost", "diff", "sweep", "catalog"):
        assert "--allow-extends" in invoke(command, "--help").output, command


def test_task_families_are_capped(tmp_path, small_path):
    from demand.schema import MAX_TASK_FAMILIES

    (tmp_path / "small.yaml").write_text(open(small_path).read())
    families = "".join(f"      t{i}: {{input_tokens: 10, output_tokens: 5}}\n"
                       for i in range(MAX_TASK_FAMILIES + 1))
    path = tmp_path / "tasks.yaml"
    path.write_text("extends: small.yaml\nmodels:\n  big-moe:\n    tokens_per_task:\n" + families)
    assert_exit_2(invoke("validate", str(path)), "tasks.yaml:4: models.big-moe.tokens_per_task: "
                  f"Dictionary should have at most {MAX_TASK_FAMILIES} items")
    path.write_text("extends: small.yaml\nmodels:\n  big-moe:\n    tokens_per_task:\n"
                    + "".join(families.splitlines(keepends=True)[:MAX_TASK_FAMILIES]))
    result = invoke("run", str(path), "-q")
    assert result.exit_code == 0, result.output
    assert result.output.count("Per task: t") == MAX_TASK_FAMILIES


def test_symlink_loops_and_broken_links_are_named(tmp_path):
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    os.symlink(tmp_path / "missing.yaml", tmp_path / "broken.yaml")
    assert_exit_2(invoke("validate", str(tmp_path / "loop")), "Too many levels of symbolic links")
    assert_exit_2(invoke("validate", str(tmp_path / "broken.yaml")), "is a broken symbolic link")
    (tmp_path / "s.yaml").write_text("extends: loop\nname: s\n")
    assert_exit_2(invoke("validate", str(tmp_path / "s.yaml")),
                  "'loop' is a broken symbolic link or a loop of links")
