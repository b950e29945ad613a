"""Turn a located document into a Scenario, translating every pydantic error into a Problem.

Messages say what is wrong and how to fix it; unknown keys get a "did you mean" suggestion.
Semantic checks (cross-references, horizon) run afterwards in :mod:`planner.scenario.checks`.
"""
from __future__ import annotations

import difflib
import re
import types
import typing

import pydantic
from pydantic import BaseModel

from planner.errors import InputError, Problem
from planner.scenario.schema import Scenario
from planner.scenario.yamlload import Located


def to_scenario(doc: Located) -> Scenario:
    """Validate ``doc`` against the schema and the semantic checks; raise InputError with all."""
    from planner.scenario.checks import semantic_problems

    data, problems, pruned = doc.data, list(doc.problems), set()
    for _ in range(3):
        try:
            scenario = Scenario.model_validate(data)
            break
        except pydantic.ValidationError as exc:
            errors = _collapse_unions(exc.errors(), data)
            problems += [_problem(doc, err) for err in errors]
            data, newly = _prune(data, [tuple(str(p) for p in e["loc"]) for e in errors])
            pruned |= newly
    else:
        raise InputError(_dedupe(problems))
    # Entries with schema errors were set aside so the semantic checks still see the rest.
    problems += semantic_problems(scenario, doc, pruned)
    if problems:
        raise InputError(_dedupe(problems))
    return scenario


_UNION_TAG = re.compile(r"^(str|int|float|bool|[a-z-]+\[.*\])$")
_TAG_NAMES = {"str": "text", "list[str]": "a list of text", "int": "a whole number",
              "float": "a number", "bool": "true or false"}


def _collapse_unions(errors: list[dict], data: dict) -> list[dict]:
    """One error per union field (``source: str | list[str]``) instead of one per member.

    Pydantic puts the member's name (``str``, ``list[str]``) into the location; a location
    part that names no key of the data at that point is such a tag.
    """
    out, unions = [], {}
    for err in errors:
        loc, node, tag_at = tuple(err["loc"]), data, None
        for i, part in enumerate(loc):
            if isinstance(node, dict) and str(part) in node:
                node = node[str(part)]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            elif isinstance(part, str) and _UNION_TAG.match(part):
                tag_at = i
                break
            else:
                break
        if tag_at is None:
            out.append(err)
            continue
        prefix = loc[:tag_at]
        entry = unions.setdefault(prefix, {"tags": [], "value": node, "item": None})
        if loc[tag_at] not in entry["tags"]:
            entry["tags"].append(loc[tag_at])
        if len(loc) > tag_at + 1 and entry["item"] is None and isinstance(node, list):
            entry["item"] = loc[tag_at + 1]
    for prefix, entry in unions.items():
        wanted = " or ".join(_TAG_NAMES.get(t, t) for t in entry["tags"])
        value = entry["value"]
        if isinstance(value, list) and isinstance(entry["item"], int):
            got = f"item {entry['item']} is {_show(value[entry['item']])}"
        else:
            got = f"got {_show(value)}"
        out.append({"loc": prefix, "type": "planner_union", "msg": f"expected {wanted}; {got}",
                    "input": value})
    return out


def _prune(data: dict, locs: list[tuple[str, ...]]) -> tuple[dict, set[tuple[str, ...]]]:
    """Copy of ``data`` without the named entries (section.key) that hold errors."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    pruned = set()
    for loc in locs:
        section = out.get(loc[0]) if loc else None
        if len(loc) >= 2 and isinstance(section, dict) and loc[0] in _KEYED_SECTIONS:
            section.pop(loc[1], None)
            pruned.add(loc[:2])
        elif loc and loc[0] in out and loc[0] not in ("name", "horizon"):
            out.pop(loc[0])
            pruned.add(loc[:1])
    return out, pruned


_KEYED_SECTIONS = ("systems", "fleet", "models", "demand")


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Unique problems in file and line order."""
    seen, out = set(), []
    for p in sorted(problems, key=lambda p: (p.file, p.line or 0)):
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def _problem(doc: Located, err: dict) -> Problem:
    loc = tuple(str(part) for part in err["loc"] if part != "[key]")
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        parent = loc[:-1]
        message = f"unknown key '{loc[-1]}'" + _suggest(loc[-1], _allowed_keys(parent))
    elif kind == "missing":
        file, line = doc.where(loc[:-1])
        return Problem(file, line, ".".join(loc), "missing required key; add it" + _field_doc(loc))
    elif kind in ("float_type", "int_type", "int_from_float"):
        want = "a whole number" if kind != "float_type" else "a number"
        message = f"expected {want}, got {_show(given)}"
        if isinstance(given, float) and given.is_integer() and kind != "float_type":
            message += " (write it without the decimal point)"
    elif kind == "string_type":
        message = f"expected text, got {_show(given)}"
    elif kind == "list_type":
        message = f"expected a list, got {_show(given)}"
    elif kind == "bool_type":
        message = f"expected true or false, got {_show(given)}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        message = f"expected a mapping of keys, got {_show(given)}"
    elif kind == "finite_number":
        message = f"must be a finite number, got {_show(given)}"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
                "less_than_equal": "<="}[kind]
        bound = next(iter(err.get("ctx", {}).values()), "?")
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        message = f"must be {sign} {bound}, got {_show(given)}"
    elif kind == "literal_error":
        message = f"must be one of {err['ctx']['expected']}, got {_show(given)}"
    elif kind == "too_short":
        message = "must not be empty"
    elif kind == "value_error":
        message = str(err["ctx"]["error"])
    else:
        message = err["msg"]
    file, line = doc.where(loc)
    return Problem(file, line, ".".join(loc), message)


def _show(value: object) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"'{shown}' (text)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if value is not None else "nothing (null)"


def _suggest(word: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; allowed keys: {', '.join(allowed)}" if allowed else ""


def _model_at(loc: tuple[str, ...]) -> type[BaseModel] | None:
    """The schema class that holds the mapping at ``loc`` (dict keys step through)."""
    annotation: object = Scenario
    for part in loc:
        model = _unwrap_model(annotation)
        if model is not None and part in model.model_fields:
            annotation = model.model_fields[part].annotation
            continue
        args = [a for a in typing.get_args(_strip(annotation))]
        if typing.get_origin(_strip(annotation)) is dict and len(args) == 2:
            annotation = args[1]
            continue
        return None
    return _unwrap_model(annotation)


def _strip(annotation: object) -> object:
    """Remove Optional[...] / Annotated[...] wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def _unwrap_model(annotation: object) -> type[BaseModel] | None:
    bare = _strip(annotation)
    return bare if isinstance(bare, type) and issubclass(bare, BaseModel) else None


def _allowed_keys(loc: tuple[str, ...]) -> list[str]:
    model = _model_at(loc)
    return sorted(model.model_fields) if model else []


def _field_doc(loc: tuple[str, ...]) -> str:
    model = _model_at(loc[:-1])
    field = model.model_fields.get(loc[-1]) if model else None
    return f" ({field.description})" if field is not None and field.description else ""
