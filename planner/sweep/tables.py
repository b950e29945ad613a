"""A sample's inputs as arrays: fleet (S, Q), demand (M, Q) and the cost core's choice (M, S, Q).

The fleet and demand arrays compute what :func:`fleets.timeline.fleet_table` and
:func:`demand.timeline.demand_table` compute, with the same functions and formulas, as plain
arrays (a sample needs a few hundred numbers; the DataFrames cost more than the physics);
``tests/test_sweep_engine.py`` checks them against the originals. The physics is the cost
core's lean entry point, :func:`planner.costcore.api.cheapest_choice`: the same physics and
the same choice as :func:`planner.costcore.evaluate`, so it follows every change to them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.costcore.api import cheapest_choice, hardware
from planner.costcore.efficiency import EfficiencyTable
from planner.scenario.horizon import serving_efficiency
from planner.scenario.schema import Scenario


@dataclass(frozen=True)
class Physics:
    """The cost core's cheapest configuration per (demand model, system, quarter).

    Only what the plan needs: whether a configuration meets the speed targets, its replica
    size and its per-chip throughputs (cost per chip-hour enters later, per sample).
    """

    feasible: np.ndarray  # (M, S, Q) bool
    replica_chips: np.ndarray  # (M, S, Q)
    output_tokens_per_s_per_chip: np.ndarray  # (M, S, Q)
    input_tokens_per_s_per_chip: np.ndarray  # (M, S, Q)


def hardware_of(scenario: Scenario, efficiency: EfficiencyTable,
                keep: np.ndarray) -> dict | None:
    """The cost core's quarter-independent part (:func:`planner.costcore.api.hardware`) for
    the demand models on the systems in ``keep`` (S,) bool; None without either."""
    models = {k: scenario.models[k] for k in scenario.demand}
    systems = {k: v for (k, v), kept in zip(scenario.systems.items(), keep) if kept}
    return hardware(models, systems, efficiency) if models and systems else None


def physics(scenario: Scenario, quarters: tuple[str, ...], qlist,
            efficiency: EfficiencyTable, systems_used: np.ndarray | None = None,
            hw: dict | None = None, with_chips: np.ndarray | None = None) -> Physics:
    """The cost core's choice for the demand models on the systems in ``systems_used`` (S,)
    bool (default: all); the other systems are reported infeasible (a sample leaves them out
    when it has no chips of them). :func:`planner.costcore.api.cheapest_choice`: the feasible
    rows of the table ``planner run`` gets from :func:`planner.costcore.evaluate`, to the bit.
    ``hw``: :func:`hardware_of` for these systems when the caller has it (a sample that only
    changes the serving efficiency re-uses its base scenario's). ``with_chips`` (S, Q) bool:
    only these (system, quarter) rows are searched, the others reported infeasible (a
    sample's LP has no options where a system has no chips).

    Prices do not enter the cost core's choice (it minimises chip-seconds per output token),
    so it runs at $1 per chip-hour and the sample's prices are applied by the plan.
    """
    S, Q, M = len(scenario.systems), len(quarters), len(scenario.demand)
    keep = np.ones(S, dtype=bool) if systems_used is None else np.asarray(systems_used, bool)
    shape = (M, S, Q)
    out = Physics(np.zeros(shape, dtype=bool), np.zeros(shape), np.zeros(shape), np.zeros(shape))
    hw = hw if hw is not None else hardware_of(scenario, efficiency, keep)
    if hw is None:
        return out
    choice = cheapest_choice(hw, quarters, serving_efficiency(scenario, qlist),
                             None if with_chips is None else with_chips[keep])
    for name in ("feasible", "replica_chips", "output_tokens_per_s_per_chip",
                 "input_tokens_per_s_per_chip"):
        getattr(out, name)[:, keep] = getattr(choice, name)
    return out
