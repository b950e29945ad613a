"""Apply one sample's values to the base scenario and validate the result.

The base scenario is plain data (``Scenario.model_dump(mode="json")``). Changes are
copy-on-write along each input's path, so the untouched parts of a sample are the very objects
of the base (the engine uses that to reuse what they determine), and the result is validated
by the same strict schema as a scenario file (~0.5 ms). A sample whose values make the scenario
invalid (a negative price, active parameters above total) raises :class:`SampleError`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pydantic

from common.quarters import Quarter
from planner.scenario.schema import Scenario
from planner.sweep.spec import Input


class SampleError(Exception):
    """This sample cannot be run; the message says why (the sweep goes on without it)."""


def apply_values(base: dict, inputs: Sequence[Input], values: Sequence[float],
                 horizon_end: Quarter) -> dict:
    """A copy of ``base`` with every input applied in order (shares untouched sub-trees)."""
    data = dict(base)
    for inp, value in zip(inputs, values):
        parent = data
        for key in inp.path[:-1]:
            child = dict(parent[key])
            parent[key] = child
            parent = child
        leaf = inp.path[-1]
        parent[leaf] = _change(parent[leaf], inp.op, float(value), horizon_end, leaf)
    return data


def _change(node: object, op: str, value: float, horizon_end: Quarter, series: str) -> object:
    if op == "set":
        return _like(node, value)
    if op == "multiply":
        return _each(node, lambda x: _like(x, x * value))
    if op == "add":
        return _each(node, lambda x: _like(x, x + value))
    if op == "slip_quarters":
        return _slip(node, int(round(value)), horizon_end, series)
    raise ValueError(f"unknown operation '{op}'")


# Series interpolated linearly between their points (the rest are events or step functions).
# Value: what the series is before its first point ("zero": a launch; "flat": the first value).
LINEAR_SERIES = {"output_tokens_per_day": "zero", "serving_efficiency": "flat"}


def _slip(node: dict, k: int, horizon_end: Quarter, series: str) -> dict:
    """Every point ``k`` quarters later. Points pushed past the horizon end leave the scenario:
    deliveries then never arrive and step functions keep their last value; a linear series
    gets a point at the horizon end with its value there, so the quarters inside the horizon
    see exactly the slipped series."""
    points = sorted((Quarter.parse(q) + k, amount) for q, amount in node.items())
    kept = {str(q): amount for q, amount in points if q <= horizon_end}
    if len(kept) == len(points) or series not in LINEAR_SERIES:
        return kept
    xs = [q.index for q, _ in points]
    ys = [float(a) for _, a in points]
    end = horizon_end.index
    launch_after_end = end < xs[0] and LINEAR_SERIES[series] == "zero"
    at_end = 0.0 if launch_after_end else float(np.interp(end, xs, ys))
    kept[str(horizon_end)] = at_end
    return kept


def _like(old: object, new: float) -> float | int:
    """Whole-number fields stay whole (rounded); everything else is a float."""
    return int(round(new)) if isinstance(old, int) else float(new)


def _each(node: object, fn):
    if isinstance(node, dict):
        return {k: _each(v, fn) for k, v in node.items()}
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return fn(node)
    return node


def validate_sample(data: dict, check_semantics: bool) -> Scenario:
    """The validated scenario of a sample, or SampleError naming every problem."""
    from planner.scenario.validate import _problem  # the schema's user-facing messages
    from planner.scenario.yamlload import Located

    try:
        scenario = Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        where = Located(data)
        raise SampleError("; ".join(_message(_problem(where, e)) for e in exc.errors())) from None
    if check_semantics:
        from planner.scenario.checks import semantic_problems

        problems = semantic_problems(scenario, Located(data))
        if problems:
            raise SampleError("; ".join(_message(p) for p in problems))
    return scenario


def _message(problem) -> str:
    return f"{problem.path}: {problem.message}" if problem.path else problem.message
