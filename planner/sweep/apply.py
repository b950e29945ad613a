"""Apply one sample's values to the base scenario and validate the result.

The base scenario is plain data (``Scenario.model_dump(mode="json")``). Changes are
copy-on-write along each input's path, so the untouched parts of a sample are the very objects
of the base (the engine uses that to reuse what they determine), and the result is validated
by the same strict schema as a scenario file. Given the base, only the changed parts are
validated (:func:`validate_sample`). A sample whose values make the scenario invalid (a
negative price, active parameters above total) raises :class:`SampleError`.
"""
from __future__ import annotations

from typing import Sequence, get_args, get_origin

import numpy as np
import pydantic

from common.quarters import Quarter
from common.section import Section
from planner.scenario.schema import Scenario, with_default_deployment
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


def validate_sample(data: dict, check_semantics: bool, base: tuple[dict, Scenario] | None = None
                    ) -> Scenario:
    """The validated scenario of a sample, or SampleError naming every problem.

    ``base``: (the base's plain data, its validated scenario), of which ``data`` is a copy
    made by :func:`apply_values`. The sections and entries of ``data`` that are the base's
    own objects are then taken from the base scenario as they are and only the changed ones
    are validated (the same schema, a fraction of the time); the result equals a full
    validation. Any problem is reported by the full validation, with its whole path.
    """
    from planner.scenario.validate import _problem  # the schema's user-facing messages
    from planner.scenario.yamlload import Located

    scenario = None
    if base is not None:
        try:
            scenario = _validate_changes(data, *base)
        except pydantic.ValidationError:
            pass  # the full validation below names every problem with its whole path
    try:
        if scenario is None:
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


# Scenario fields that map names to sections (systems, fleet, ...): validated entry by entry.
_ENTRY_FIELDS = {key: get_args(field.annotation)[1] for key, field in Scenario.model_fields.items()
                 if get_origin(field.annotation) is dict}


def _validate_changes(data: dict, base_data: dict, base: Scenario) -> Scenario | None:
    """``base`` with the changed sections and entries of ``data`` validated in (None when a
    change is not of an entry or a plain section: the caller validates all of ``data``)."""
    if data.keys() != base_data.keys():
        return None
    update = {}
    for key, value in data.items():
        old = base_data[key]
        if value is old:
            continue
        kind, section = _ENTRY_FIELDS.get(key), Scenario.model_fields[key].annotation
        if kind is not None and isinstance(value, dict) and value.keys() == old.keys():
            ours = getattr(base, key)
            update[key] = {name: ours[name] if entry is old[name] else kind.model_validate(entry)
                           for name, entry in value.items()}
        elif isinstance(section, type) and issubclass(section, Section):
            update[key] = section.model_validate(value)
        else:
            return None
    if "systems" in update:  # the scenario's after-validator, on the systems validated here
        update["systems"] = with_default_deployment(update["systems"], base.deployment)
    return base.model_copy(update=update)


def _message(problem) -> str:
    return f"{problem.path}: {problem.message}" if problem.path else problem.message
