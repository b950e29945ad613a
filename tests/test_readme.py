"""The README's scenario example is a working scenario."""
import os

from planner.scenario.loaded import load_scenario

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def test_readme_scenario_example_validates(tmp_path):
    text = open(README, encoding="utf-8").read()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(block)
    s = load_scenario(str(path)).scenario
    assert s.fleet["gb300-nvl72"].site == "texas" and s.uncertainty.samples == 200
