"""Input changes between two resolved scenarios: key path, old -> new, and where each is written.

Both sides are the fully composed documents (default -> extends -> file -> --set), so a change
inherited through ``extends`` shows up too, located in the file that wrote it. Values that
are equal as numbers (``1e11`` and ``100000000000``) are not changes; moving a value to another
file without changing it is not a change either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from planner.scenario.yamlload import Located
from planner.scenario.yamlnodes import Path

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


@dataclass(frozen=True)
class InputChange:
    """One leaf that differs: kind is changed, added or removed; ``*_at`` is file:line."""

    path: str
    kind: str
    old: object
    new: object
    old_at: str | None
    new_at: str | None

    def to_json(self) -> dict:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new,
                "old_at": self.old_at, "new_at": self.new_at}


def key_path(path: Path) -> str:
    """``models."llama-3.1-70b".layers``: the --set spelling (keys with dots are quoted)."""
    return ".".join(k if _PLAIN_KEY.match(k) else f'"{k}"' for k in path)


def leaves(value: object, path: Path = ()) -> dict[Path, object]:
    """Every scalar (and empty container) of a document by its key path, in document order."""
    if isinstance(value, dict) and value:
        out: dict[Path, object] = {}
        for key, sub in value.items():
            out.update(leaves(sub, path + (str(key),)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, sub in enumerate(value):
            out.update(leaves(sub, path + (str(i),)))
        return out
    return {path: value}


def same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def where(doc: Located, path: Path) -> str | None:
    file, line = doc.where(path)
    return f"{file}:{line}" if line else file


def input_changes(base: Located, proposed: Located) -> list[InputChange]:
    """Changed, added and removed leaves, in the proposed document's order, then removals."""
    old, new = leaves(base.data), leaves(proposed.data)
    changes = []
    for path, value in new.items():
        if path not in old:
            changes.append(InputChange(key_path(path), "added", None, value, None, where(proposed, path)))
        elif not same(old[path], value):
            changes.append(InputChange(key_path(path), "changed", old[path], value,
                                       where(base, path), where(proposed, path)))
    for path, value in old.items():
        if path not in new:
            changes.append(InputChange(key_path(path), "removed", value, None, where(base, path), None))
    return changes
