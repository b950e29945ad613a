"""`planner diff`: what a scenario change changes, in its inputs and in the plan's outcome.

``scenario_diff(base, proposed)`` loads both scenarios (validated; problems in either are
reported together), lists the input changes and re-plans both sides to list the outcome
changes beyond the thresholds and the headline (horizon totals, last-quarter chips);
:mod:`planner.review.render` prints it as Markdown or JSON.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.errors import InputError
from planner.review.headline import Headline, headline
from planner.review.inputs import InputChange, input_changes
from planner.review.outcomes import Outcome, Thresholds, outcome_changes


@dataclass
class ScenarioDiff:
    base: str
    proposed: str
    base_name: str
    proposed_name: str
    thresholds: Thresholds
    inputs: list[InputChange]
    outcomes: dict[str, pd.DataFrame]
    headline: Headline

    @property
    def empty(self) -> bool:
        return not self.inputs and all(f.empty for f in self.outcomes.values())


def _outcome(plan) -> Outcome:
    return Outcome(plan.economics, plan.utilisation, plan.loaded.scenario.economics.target_margin)


def scenario_diff(base: str, proposed: str, overrides=(), thresholds: Thresholds = Thresholds(),
                  stages=None, allow_extends: tuple[str, ...] = (),
                  elastic: bool | None = None) -> ScenarioDiff:
    """Compare two scenario files; ``overrides`` (--set) apply to the proposed side,
    ``elastic`` (``--elastic``/``--inelastic``, see ``compose.resolve``) to both."""
    from planner.run.plan import make_plan
    from planner.scenario.loaded import load_scenario

    stage = stages or (lambda name: _Null())
    loaded, problems = [], []
    with stage("loading scenarios"):
        for path, sets in ((base, ()), (proposed, overrides)):
            try:
                loaded.append(load_scenario(path, sets, allow_extends, elastic=elastic))
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    old, new = loaded
    with stage("planning the base scenario"):
        old_plan = make_plan(old)
    with stage("planning the proposed scenario"):
        new_plan = make_plan(new)
    with stage("comparing"):
        changes = input_changes(old.doc, new.doc)
        outcomes = outcome_changes(_outcome(old_plan), _outcome(new_plan), thresholds)
        top = headline(old_plan, new_plan)
    return ScenarioDiff(base, proposed, old.scenario.name, new.scenario.name, thresholds,
                        changes, outcomes, top)


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
