"""Safe YAML loading that keeps the line of every key and rejects what PyYAML lets through.

Scalars are built by PyYAML's safe constructor (no object tags); mappings and sequences are
built here so that duplicate keys are rejected, alias expansion and nesting are bounded
("billion laughs"), and every value's line is recorded under its key path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from planner.errors import InputError, Problem

MAX_NODES = 200_000      # values built after alias expansion; a real scenario has a few thousand
MAX_DEPTH = 64           # nesting; a real scenario needs 6
MAX_BYTES = 16 * 2**20   # a scenario file is a few hundred kB at most

Path = tuple[str, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads ``1e11`` (no dot) as a float, as users write it."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


@dataclass
class Located:
    """Plain data from one or more files plus where each key path was written."""

    data: dict
    lines: dict[Path, tuple[str, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[str, int | None]:
        """The (file, line) of the longest prefix of ``path`` that has a known location."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return ("<scenario>", None)


def load_yaml_text(text: str, filename: str) -> Located:
    """Parse one YAML document into plain data with line numbers; raise InputError if bad."""
    if len(text) > MAX_BYTES:
        raise InputError([Problem(filename, None, "", f"file is larger than {MAX_BYTES // 2**20} MiB; "
                                  "a scenario is a few hundred kB")])
    if "\x00" in text:
        raise InputError([Problem(filename, None, "", "file is binary, not YAML text")])
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "YAML syntax error"
        hint = ""
        if "\\t" in str(exc) or "tab" in str(exc).lower():
            hint = " (tabs are not allowed in YAML indentation; use spaces)"
        raise InputError([Problem(filename, line, "", f"YAML syntax error: {what}{hint}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(filename, None, "", f"YAML error: {exc}")]) from None
    if root is None:
        raise InputError([Problem(filename, None, "", "file is empty; a scenario needs at least "
                                  "`name:` and `horizon:` (or `extends:`)")])
    builder = _Builder(filename)
    try:
        data = builder.build(root, ())
    except _Abort:
        data = None
    if builder.problems:
        raise InputError(builder.problems)
    if not isinstance(data, dict):
        raise InputError([Problem(filename, root.start_mark.line + 1, "",
                                  "a scenario file must be a mapping of keys (name:, horizon:, ...)")])
    return Located(data, builder.lines)


def load_yaml_file(path: str, shown_as: str | None = None) -> Located:
    """Read and parse a YAML file; unreadable or non-UTF-8 files are input errors."""
    shown = shown_as or path
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError([Problem(shown, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(shown, None, "", "is a directory, not a scenario file")]) from None
    except OSError as exc:
        raise InputError([Problem(shown, None, "", f"cannot read file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem(shown, None, "", "file is binary or not UTF-8 text")]) from None
    return load_yaml_text(text, shown)


class _Builder:
    """Builds plain Python data from a composed node tree, bounded and with locations."""

    def __init__(self, filename: str):
        self.filename = filename
        self.lines: dict[Path, tuple[str, int]] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def _fail(self, node: yaml.Node, path: Path, message: str) -> None:
        self.problems.append(Problem(self.filename, node.start_mark.line + 1, ".".join(path), message))

    def build(self, node: yaml.Node, path: Path, depth: int = 0):
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            if not self.problems or "too" not in self.problems[-1].message:
                reason = (f"nested deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH else
                          f"expands to more than {MAX_NODES} values (aliases/anchors bomb?)")
                self._fail(node, path[:2], f"document is too large: {reason}")
            raise _Abort
        self.lines.setdefault(path, (self.filename, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (str(i),), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self._fail(node, path, f"cannot read this value: {exc.problem}")
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict:
        result: dict = {}
        self.constructor.flatten_mapping(node)  # resolves YAML merge keys (<<) safely
        for key_node, value_node in node.value:
            key = self.build(key_node, path, depth + 1) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float)) or isinstance(key, bool):
                self._fail(key_node, path, "keys must be plain names or numbers")
                continue
            key = str(key)
            if key in result:
                first = self.lines.get(path + (key,), ("", "?"))[1]
                self._fail(key_node, path + (key,), f"duplicate key (first written on line {first}); "
                           "remove one of them")
                continue
            self.lines[path + (key,)] = (self.filename, key_node.start_mark.line + 1)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        return result


class _Abort(Exception):
    pass
