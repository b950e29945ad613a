"""The dependency rules of ARCHITECTURE.md, read from the source: every import of one of our
packages (function-local ones included) goes down the layers, never up or sideways."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("common", "fleets", "demand", "solver", "planner")
# what each top-level package may import of ours
ALLOWED = {"common": set(), "solver": set(), "fleets": {"common"}, "demand": {"common"},
           "planner": {"common", "fleets", "demand", "solver"}}
# folders inside planner/, top layer first: a folder imports only folders of later layers
PLANNER_LAYERS = (("cli",), ("review",), ("report", "sweep"), ("queries", "calibration"),
                  ("output",), ("run",), ("scenario",), ("costcore",), ("plots",))
LAYER = {name: i for i, names in enumerate(PLANNER_LAYERS) for name in names}
MAX_LINES = 300


def modules():
    return sorted(p for pkg in OURS for p in (ROOT / pkg).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Dotted names of our modules that ``path`` imports (absolute or relative)."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            names.add(".".join((*base, node.module or "")).strip("."))
    return {n for n in names if n.split(".")[0] in OURS}


def test_the_rules_see_every_package():
    assert all((ROOT / pkg).is_dir() for pkg in OURS)
    assert {p.name for p in (ROOT / "planner").iterdir() if p.is_dir()
            and p.name != "__pycache__" and p.name != "data"} == set(LAYER)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down_the_layers(path):
    parts = path.relative_to(ROOT).parts
    own = parts[0]
    for name in imported(path):
        target = name.split(".")
        assert target[0] == own or target[0] in ALLOWED[own], f"{own} may not import {name}"
        if own == "planner" and target[0] == "planner" and len(parts) > 2 \
                and len(target) > 1 and target[1] in LAYER:
            src, dst = parts[1], target[1]
            assert src == dst or LAYER[dst] > LAYER[src], \
                f"planner/{src} may not import {name} (a layer above or beside it)"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it by concern"
