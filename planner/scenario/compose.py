"""Scenario composition: the one precedence chain default -> extends -> file -> --set.

``extends`` names the embedded ``default`` or paths relative to the file (a list is merged
in order). Merging is deep; the child wins; a ``null`` in the child removes the key.
"""
from __future__ import annotations

import os
from importlib import resources

import demand
import fleets
from planner.errors import InputError, Problem
from planner.scenario.merge import merge
from planner.scenario.overrides import apply_overrides
from planner.scenario.yamlload import Located, load_yaml_file, load_yaml_text

# The embedded default scenario: the scenario frame (horizon, economics), then each domain
# package's own default data, merged in this order.
DEFAULT_PARTS = (("planner", "data/default.yaml"),) \
    + tuple(("fleets", name) for name in fleets.DEFAULT_FILES) \
    + tuple(("demand", name) for name in demand.DEFAULT_FILES)
DEFAULT_NAME = "default"
# Vendor allocations `--buy` adds to a scenario without a `procurement` section.
PROCUREMENT_PART = ("fleets", fleets.PROCUREMENT_FILE)
# Price elasticities per tier: on the default's demand series, and what `--elastic` adds to
# the demand series of other scenarios that have none.
ELASTICITY_PART = ("demand", demand.ELASTICITY_FILE)


def _part_text(pkg: str, rel: str) -> str:
    return resources.files(pkg).joinpath(rel).read_text("utf-8")


def default_part_texts() -> list[tuple[str, str]]:
    """(shown name, YAML text) of each embedded default file, in merge order."""
    return [(f"<default>/{pkg}/{rel}", _part_text(pkg, rel)) for pkg, rel in DEFAULT_PARTS]


def load_default() -> Located:
    """The embedded default's part files merged in order, as one located document (the
    tier elasticities are added by :func:`resolve`, after what extends it)."""
    merged = Located({})
    for shown, text in default_part_texts():
        merged = merge(merged, load_yaml_text(text, shown, trusted=True))
    return merged


def _from_default(doc: Located) -> bool:
    """True when ``doc`` is, or extends, the embedded default."""
    return any(file.startswith("<default>/") for file, _ in doc.lines.values())


MAX_EXTENDS_DEPTH = 32  # files extending files; a real chain has two or three


def load_chain(path: str, seen: tuple[str, ...] = (), roots: tuple[str, ...] = ()) -> Located:
    """Load ``path`` with everything it extends, recursively (cycles are input errors).

    ``extends`` may name only files inside ``roots`` (real paths: the scenario's own folder
    first, then folders allowed by --allow-extends; absolute paths only inside the latter):
    a scenario under review cannot pull in, and so print, other files.
    """
    real = os.path.realpath(path)
    roots = roots or (os.path.dirname(real),)
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
        # confinement is checked first, so that the answer never tells whether a path exists
        allowed = roots[1:] if os.path.isabs(parent) else roots  # absolute: --allow-extends only
        if not _inside(os.path.realpath(target), allowed):
            kind = "an absolute path" if os.path.isabs(parent) else "outside the scenario's folder"
            raise InputError([Problem(file, line, "extends", f"'{parent}' is {kind}; extends "
                                      "names files in the folder of the scenario given (or "
                                      "below it); allow another folder with --allow-extends DIR")])
        if os.path.lexists(target) and not os.path.exists(target):
            raise InputError([Problem(file, line, "extends", f"'{parent}' is a broken symbolic "
                                      "link or a loop of links; point it at a scenario file")])
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
        base = merge(base, load_chain(target, seen + (real,), roots))
    return merge(base, doc)


def _inside(real: str, roots: tuple[str, ...]) -> bool:
    return any(os.path.commonpath([real, root]) == root for root in roots)


def resolve(path: str | None, overrides: list[str] = (), allow_extends: tuple[str, ...] = (),
            buy: bool = False, elastic: bool | None = None) -> Located:
    """The precedence chain in one place: default (or the file and what it extends) then --set.

    ``allow_extends``: folders beyond the scenario's own that ``extends`` may read from.
    ``buy``: a scenario without a ``procurement`` section gets the embedded vendor
    allocations (``fleets/data/procurement.yaml``) before the overrides.
    ``elastic``: each demand series without an ``elasticity`` gets its model tier's from
    ``demand/data/elasticity.yaml`` (reference price ``list``) when True, or when None and
    the scenario is or extends the embedded default (whose demand is price-responsive:
    after the whole extends chain, so a tier a child sets counts); False removes every
    elasticity (fixed demand). Before the overrides, so ``--set`` still sets one.
    """
    roots = ()
    if path is not None:
        roots = (os.path.dirname(os.path.realpath(path)),) + tuple(
            os.path.realpath(folder) for folder in allow_extends)
    doc = load_default() if path is None else load_chain(path, roots=roots)
    from_default = _from_default(doc)  # before --buy adds embedded data of its own
    if buy and "procurement" not in doc.data:
        pkg, rel = PROCUREMENT_PART
        doc = merge(doc, load_yaml_text(_part_text(pkg, rel),
                                        f"<default>/{pkg}/{rel}", trusted=True))
    if elastic is False:
        doc = _without_elasticities(doc)
    elif elastic or from_default:
        doc = _with_tier_elasticities(doc)
    doc = apply_overrides(doc, list(overrides))
    doc.data.pop("extends", None)
    return doc


def _tier_file() -> Located:
    pkg, rel = ELASTICITY_PART
    return load_yaml_text(_part_text(pkg, rel), f"<default>/{pkg}/{rel}", trusted=True)


def tier_elasticities(doc: Located, tier_file: Located | None = None) -> dict:
    """``{"demand": {model: {elasticity, reference_price_usd_per_m_output}}}`` for every
    demand series of ``doc`` without an elasticity whose model's tier has a non-zero one in
    ``demand/data/elasticity.yaml`` (``tier_file``, read when None; empty when none)."""
    by_tier = (tier_file or _tier_file()).data["elasticity_by_tier"]
    models = _section(doc, "models")
    demand = _section(doc, "demand")
    added = {}
    for key, series in demand.items():
        model = models.get(key)
        tier = model.get("tier") if isinstance(model, dict) else None
        if not isinstance(tier, str):
            continue
        if isinstance(series, dict) and "elasticity" not in series and by_tier.get(tier):
            added[key] = {"elasticity": float(by_tier[tier]),
                          "reference_price_usd_per_m_output": series.get(
                              "reference_price_usd_per_m_output", "list")}
    return {"demand": added} if added else {}


def _with_tier_elasticities(doc: Located) -> Located:
    """``doc`` with :func:`tier_elasticities` merged in, each located at its tier's line of
    the elasticity file."""
    source = _tier_file()
    added = tier_elasticities(doc, source)
    if not added:
        return doc
    merged = merge(doc, Located(added))
    for key in added["demand"]:
        where = source.where(("elasticity_by_tier", doc.data["models"][key]["tier"]))
        for field in ("elasticity", "reference_price_usd_per_m_output"):
            merged.lines[("demand", key, field)] = where
    return merged


def _section(doc: Located, key: str) -> dict:
    """Section ``key`` of ``doc`` when it is a mapping, else empty (validation reports it)."""
    value = doc.data.get(key) if isinstance(doc.data, dict) else None
    return value if isinstance(value, dict) else {}


def _without_elasticities(doc: Located) -> Located:
    """``doc`` with no elasticity or reference price on any demand series (``--inelastic``;
    ``null`` in a merge removes a key)."""
    demand = _section(doc, "demand")
    gone = {key: {"elasticity": None, "reference_price_usd_per_m_output": None}
            for key, series in demand.items() if isinstance(series, dict)}
    return merge(doc, Located({"demand": gone})) if gone else doc
