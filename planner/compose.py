"""Scenario composition: the one precedence chain default -> extends -> file -> --set.

``extends`` names the embedded ``default`` or paths relative to the file (a list is merged
in order). Merging is deep; the child wins; a ``null`` in the child removes the key.
"""
from __future__ import annotations

import os
import re
from importlib import resources

from planner.errors import InputError, Problem
from planner.yamlload import (Located, Path, YamlSyntaxError, load_yaml_file,
                               load_yaml_text, load_yaml_value)

# The embedded default scenario: package data files merged in this order.
DEFAULT_PARTS = (
    ("planner", "data/default.yaml"),
    ("fleets", "data/systems.yaml"),
    ("fleets", "data/fleet.yaml"),
    ("demand", "data/models.yaml"),
    ("demand", "data/demand.yaml"),
)
DEFAULT_NAME = "default"


def default_part_texts() -> list[tuple[str, str]]:
    """(shown name, YAML text) of each embedded default file, in merge order."""
    return [(f"<default>/{pkg}/{rel}", resources.files(pkg).joinpath(rel).read_text("utf-8"))
            for pkg, rel in DEFAULT_PARTS]


def load_default() -> Located:
    """The embedded default scenario as one located document."""
    merged = Located({})
    for shown, text in default_part_texts():
        merged = merge(merged, load_yaml_text(text, shown))
    return merged


def merge(base: Located, child: Located) -> Located:
    """Deep-merge ``child`` over ``base``: child wins, ``null`` removes, lines follow values."""

    def walk(into: dict, over: dict) -> dict:
        out = dict(into)
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
    return Located(data, lines)


def _paths(value: object, path: Path):
    yield path
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, path + (key,))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _paths(sub, path + (str(i),))


MAX_EXTENDS_DEPTH = 32  # files extending files; a real chain has two or three


def load_chain(path: str, seen: tuple[str, ...] = ()) -> Located:
    """Load ``path`` with everything it extends, recursively (cycles are input errors)."""
    real = os.path.realpath(path)
    doc = load_yaml_file(path)
    parents = doc.data.get("extends")
    if parents is None:
        return doc
    file, line = doc.where(("extends",))
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) and p.strip() for p in parents):
        got = doc.data.get("extends")
        shown = f"'{got}'" if isinstance(got, str) else "a list holding other values" \
            if isinstance(got, list) else repr(got) if not isinstance(got, dict) else "a mapping"
        raise InputError([Problem(file, line, "extends", "must be `default`, a relative path, or "
                                  f"a list of them, got {shown}")])
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise InputError([Problem(file, line, "extends", f"more than {MAX_EXTENDS_DEPTH} files "
                                  "extend one another; shorten the chain")])
    base = Located({})
    for parent in parents:
        if parent == DEFAULT_NAME:
            base = merge(base, load_default())
            continue
        target = os.path.join(os.path.dirname(path), parent)
        if not os.path.exists(target):
            raise InputError([Problem(file, line, "extends", f"'{parent}' not found next to {path}; "
                                      "give `default` or a path relative to this file")])
        if not os.path.isfile(target):
            raise InputError([Problem(file, line, "extends", f"'{parent}' is not a file (a "
                                      "directory?); give a scenario file")])
        if os.path.realpath(target) in seen + (real,):
            chain = " -> ".join(os.path.basename(p) for p in seen + (real, os.path.realpath(target)))
            raise InputError([Problem(file, line, "extends", f"extends cycle: {chain}; "
                                      "remove one link")])
        base = merge(base, load_chain(target, seen + (real,)))
    return merge(base, doc)


_KEY_PART = re.compile(r'"[^"]*"|[^.]+')


def _split_assignment(text: str) -> tuple[str, str, str]:
    """Split ``path=value`` at the first ``=`` outside double quotes."""
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "=" and not quoted:
            return text[:i], "=", text[i + 1:]
    return text, "", ""


def apply_overrides(doc: Located, overrides: list[str]) -> Located:
    """Apply ``path.to.key=value`` overrides (values parsed as YAML) on top of ``doc``.

    A key holding dots is quoted: ``models."llama-3.1-70b".layers=80``. Values follow the
    same rules as files (no tags, bounded size); text that is not YAML is taken as text.
    """
    problems = []
    for number, text in enumerate(overrides, start=1):
        key, sep, raw = _split_assignment(text)
        keys = _key_path(key)
        if not sep or keys is None:
            problems.append(Problem("--set", number, key, f"'{text}' is not path.to.key=value"))
            continue
        if keys == ("extends",):
            problems.append(Problem("--set", number, key, "`extends` cannot be set from the "
                                    "command line; edit the scenario file"))
            continue
        try:
            value = load_yaml_value(raw, "--set", number, keys) if raw.strip() else ""
        except YamlSyntaxError:
            value = raw
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        nested: object = value
        for k in reversed(keys):
            nested = {k: nested}
        override = Located(nested, {keys[:i]: ("--set", number) for i in range(1, len(keys) + 1)})
        doc = merge(doc, override)
    if problems:
        raise InputError(problems)
    return doc


def _key_path(key: str) -> tuple[str, ...] | None:
    """``a."b.c".d`` -> ("a", "b.c", "d"); None when a part is empty or quotes are unbalanced."""
    parts = _KEY_PART.findall(key)
    if not parts or ".".join(parts) != key:
        return None
    keys = tuple(k.strip().strip('"') for k in parts)
    return keys if all(keys) else None


def resolve(path: str | None, overrides: list[str] = ()) -> Located:
    """The precedence chain in one place: default (or the file and what it extends) then --set."""
    doc = load_default() if path is None else load_chain(path)
    doc = apply_overrides(doc, list(overrides))
    doc.data.pop("extends", None)
    return doc
