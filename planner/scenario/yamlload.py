"""Safe YAML loading that keeps the line of every key and rejects what PyYAML lets through.

Scalars are built by PyYAML's safe constructor (no object tags); mappings and sequences are
built here so that duplicate keys are rejected, alias expansion and nesting are bounded
("billion laughs"), and every value's line is recorded under its key path. Only plain YAML
is accepted: text, numbers, true/false, null, lists and mappings (and ``<<`` merge keys);
any other tag (``!!python/...``, ``!!binary``, ``!!set``, custom ``!tags``) is an error, and
dates stay text (quarters are written ``2026Q3``).
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field

import yaml

from planner.errors import InputError, Problem
from planner.scenario.yamlnodes import CORE_TAG, MAX_DEPTH, Path, build_nodes, node_kind

MAX_BYTES = 2 * 2**20    # the whole default scenario is ~60 kB; PyYAML parses ~0.1-1 MB/s



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
    first: [(tag, regexp) for tag, regexp in resolvers if tag != CORE_TAG + "timestamp"]
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
                                  f"not {node_kind(root)}")])
    data, lines, soft = build_nodes(root, filename, (), keep_going=True)
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
    return build_nodes(root, filename, path, line_override=line)[0]


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
