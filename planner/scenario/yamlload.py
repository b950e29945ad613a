"""Safe YAML loading that keeps the line of every key and rejects what PyYAML lets through.

Scalars are built by PyYAML's safe constructor (no object tags); mappings and sequences are
built here so that duplicate keys are rejected, alias expansion and nesting are bounded
("billion laughs"), and every value's line is recorded under its key path. Only plain YAML
is accepted: text, numbers, true/false, null, lists and mappings (and ``<<`` merge keys);
any other tag (``!!python/...``, ``!!binary``, ``!!set``, custom ``!tags``) is an error, and
dates stay text (quarters are written ``2026Q3``).
"""
from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field

import yaml

from planner.errors import InputError, Problem

MAX_NODES = 200_000      # values built after alias expansion; a real scenario has a few thousand
MAX_DEPTH = 64           # nesting; a real scenario needs 6
MAX_BYTES = 2 * 2**20    # the whole default scenario is ~60 kB; PyYAML parses ~0.1-1 MB/s
MAX_MAGNITUDE = 1e18     # larger numbers are typos (and lose precision in the arithmetic)

Path = tuple[str, ...]

_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = {_CORE + t for t in ("null", "bool", "int", "float", "str", "map", "seq")}
MERGE_TAG = _CORE + "merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads ``1e11`` (no dot) as a float, as users write it, keeps dates as
    text, and refuses nesting deeper than MAX_DEPTH while composing (PyYAML's composer is
    recursive: a few hundred ``[`` would otherwise end in a RecursionError)."""

    _depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
# `2026-01-01` stays text: then it is reported as "not a quarter", not as a date object.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _CORE + "timestamp"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()}


class _Dumper(yaml.SafeDumper):
    """SafeDumper that quotes every text this loader would read as something else (``1e3``,
    a date, ``yes``), so what ``planner show`` prints reloads as the same scenario."""


_Dumper.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()}
for _first, _resolvers in _Loader.yaml_implicit_resolvers.items():
    for _resolver in _resolvers:
        if _resolver not in _Dumper.yaml_implicit_resolvers.setdefault(_first, []):
            _Dumper.yaml_implicit_resolvers[_first].append(_resolver)


def dump_yaml(data: object) -> str:
    """Plain data as block YAML (keys in their order) that :func:`load_yaml_text` reads back
    as equal data."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)


class _TooDeep(yaml.YAMLError):
    """Nesting beyond MAX_DEPTH (a YAMLError, so plain ``yaml.load(..., Loader=_Loader)``
    callers that catch YAMLError stay safe too)."""

    def __init__(self, mark):
        super().__init__(mark)
        self.mark = mark


@dataclass
class Located:
    """Plain data from one or more files plus where each key path was written."""

    data: dict
    lines: dict[Path, tuple[str, int]] = field(default_factory=dict)
    # Problems that left the data usable (a duplicate key: the first is kept), reported with
    # the schema's so that one run of `validate` lists every problem of the file.
    problems: list[Problem] = field(default_factory=list)

    def files(self) -> tuple[str, ...]:
        """The files this document was read from (not the embedded default, not --set)."""
        names = {file for file, _ in self.lines.values()}
        return tuple(sorted(n for n in names if not n.startswith("<") and n != "--set"))

    def where(self, path: Path) -> tuple[str, int | None]:
        """The (file, line) of the longest prefix of ``path`` that has a known location."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return ("<scenario>", None)


class _TrustedLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's parser (when installed) with _Loader's resolvers, for the embedded default
    only: the same node tree ~15x faster, without the depth guard that user files need."""


_TrustedLoader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in _Loader.yaml_implicit_resolvers.items()}


class YamlSyntaxError(InputError):
    """The text is not YAML at all (as opposed to YAML holding something not allowed)."""


def _compose(text: str, filename: str, trusted: bool = False) -> yaml.Node | None:
    """The node tree of one YAML document; InputError (one line, with the line) if unreadable.
    ``trusted``: our own embedded text, parsed by libyaml."""
    if len(text) > MAX_BYTES:
        raise InputError([Problem(filename, None, "", f"file is larger than {MAX_BYTES // 2**20} MiB; "
                                  "a scenario is a few hundred kB")])
    if "\x00" in text:
        raise InputError([Problem(filename, None, "", "file is binary, not YAML text")])
    try:
        loader = (_TrustedLoader if trusted else _Loader)(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except _TooDeep as exc:
        raise InputError([Problem(filename, exc.mark.line + 1, "", "document is too large: "
                                  f"nested deeper than {MAX_DEPTH} levels")]) from None
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError([_syntax_problem(exc, filename)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise YamlSyntaxError([Problem(filename, line, "", f"character U+{ord(char):04X} is not "
                                       "allowed in YAML text (a control character); remove it")]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above is one of these
        raise YamlSyntaxError([Problem(filename, None, "", f"YAML error: {exc}")]) from None
    except RecursionError:  # pragma: no cover - _Loader bounds the depth first
        raise InputError([Problem(filename, None, "", "document is too large: nested too "
                                  "deeply")]) from None


def _syntax_problem(exc: yaml.MarkedYAMLError, filename: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    if "another document" in problem:
        return Problem(filename, line, "", "YAML syntax error: a scenario file holds one YAML "
                       "document; remove the second `---` and what follows, or split the file")
    if "undefined alias" in problem:
        return Problem(filename, line, "", f"YAML syntax error: {problem}; define the anchor "
                       "(&name) before using it (*name)")
    if "duplicate anchor" in context:
        return Problem(filename, line, "", "YAML syntax error: the same anchor (&name) is defined "
                       "twice; rename one")
    what = problem or "not valid YAML"
    if "'\\t'" in problem:
        return Problem(filename, line, "", "YAML syntax error: a tab character where YAML allows "
                       "only spaces (indentation, separators); replace it with spaces")
    if "quoted scalar" in context and exc.context_mark is not None:
        return Problem(filename, line, "", "YAML syntax error: the quoted text opened on line "
                       f"{exc.context_mark.line + 1} is never closed; add the closing quote")
    if problem.startswith("expected <block end>"):
        return Problem(filename, line, "", "YAML syntax error: this line's indentation matches no "
                       "key above it; align it with its siblings")
    if context and exc.context_mark is not None and exc.problem_mark is not None \
            and exc.context_mark.line != exc.problem_mark.line:
        what += f" ({context} on line {exc.context_mark.line + 1})"
    elif context:
        what += f" ({context})"
    if "flow" in context:
        what += "; check that every { and [ is closed"
    if "mapping values are not allowed" in what:
        what += "; quote a value that holds `: `, or check the indentation"
    return Problem(filename, line, "", f"YAML syntax error: {what}")


def load_yaml_text(text: str, filename: str, trusted: bool = False) -> Located:
    """Parse one YAML document into plain data with line numbers; raise InputError if bad.
    ``trusted``: the embedded default's own text (parsed faster, see _TrustedLoader)."""
    root = _compose(text, filename, trusted)
    if root is None:
        raise InputError([Problem(filename, None, "", "file is empty; a scenario needs at least "
                                  "`name:` and `horizon:` (or `extends:`)")])
    if not isinstance(root, yaml.MappingNode):
        raise InputError([Problem(filename, root.start_mark.line + 1, "",
                                  "a scenario file must be a mapping of keys (name:, horizon:, ...), "
                                  f"not {_kind(root)}")])
    data, lines, soft = _build(root, filename, (), keep_going=True)
    return Located(data, lines, soft)


def load_yaml_value(text: str, filename: str, line: int, path: Path = ()) -> object:
    """One YAML value (e.g. of ``--set key=value``), built with the same rules as a file.

    Raises YamlSyntaxError when the text is not YAML (callers may then take it as text).
    """
    try:
        root = _compose(text, filename)
    except YamlSyntaxError as exc:
        raise YamlSyntaxError([Problem(filename, line, ".".join(path), p.message)
                               for p in exc.problems]) from None
    except InputError as exc:
        raise InputError([Problem(filename, line, ".".join(path), p.message)
                          for p in exc.problems]) from None
    if root is None:
        return None
    return _build(root, filename, path, line_override=line)[0]


def _build(root: yaml.Node, filename: str, path: Path, line_override: int | None = None,
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


def load_yaml_file(path: str, shown_as: str | None = None) -> Located:
    """Read and parse a YAML file; unreadable or non-UTF-8 files are input errors."""
    shown = shown_as or path
    try:
        # A FIFO or device would block or never end: only regular files are opened.
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):
            raise InputError([Problem(shown, None, "", "is not a regular file (a pipe or device?); "
                                      "give a scenario file")])
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise InputError([Problem(shown, None, "", "is a broken symbolic link; point it at a "
                                      "scenario file")]) from None
        raise InputError([Problem(shown, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem(shown, None, "", "is a directory, not a scenario file")]) from None
    except PermissionError:
        raise InputError([Problem(shown, None, "", "cannot read file: permission denied")]) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError([Problem(shown, None, "", f"cannot read file: {reason}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if b"\x00" in raw[:8192]:
            raise InputError([Problem(shown, None, "", "file is binary, not YAML text")]) from None
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError([Problem(shown, line, "", f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                                  "save it as UTF-8")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a UTF-8 byte-order mark, as some editors write
    return load_yaml_text(text, shown)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a single value"


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


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
            self._fail(key_node, path, f"a key must be a plain name or number, not {_kind(key_node)}")
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
