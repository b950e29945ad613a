"""Composition precedence: default -> extends -> file -> --set, child wins, null removes."""
import pytest
import yaml
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import InputError
from planner.scenario.merge import merge
from planner.scenario.loaded import load_scenario
from planner.scenario.yamlload import load_yaml_text


def test_merge_child_wins_and_null_removes():
    base = load_yaml_text("a: {x: 1, y: 2}\nb: 3\nc: [1, 2]\n", "base.yaml")
    child = load_yaml_text("a: {y: 20, z: 30}\nb: null\nc: [9]\n", "child.yaml")
    merged = merge(base, child)
    assert merged.data == {"a": {"x": 1, "y": 20, "z": 30}, "c": [9]}
    assert merged.where(("a", "x")) == ("base.yaml", 1)
    assert merged.where(("a", "y")) == ("child.yaml", 1)
    assert merged.where(("c",)) == ("child.yaml", 3)


def test_precedence_chain(tmp_path, small_path):
    (tmp_path / "small.yaml").write_text(open(small_path).read())
    (tmp_path / "mid.yaml").write_text("extends: small.yaml\neconomics: {target_margin: 0.3}\n"
                                       "systems: {rack: {usd_per_chip_hour: 3.0}}\n")
    (tmp_path / "top.yaml").write_text("extends: mid.yaml\nname: top\n"
                                       "systems: {rack: {usd_per_chip_hour: 4.0}}\n")
    top = str(tmp_path / "top.yaml")
    s = load_scenario(top).scenario
    assert s.name == "top"                                   # file wins over what it extends
    assert s.economics.target_margin == 0.3                  # inherited from mid
    assert s.systems["rack"].usd_per_chip_hour == 4.0        # top wins over mid
    assert s.systems["rack"].chip.hbm_gb == 100              # deep merge keeps small's chip
    s2 = load_scenario(top, ["systems.rack.usd_per_chip_hour=5", "name=cli"]).scenario
    assert (s2.systems["rack"].usd_per_chip_hour, s2.name) == (5.0, "cli")  # --set wins last


def test_extends_cycle_is_an_input_error(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    with pytest.raises(InputError, match="extends cycle: a.yaml -> b.yaml -> a.yaml"):
        load_scenario(str(tmp_path / "a.yaml"))


def test_extends_missing_file(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nextends: nowhere.yaml\n")
    with pytest.raises(InputError, match=r"a.yaml:2: extends: 'nowhere.yaml' not found"):
        load_scenario(str(tmp_path / "a.yaml"))


def test_set_override_bad_form_and_bad_value(small_path):
    with pytest.raises(InputError, match=r"--set:1: economics: 'economics' is not path.to.key=value"):
        load_scenario(small_path, ["economics"])
    with pytest.raises(InputError, match=r"--set:1: economics.target_margin: must be < 1, got 2"):
        load_scenario(small_path, ["economics.target_margin=2"])


def test_default_scenario_validates_and_shows():
    loaded = load_scenario(None)
    assert loaded.scenario.name == "default"
    assert len(loaded.scenario.systems) >= 12 and len(loaded.scenario.models) >= 8
    result = CliRunner().invoke(main, ["show"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output)["name"] == "default"


def test_show_is_reloadable(tmp_path, small_path):
    result = CliRunner().invoke(main, ["show", small_path, "--set", "economics.target_margin=0.25"])
    path = tmp_path / "resolved.yaml"
    path.write_text(result.output)
    again = load_scenario(str(path))
    assert again.scenario == load_scenario(small_path, ["economics.target_margin=0.25"]).scenario


def test_init_scaffold_roundtrip(tmp_path):
    target = tmp_path / "mine"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert load_scenario(str(target / "scenario.yaml")).scenario == load_scenario(None).scenario
    again = CliRunner().invoke(main, ["init", str(target)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_input_hash_is_stable_and_sensitive(small_path):
    a = load_scenario(small_path).input_sha256
    assert a == load_scenario(small_path).input_sha256
    assert a != load_scenario(small_path, ["economics.target_margin=0.3"]).input_sha256


def test_set_quoted_key_with_dots():
    s = load_scenario(None, ['models."llama-3.1-70b".slo.min_output_tokens_per_s=42']).scenario
    assert s.models["llama-3.1-70b"].slo.min_output_tokens_per_s == 42


def test_embedded_default_parses_the_same_with_the_fast_loader():
    from planner.scenario.compose import default_part_texts
    from planner.scenario.yamlload import load_yaml_text

    for name, text in default_part_texts():
        slow, fast = load_yaml_text(text, name), load_yaml_text(text, name, trusted=True)
        assert (slow.data, slow.lines, slow.problems) == (fast.data, fast.lines, fast.problems)
