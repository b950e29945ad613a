"""Plain data from a composed YAML node tree: bounded, plain-tagged, with every key's line.

Mappings and sequences are built here (not by PyYAML) so that duplicate keys are rejected,
alias expansion and nesting are bounded ("billion laughs"), only plain tags pass, numbers stay
within range, and each value's line is recorded under its key path (:mod:`.yamlload` reads
the text and files; this module turns their node trees into data).
"""
from __future__ import annotations

import math

import yaml

from planner.errors import InputError, Problem

MAX_NODES = 200_000      # values built after alias expansion; a real scenario has a few thousand
MAX_DEPTH = 64           # nesting; a real scenario needs 6
MAX_MAGNITUDE = 1e18     # larger numbers are typos (and lose precision in the arithmetic)

Path = tuple[str, ...]

CORE_TAG = "tag:yaml.org,2002:"
ALLOWED_TAGS = {CORE_TAG + t for t in ("null", "bool", "int", "float", "str", "map", "seq")}
MERGE_TAG = CORE_TAG + "merge"


def build_nodes(root: yaml.Node, filename: str, path: Path, line_override: int | None = None,
           keep_going: bool = False) -> tuple[object, dict, list[Problem]]:
    """Plain data, key lines and soft problems from a composed node tree.

    InputError if anything is wrong, except that with ``keep_going`` duplicate keys alone
    (the first value kept) come back as soft problems for the caller to report later.
    """
    builder = _Builder(filename, line_override=line_override)
    try:
        data = builder.build(root, path)
    except _Abort:
        data = None
    soft = builder.duplicates if keep_going else []
    if len(builder.problems) > len(soft):
        raise InputError(builder.problems)
    return data, builder.lines, soft




def node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a single value"


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(CORE_TAG):] if tag.startswith(CORE_TAG) else tag


class _Builder:
    """Builds plain Python data from a composed node tree, bounded and with locations."""

    def __init__(self, filename: str, line_override: int | None = None):
        self.filename = filename
        self.line_override = line_override
        self.lines: dict[Path, tuple[str, int]] = {}
        self.problems: list[Problem] = []
        self.duplicates: list[Problem] = []
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def _line(self, node: yaml.Node) -> int:
        return self.line_override or node.start_mark.line + 1

    def _fail(self, node: yaml.Node, path: Path, message: str) -> None:
        self.problems.append(Problem(self.filename, self._line(node), ".".join(path), message))

    def build(self, node: yaml.Node, path: Path, depth: int = 0):
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            reason = (f"nested deeper than {MAX_DEPTH} levels (a recursive alias?)"
                      if depth > MAX_DEPTH else
                      f"expands to more than {MAX_NODES} values (an anchors/aliases bomb?)")
            self._fail(node, path[:2], f"document is too large: {reason}")
            raise _Abort
        self.lines.setdefault(path, (self.filename, self._line(node)))
        if node.tag not in ALLOWED_TAGS:
            self._fail(node, path, f"YAML tag {_show_tag(node.tag)} is not allowed; a scenario holds "
                       "only text, numbers, true/false, lists and mappings")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (str(i),), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.ScalarNode, path: Path):
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError, OverflowError) as exc:
            reason = getattr(exc, "problem", None) or "a number too long or malformed"
            self._fail(node, path, f"cannot read this value ({_short(node.value)}): {reason}")
            return None
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, float)):
            if (isinstance(value, int) or math.isfinite(value)) and abs(value) > MAX_MAGNITUDE:
                self._fail(node, path, f"number too large ({_short(node.value)}); numbers above "
                           "1e18 are not accepted: check the units and the digits")
                return None
            return value
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                self._fail(node, path, "text holds an invalid character (an unpaired UTF-16 "
                           "surrogate escape such as \\ud800); remove it")
                return None
        return value

    def _key(self, key_node: yaml.Node, path: Path) -> str | None:
        """A mapping key as text; None (with a problem) when it is not a plain name or number."""
        if not isinstance(key_node, yaml.ScalarNode):
            self._fail(key_node, path, f"a key must be a plain name or number, not {node_kind(key_node)}")
            return None
        if key_node.tag not in ALLOWED_TAGS:
            self._fail(key_node, path, f"YAML tag {_show_tag(key_node.tag)} is not allowed on a key")
            return None
        before = len(self.problems)
        key = self._scalar(key_node, path)
        if len(self.problems) > before:
            return None
        if key is None or isinstance(key, bool):
            shown = "empty (null)" if key is None else f"{str(key).lower()} (true/false)"
            if key_node.value:
                shown = f"'{_short(key_node.value)}', read as {shown}"
            self._fail(key_node, path, f"key {shown} is not a name; put the key in quotes")
            return None
        return str(key)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict:
        result: dict = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                if merges:
                    self._fail(key_node, path + ("<<",), "duplicate merge key `<<`; give one `<<` "
                               "with a list of anchors")
                    continue
                merges = (value_node.value if isinstance(value_node, yaml.SequenceNode)
                          else [value_node])
                if not all(isinstance(m, yaml.MappingNode) for m in merges):
                    self._fail(key_node, path + ("<<",), "a merge key `<<` needs an alias of a "
                               "mapping (<<: *name) or a list of them")
                    merges = []
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in result:
                first = self.lines.get(path + (key,), ("", "?"))[1]
                where = ("twice on this line" if first == self._line(key_node)
                         else f"first written on line {first}")
                self._fail(key_node, path + (key,), f"duplicate key ({where}); remove one of them")
                self.duplicates.append(self.problems[-1])
                continue
            self.lines[path + (key,)] = (self.filename, self._line(key_node))
            result[key] = self.build(value_node, path + (key,), depth + 1)
        # Merged mappings fill in keys the mapping does not give itself; the first listed wins.
        for merged_node in merges:
            own_lines, self.lines = self.lines, {}
            try:
                merged = self.build(merged_node, path, depth + 1)
            finally:
                merged_lines, self.lines = self.lines, own_lines
            for key, value in (merged or {}).items():
                if key in result:
                    continue
                result[key] = value
                for sub, where in merged_lines.items():
                    if sub[:len(path) + 1] == path + (key,):
                        self.lines.setdefault(sub, where)
        return result


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Abort(Exception):
    pass
