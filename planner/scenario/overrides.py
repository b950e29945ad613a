"""``--set path.to.key=value`` overrides: parsed as YAML and merged over a scenario, each
located at ``--set`` and its position on the command line."""
from __future__ import annotations

import re

from planner.errors import InputError, Problem
from planner.scenario.merge import merge
from planner.scenario.yamlload import Located, YamlSyntaxError, load_yaml_value
from planner.scenario.yamlnodes import MAX_DEPTH

KEY_PART = re.compile(r'"[^"]*"|[^.]+')


def split_assignment(text: str) -> tuple[str, str, str]:
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
        key, sep, raw = split_assignment(text)
        keys = key_path(key)
        if not sep or keys is None:
            problems.append(Problem("--set", number, key, f"'{text}' is not path.to.key=value"))
            continue
        if len(keys) > MAX_DEPTH:
            problems.append(Problem("--set", number, ".".join(keys[:3]) + ".…",
                                    f"key path is {len(keys)} levels deep; a scenario nests at "
                                    f"most {MAX_DEPTH} levels"))
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


def key_path(key: str) -> tuple[str, ...] | None:
    """``a."b.c".d`` -> ("a", "b.c", "d"); None when a part is empty or quotes are unbalanced."""
    parts = KEY_PART.findall(key)
    if not parts or ".".join(parts) != key:
        return None
    keys = tuple(k.strip().strip('"') for k in parts)
    return keys if all(keys) else None
