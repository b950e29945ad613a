"""Semantic checks the schema cannot express: references, horizon, physical consistency."""
from __future__ import annotations

import difflib
import math

from common.quarters import Quarter
from planner.errors import Problem
from planner.scenario.schema import Scenario
from planner.scenario.yamlload import Located

MAX_HORIZON_QUARTERS = 80  # 20 years; the cost core and the LP grow with every quarter
MAX_LOG10_TOKENS_PER_DAY = 18  # as the loader's largest number: 1e18 tokens a day is a typo


def semantic_problems(scenario: Scenario, doc: Located,
                      pruned: set[tuple[str, ...]] = frozenset()) -> list[Problem]:
    """Every cross-field problem in ``scenario``, each located in ``doc``.

    ``pruned`` names entries (``("systems", key)``) set aside for schema errors already
    reported: references to them are not reported again.
    """
    problems: list[Problem] = []

    def report(path: tuple[str, ...], message: str) -> None:
        file, line = doc.where(path)
        problems.append(Problem(file, line, ".".join(path), message))

    start, end = scenario.horizon.start, scenario.horizon.end
    if end < start:
        report(("horizon", "end"), f"horizon ends ({end}) before it starts ({start})")
    elif end - start + 1 > MAX_HORIZON_QUARTERS:
        report(("horizon", "end"), f"the horizon {start}-{end} spans {end - start + 1} quarters; "
               f"plan at most {MAX_HORIZON_QUARTERS} ({MAX_HORIZON_QUARTERS // 4} years) at once")

    def in_horizon(path: tuple[str, ...], quarter: Quarter, allow_before: bool = False) -> None:
        if end < start:
            return  # the reversed horizon is the one problem to report
        if quarter > end or (quarter < start and not allow_before):
            report(path + (str(quarter),), f"quarter {quarter} is outside the horizon {start}-{end}")

    families = _efficiency_families()
    for key, system in scenario.systems.items():
        if system.family is not None and system.family not in families:
            report(("systems", key, "family"),
                   f"unknown family '{system.family}'{_close(system.family, families)}")

    for key, model in scenario.models.items():
        if model.active_params_b > model.total_params_b:
            report(("models", key, "active_params_b"),
                   f"active parameters ({model.active_params_b:g}B) exceed total parameters "
                   f"({model.total_params_b:g}B); active must be <= total")
        if model.speculative is not None and \
                model.speculative.accepted_tokens > 1 + model.speculative.draft_tokens:
            report(("models", key, "speculative", "accepted_tokens"),
                   f"{model.speculative.accepted_tokens:g} accepted tokens per step exceed 1 + "
                   f"{model.speculative.draft_tokens} draft tokens; at most "
                   f"{1 + model.speculative.draft_tokens}")
        if model.experts is not None:
            if model.experts.active > model.experts.total:
                report(("models", key, "experts", "active"),
                       f"{model.experts.active} active experts of only {model.experts.total}; "
                       "active must be <= total")
            elif model.experts.active == model.experts.total:
                report(("models", key, "experts"),
                       "all experts active: a dense model; remove `experts`")
            elif model.active_params_b == model.total_params_b:
                report(("models", key, "active_params_b"),
                       "a mixture-of-experts model must have fewer active than total parameters")
            elif model.active_params_b < model.total_params_b * model.experts.active / model.experts.total:
                floor = model.total_params_b * model.experts.active / model.experts.total
                report(("models", key, "active_params_b"),
                       f"{model.active_params_b:g}B active is less than the routed experts alone "
                       f"({model.experts.active}/{model.experts.total} of {model.total_params_b:g}B "
                       f"= {floor:.3g}B); raise active_params_b or check the expert counts")

    for key, entry in scenario.fleet.items():
        if ("systems", key) in pruned or ("systems",) in pruned:
            continue
        if key not in scenario.systems:
            known = set(scenario.systems) | {p[1] for p in pruned if p[:1] == ("systems",) and len(p) > 1}
            report(("fleet", key), f"unknown system '{key}'{_close(key, known)}")
            continue
        if scenario.sites and entry.site not in scenario.sites and entry.site != "main":
            known = set(scenario.sites) | {"main"}  # `main`: the uncapped default site
            report(("fleet", key, "site"), f"unknown site '{entry.site}'{_close(entry.site, known)}")
        first = scenario.systems[key].available_from
        for quarter in entry.deliveries:
            in_horizon(("fleet", key, "deliveries"), quarter, allow_before=True)
            if quarter < first:
                report(("fleet", key, "deliveries", str(quarter)),
                       f"delivered in {quarter} but the system is available from {first}")
        for quarter in entry.reserved_fraction:
            in_horizon(("fleet", key, "reserved_fraction"), quarter, allow_before=True)

    if scenario.procurement is not None:
        _procurement_problems(scenario, report)

    # entries set aside for schema errors are checked for their name too: a misspelt name is
    # the likelier mistake than the missing keys reported for it
    for section, target in (("fleet", "systems"), ("demand", "models")):
        known = set(getattr(scenario, target)) | {p[1] for p in pruned
                                                  if p[:1] == (target,) and len(p) > 1}
        if (target,) in pruned:
            continue
        for key in [p[1] for p in pruned if p[:1] == (section,) and len(p) > 1]:
            if key not in known:
                report((section, key), f"unknown {target[:-1]} '{key}'{_close(key, known)}")

    for key, entry in scenario.demand.items():
        if key not in scenario.models and ("models", key) not in pruned \
                and ("models",) not in pruned:
            known = set(scenario.models) | {p[1] for p in pruned if p[:1] == ("models",) and len(p) > 1}
            report(("demand", key), f"unknown model '{key}'{_close(key, known)}")
        for quarter in entry.output_tokens_per_day:
            in_horizon(("demand", key, "output_tokens_per_day"), quarter, allow_before=True)
        grown = _grown_log10(entry, end)
        if grown is not None and grown > MAX_LOG10_TOKENS_PER_DAY:
            report(("demand", key, "growth_per_year"),
                   f"growth of {entry.growth_per_year:g} a year compounds demand to ~1e{grown:.0f} "
                   f"output tokens a day by {end} (above 1e{MAX_LOG10_TOKENS_PER_DAY}); "
                   "check the rate (0.5 = +50 % a year)")
        for quarter in entry.price_changes:
            in_horizon(("demand", key, "price_changes"), quarter, allow_before=True)

    for key, site in scenario.sites.items():
        for quarter in site.power_mw:
            in_horizon(("sites", key, "power_mw"), quarter, allow_before=True)

    for quarter in scenario.economics.serving_efficiency:
        in_horizon(("economics", "serving_efficiency"), quarter, allow_before=True)
    return problems


def _grown_log10(entry, end: Quarter) -> float | None:
    """log10 of the demand the growth rate reaches at ``end`` (None when it does not apply),
    computed in logs so that an absurd rate cannot overflow here."""
    points = entry.output_tokens_per_day
    if not points or entry.growth_per_year == 0:
        return None
    last = max(points)
    value, years = points[last], max(end - last, 0) / 4.0
    if value <= 0 or years == 0:
        return None
    return math.log10(value) + years * math.log10(1.0 + entry.growth_per_year)


def _efficiency_families() -> list[str]:
    from planner.costcore.efficiency import load_efficiency_table

    return sorted(load_efficiency_table().families)


def _close(word: str, names) -> str:
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; known: {', '.join(sorted(names))}" if names else "; none are defined"


def _procurement_problems(scenario: Scenario, report) -> None:
    """Buyable systems must exist; contracted chips may not exceed the allocation."""
    from common.quarters import step_values

    for key, option in scenario.procurement.systems.items():
        path = ("procurement", "systems", key)
        if key not in scenario.systems:
            report(path, f"unknown system '{key}'{_close(key, set(scenario.systems))}")
            continue
        if not option.min_chips_per_quarter:
            continue
        points = sorted(set(option.max_chips_per_quarter) | set(option.min_chips_per_quarter))
        idx = [q.index for q in points]
        hi = step_values([q.index for q in option.max_chips_per_quarter],
                         list(option.max_chips_per_quarter.values()), idx)
        lo = step_values([q.index for q in option.min_chips_per_quarter],
                         list(option.min_chips_per_quarter.values()), idx)
        for quarter, a, b in zip(points, lo, hi):
            if a > b:
                report(path + ("min_chips_per_quarter",),
                       f"{a:g} contracted chips in {quarter} exceed the allocation of {b:g} "
                       "(max_chips_per_quarter); lower the contract or raise the allocation")
                break
