"""Data checks for the embedded default scenario (the five YAML files shipped in the package).

Loads the files with yaml.safe_load, deep-merges them in the documented order (child wins),
validates the result against the strict schema and checks cross-references and sources.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from common.quarters import Quarter
from planner.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    ROOT / "planner" / "data" / "default.yaml",
    ROOT / "fleets" / "data" / "systems.yaml",
    ROOT / "fleets" / "data" / "fleet.yaml",
    ROOT / "demand" / "data" / "models.yaml",
    ROOT / "demand" / "data" / "demand.yaml",
]
HORIZON_END = Quarter.parse("2028Q4")


def deep_merge(base: dict, child: dict) -> dict:
    """Recursive dict merge; the child's value wins for non-dict values."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_raw() -> dict:
    merged: dict = {}
    for path in FILES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(doc, dict), f"{path.name}: top level must be a mapping"
        merged = deep_merge(merged, doc)
    return merged


@pytest.fixture(scope="module")
def raw() -> dict:
    return load_raw()


@pytest.fixture(scope="module")
def scenario(raw: dict) -> Scenario:
    return Scenario.model_validate(raw)


def test_files_exist() -> None:
    for path in FILES:
        assert path.is_file(), path


def test_validates(scenario: Scenario) -> None:
    assert scenario.name == "default"
    assert scenario.systems and scenario.fleet and scenario.models and scenario.demand


def test_fleet_keys_are_systems(scenario: Scenario) -> None:
    unknown = set(scenario.fleet) - set(scenario.systems)
    assert not unknown, f"fleet entries without a system: {sorted(unknown)}"


def test_demand_keys_are_models(scenario: Scenario) -> None:
    unknown = set(scenario.demand) - set(scenario.models)
    assert not unknown, f"demand entries without a model: {sorted(unknown)}"


def test_active_not_above_total(scenario: Scenario) -> None:
    for name, model in scenario.models.items():
        assert model.active_params_b <= model.total_params_b, name


def test_experts_active_not_above_total(scenario: Scenario) -> None:
    for name, model in scenario.models.items():
        if model.experts is not None:
            assert model.experts.active <= model.experts.total, name


def test_no_delivery_after_horizon(scenario: Scenario) -> None:
    for name, entry in scenario.fleet.items():
        late = [str(q) for q in entry.deliveries if q > HORIZON_END]
        assert not late, f"{name}: deliveries after {HORIZON_END}: {late}"


def test_no_delivery_before_available(scenario: Scenario) -> None:
    """A system is delivered only from its available_from quarter on (installed base included)."""
    for name, entry in scenario.fleet.items():
        available = scenario.systems[name].available_from
        early = [str(q) for q in entry.deliveries if q < available]
        assert not early, f"{name}: deliveries before available_from {available}: {early}"


def test_every_system_and_model_has_a_source(scenario: Scenario) -> None:
    entries = [("system", n, s.source) for n, s in scenario.systems.items()]
    entries += [("model", n, m.source) for n, m in scenario.models.items()]
    entries += [("fleet", n, f.source) for n, f in scenario.fleet.items()]
    entries += [("demand", n, d.source) for n, d in scenario.demand.items()]
    for kind, name, source in entries:
        text = " ".join(source) if isinstance(source, list) else (source or "")
        assert text.strip(), f"{kind} {name} has no source"


def test_no_machine_paths_in_data() -> None:
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        for marker in ("/work/", "/home/", "/tmp/", "C:\\"):
            assert marker not in text, f"{path.name} mentions a local path ({marker})"
