"""What a sweep varies: the scenario's ``uncertainty:`` section or ``--vary`` grids.

Both become a :class:`SweepSpec` of :class:`Input` s, checked against the resolved scenario:
every path must exist under systems, fleet, models, demand or economics and hold a number
(``set``), numbers (``multiply``/``add``: every number under the path) or a mapping of
quarter -> number (``slip_quarters``). Problems name the file and line (or ``--vary`` and its
position) and suggest the closest key.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import yaml

from common.quarters import Quarter
from planner.errors import InputError, Problem
from planner.scenario.loaded import Loaded
from planner.scenario.overrides import KEY_PART  # the --set path syntax, in one place
from planner.scenario.overrides import split_assignment
from planner.scenario.schema import Distribution
from planner.scenario.yamlload import _Loader

VARY_SECTIONS = ("systems", "fleet", "models", "demand", "economics")
OPERATIONS = ("set", "multiply", "add", "slip_quarters")
MAX_GRID_POINTS = 1_000_000


@dataclass(frozen=True)
class Input:
    """One varied input. ``dist`` = (kind, parameters) for random draws; ``values`` for a grid."""

    name: str
    path: tuple[str, ...]
    op: str
    dist: tuple[str, tuple[float, ...]] | None = None
    values: tuple[float, ...] | None = None

    @property
    def path_text(self) -> str:
        return ".".join(f'"{k}"' if "." in k else k for k in self.path)

    def describe(self) -> str:
        """``multiply lognormal(median=1, sigma=0.3)`` or ``set in {2.5, 3, 3.5}``."""
        if self.values is not None:
            return f"{self.op} in {{{', '.join(f'{v:g}' for v in self.values)}}}"
        kind, params = self.dist
        names = {"normal": ("mean", "sd"), "lognormal": ("median", "sigma")}.get(kind)
        inner = (", ".join(f"{n}={p:g}" for n, p in zip(names, params)) if names
                 else ", ".join(f"{p:g}" for p in params))
        return f"{self.op} {kind}({inner})"


@dataclass(frozen=True)
class SweepSpec:
    """Random sampling (``samples`` draws seeded by ``seed``) or a grid (Cartesian product)."""

    mode: str  # "random" | "grid"
    inputs: tuple[Input, ...]
    seed: int = 0
    samples: int = 0

    @property
    def n_samples(self) -> int:
        if self.mode == "grid":
            return math.prod(len(i.values) for i in self.inputs)
        return self.samples


def split_path(text: str) -> tuple[str, ...]:
    """``models."llama-3.1-70b".layers`` -> ("models", "llama-3.1-70b", "layers"), as --set."""
    return tuple(k.strip().strip('"') for k in KEY_PART.findall(text))


def base_data(loaded: Loaded) -> dict:
    """The resolved scenario as plain JSON-like data (quarters as text), without uncertainty."""
    return loaded.scenario.model_dump(mode="json", exclude={"uncertainty"})


# ----------------------------------------------------------------------------- from the scenario
def spec_from_scenario(loaded: Loaded, samples: int | None = None,
                       seed: int | None = None) -> SweepSpec:
    """The spec of the scenario's ``uncertainty:`` section (``samples``/``seed`` override it)."""
    u = loaded.scenario.uncertainty
    if u is None:
        file, _ = loaded.doc.where(("name",))
        raise InputError([Problem(file, None, "uncertainty", "the scenario has no `uncertainty:` "
                                  "section; add one (see `planner sweep --help`) or give "
                                  "--vary PATH=V1,V2,...")])
    data = base_data(loaded)
    inputs, problems = [], []
    for i, entry in enumerate(u.vary):
        where = ("uncertainty", "vary", str(i))
        op = next(k for k in OPERATIONS if getattr(entry, k) is not None)
        dist = _dist_tuple(getattr(entry, op))
        path = split_path(entry.path)

        def report(message: str, key: str = "path") -> None:
            file, line = loaded.doc.where(where + (key,))
            problems.append(Problem(file, line, ".".join(where + (key,)), message))

        message = check_path(data, path, op)
        if message:
            report(message)
            continue
        if op == "slip_quarters" and not _whole(dist):
            report("slip_quarters needs whole quarters: use uniform_int: [low, high] or "
                   "choice: [whole numbers]", op)
            continue
        inputs.append(Input(_unique(entry.name or entry.path, inputs), path, op, dist=dist))
    if problems:
        raise InputError(problems)
    return SweepSpec("random", tuple(inputs), seed=u.seed if seed is None else seed,
                     samples=u.samples if samples is None else samples)


def _unique(name: str, inputs: list[Input]) -> str:
    """``name``, or ``name (2)`` ... when an earlier input has it (labels key the outputs)."""
    taken = {i.name for i in inputs}
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name} ({k})"
    return out


def _dist_tuple(d: Distribution) -> tuple[str, tuple[float, ...]]:
    if d.normal is not None:
        return "normal", (d.normal.mean, d.normal.sd)
    if d.lognormal is not None:
        return "lognormal", (d.lognormal.median, d.lognormal.sigma)
    for kind in ("uniform", "triangular", "uniform_int", "choice"):
        values = getattr(d, kind)
        if values is not None:
            return kind, tuple(float(v) for v in values)
    raise AssertionError("the schema guarantees one distribution")


def _whole(dist: tuple[str, tuple[float, ...]]) -> bool:
    kind, params = dist
    return kind in ("uniform_int", "choice") and all(float(p).is_integer() for p in params)


# ----------------------------------------------------------------------------- --vary grids
def spec_from_vary(loaded: Loaded, texts: list[str] | tuple[str, ...]) -> SweepSpec:
    """A grid from ``--vary PATH[:OP]=V1,V2,...`` options (OP: set (default), multiply, add,
    slip_quarters); the sweep runs every combination (Cartesian product, last varies fastest)."""
    data = base_data(loaded)
    inputs, problems = [], []
    for number, text in enumerate(texts, start=1):
        def report(path: str, message: str) -> None:
            problems.append(Problem("--vary", number, path, message))

        key, sep, raw = split_assignment(text)
        op = "set"
        head, colon, tail = key.rpartition(":")
        if colon and '"' not in tail:
            key, op = head, tail.strip()
        path = split_path(key)
        if not sep or not path or not all(path):
            report(key, f"'{text}' is not PATH=V1,V2,... (or PATH:OP=... with OP one of "
                   f"{', '.join(OPERATIONS)})")
            continue
        if op not in OPERATIONS:
            report(key, f"unknown operation '{op}'{_suggest(op, OPERATIONS)}")
            continue
        values = []
        for item in raw.split(","):
            try:
                value = yaml.load(item, Loader=_Loader) if item.strip() else None
            except yaml.YAMLError:
                value = item
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value):
                values = None
                report(key, f"'{item.strip()}' is not a number; give numbers separated by commas")
                break
            values.append(float(value))
        if values is None:
            continue
        message = check_path(data, path, op)
        if message:
            report(key, message)
            continue
        if op == "slip_quarters" and not all(v.is_integer() for v in values):
            report(key, "slip_quarters needs whole numbers of quarters")
            continue
        name = key.strip() + ("" if op == "set" else f":{op}")
        inputs.append(Input(_unique(name, inputs), path, op, values=tuple(values)))
    if problems:
        raise InputError(problems)
    spec = SweepSpec("grid", tuple(inputs))
    if spec.n_samples > MAX_GRID_POINTS:
        raise InputError([Problem("--vary", None, "", f"the grid has {spec.n_samples:,} points; "
                                  f"at most {MAX_GRID_POINTS:,}")])
    return spec


# ----------------------------------------------------------------------------- path checks
def check_path(data: dict, path: tuple[str, ...], op: str) -> str:
    """'' when ``op`` can apply at ``path`` of the scenario ``data``, else what is wrong."""
    if not path or path[0] not in VARY_SECTIONS:
        head = path[0] if path else ""
        return (f"'{head}' cannot vary: paths start with one of {', '.join(VARY_SECTIONS)}"
                + _suggest(head, VARY_SECTIONS))
    node: object = data
    for depth, key in enumerate(path):
        if not isinstance(node, dict):
            where = ".".join(path[:depth])
            return f"{where} is a number, not a mapping: it has no key '{key}'"
        if key not in node:
            where = ".".join(path[:depth]) or "the scenario"
            known = [k for k, v in node.items() if v is not None]
            return f"no key '{key}' in {where}" + _suggest(key, known)
        node = node[key]
        if node is None:
            return f"{'.'.join(path[:depth + 1])} is not set in the scenario (null)"
    if op == "set":
        if not _is_number(node):
            return ("set needs a single number at the path; use multiply or add to change "
                    "every number of a mapping")
    elif op in ("multiply", "add"):
        if not (_is_number(node) or any(True for _ in _numbers(node))):
            return f"{op} needs a number or a mapping of numbers at the path"
    elif op == "slip_quarters":
        if not isinstance(node, dict) or not node or not all(
                _is_quarter(k) and _is_number(v) for k, v in node.items()):
            return ("slip_quarters needs a mapping of quarter -> number at the path, "
                    "e.g. fleet.<system>.deliveries")
    return ""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(node: object):
    if isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value)
    elif _is_number(node):
        yield node


def _is_quarter(text: str) -> bool:
    try:
        Quarter.parse(text)
    except ValueError:
        return False
    return True


def _suggest(word: str, allowed) -> str:
    allowed = [str(a) for a in allowed]
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if allowed and len(allowed) <= 20:
        return f"; known: {', '.join(allowed)}"
    return ""
