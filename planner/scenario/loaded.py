"""Load a scenario: compose (default -> extends -> file -> --set), validate, hash."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from planner.scenario.compose import resolve
from planner.scenario.schema import Scenario
from planner.scenario.validate import to_scenario
from planner.scenario.yamlload import Located


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with where each key came from and a hash of the resolved input."""

    scenario: Scenario
    doc: Located
    input_sha256: str


def load_scenario(path: str | None = None, overrides: tuple[str, ...] | list[str] = (),
                  allow_extends: tuple[str, ...] = (), buy: bool = False,
                  elastic: bool | None = None) -> Loaded:
    """The resolved, validated scenario (the embedded default when ``path`` is None);
    ``allow_extends`` lists folders beyond the scenario's own that ``extends`` may read;
    ``buy`` adds the embedded vendor allocations to a scenario without ``procurement``;
    ``elastic`` the embedded per-tier price elasticities on demand without one (True, or None
    for a scenario that is or extends the default) or none at all (False; see
    :func:`planner.scenario.compose.resolve`)."""
    doc = resolve(path, list(overrides), tuple(allow_extends), buy, elastic)
    scenario = to_scenario(doc)
    dumped = scenario.model_dump(mode="json")
    if dumped.get("procurement") is None:  # hashes of scenarios without one stay as they were
        dumped.pop("procurement", None)
    for d in dumped.get("demand", {}).values():  # so do those of inelastic demand
        if d.get("elasticity") == 0 and d.get("reference_price_usd_per_m_output") is None:
            d.pop("elasticity")
            d.pop("reference_price_usd_per_m_output")
    canonical = json.dumps(dumped, sort_keys=True, separators=(",", ":"))
    return Loaded(scenario, doc, hashlib.sha256(canonical.encode()).hexdigest())
