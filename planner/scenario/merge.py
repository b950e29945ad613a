"""Deep merge of located scenario documents: the child wins, ``null`` removes a key, and each
value keeps the file and line it came from."""
from __future__ import annotations

import re

from common.quarters import Quarter
from planner.scenario.yamlload import Located
from planner.scenario.yamlnodes import Path


def merge(base: Located, child: Located) -> Located:
    """Deep-merge ``child`` over ``base``: child wins, ``null`` removes, lines follow values."""

    def walk(into: dict, over: dict) -> dict:
        # `2026q1` over a parent's `2026Q1` replaces it, in its place
        renames = _quarter_renames(into, over)
        out = {renames.get(k, k): v for k, v in into.items()} if renames else dict(into)
        for key, value in over.items():
            if value is None:
                out.pop(key, None)
            elif isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = walk(out[key], value)
            else:
                out[key] = value
        return out

    data = walk(base.data, child.data)
    lines = {}
    for path in _paths(data, ()):
        where = child.lines.get(path) or base.lines.get(path)
        if where:
            lines[path] = where
    return Located(data, lines, base.problems + child.problems)


def _quarter_renames(into: dict, over: dict) -> dict:
    """Keys of ``into`` that ``over`` names as the same quarter spelt otherwise -> ``over``'s
    spelling (in one pass over each mapping: no quadratic scan of large mappings)."""
    def quarters(mapping: dict) -> dict:
        return {Quarter.parse(k): k for k in mapping
                if isinstance(k, str) and _QUARTERISH.match(k)}

    theirs = quarters(into)
    if not theirs:
        return {}
    renames = {}
    for quarter, key in quarters(over).items():
        old = theirs.get(quarter)
        if old is not None and old != key and old not in over:
            renames[old] = key
    return renames


_QUARTERISH = re.compile(r"^\s*\d{4}\s*[Qq][1-4]\s*$")


def _paths(value: object, path: Path):
    yield path
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, path + (key,))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _paths(sub, path + (str(i),))
