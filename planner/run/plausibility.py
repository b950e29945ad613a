"""Warnings for inputs that are legal but implausible, and for results worth a second look.

They go to stderr (exit code unchanged) and into summary.json ``warnings``; `planner
validate` prints the input ones. Each names the file, line and key where it can.

Inputs:
* a chip figure (HBM GB, HBM TB/s, FP8 TFLOP/s, power kW) outside PLAUSIBLE_FACTOR of the
  span of the embedded catalog (e.g. ``hbm_gb: 0.288`` typed in TB, ``power_kw: 1400`` in W);
* a model with demand whose layers, hidden size or attention width are inferred from its
  active parameters ("architecture inferred");
* a model with demand whose tokens are worth $0 to the allocation in some quarter (zero list
  price, no imputed value, no explicit unmet penalty): it is never served.
Results:
* a model with demand that fits on no system available in any quarter of the horizon;
* available chips left idle above IDLE_WARNING_SHARE of the fleet in some quarter;
* a model with demand whose cheapest configuration on some system sits at the edge of the cost
  core's batch or replica-size grid (the optimum may lie beyond it; costcore.select.grid_edges).
"""
from __future__ import annotations

import functools

import pandas as pd

from planner.scenario.schema import Scenario
from planner.scenario.yamlload import Located

PLAUSIBLE_FACTOR = 3.0  # beyond 1/3 of the catalog's smallest or 3x its largest figure
IDLE_WARNING_SHARE = 0.3  # idle share of available chips that earns a warning
CHIP_FIGURES = {"hbm_gb": "GB of HBM", "hbm_tbps": "TB/s of HBM bandwidth",
                "fp8_tflops": "FP8 TFLOP/s", "power_kw": "kW"}


@functools.lru_cache(maxsize=1)
def catalog_span() -> dict[str, tuple[float, float]]:
    """(smallest, largest) of each chip figure over the embedded catalog's systems."""
    import yaml

    import fleets
    from planner.scenario.yamlload import _TrustedLoader

    text = fleets.data_text(fleets.DEFAULT_FILES[0])
    # our own file, with the scenario loader's number rules (1e3 is a float), by libyaml
    chips = [s["chip"] for s in yaml.load(text, Loader=_TrustedLoader)["systems"].values()]
    return {f: (min(c[f] for c in chips), max(c[f] for c in chips)) for f in CHIP_FIGURES}


def input_warnings(scenario: Scenario, doc: Located) -> list[str]:
    """Warnings about the scenario itself, each located as ``file:line: key: message``."""
    out = []

    def warn(path: tuple[str, ...], message: str) -> None:
        file, line = doc.where(path)
        where = f"{file}:{line}" if line else file
        out.append(f"{where}: {'.'.join(path)}: {message}")

    span = catalog_span()
    for key, system in scenario.systems.items():
        for figure, unit in CHIP_FIGURES.items():
            value, (low, high) = getattr(system.chip, figure), span[figure]
            if not low / PLAUSIBLE_FACTOR <= value <= high * PLAUSIBLE_FACTOR:
                warn(("systems", key, "chip", figure),
                     f"{value:g} {unit} per chip is far outside the catalog's {low:g}-{high:g}; "
                     "check the unit (GB not TB, kW not W, per chip not per system)")
    from planner.costcore.architecture import inferred_warning

    for key, model in scenario.models.items():
        inferred = inferred_warning(model)
        if inferred and key in scenario.demand:  # models without demand are not planned
            warn(("models", key), inferred)
    for key, d in scenario.demand.items():
        if d.unmet_penalty_usd_per_m_output or _imputed(d) > 0:
            continue
        periods = {str(scenario.horizon.start): d.price_usd_per_m}
        periods.update({str(q): p for q, p in d.price_changes.items()})
        free = [q for q, p in periods.items() if p.output == 0 and p.input == 0
                and not p.cached_input]
        if free:
            warn(("demand", key, "price_usd_per_m"),
                 f"priced $0 from {free[0]} with no imputed value or unmet penalty: its tokens "
                 f"are worth nothing to the allocation, so it is never served (priority "
                 f"{d.priority} does not help); set demand.{key}.imputed_value_usd_per_m")
    return out


def _imputed(d) -> float:
    v = d.imputed_value_usd_per_m
    return 0.0 if v is None else v.input + v.output + (v.cached_input or 0.0)


def _quarters(index) -> str:
    return index[0] if index[0] == index[-1] else f"{index[0]}-{index[-1]}"


def fit_warnings(scenario: Scenario, costs: pd.DataFrame) -> list[str]:
    """Models with demand that no system of the scenario fits in any quarter (cost core only,
    before availability: `planner validate`'s check; the run's is :func:`result_warnings`)."""
    feasible = costs.groupby("model")["feasible"].any()
    return [f"model {m} fits on no system of the scenario in any quarter; see `planner cost "
            f"--model {m}` for why each system fails" for m in scenario.demand
            if not feasible.get(m, False)]


def result_warnings(economics: pd.DataFrame, utilisation: pd.DataFrame) -> list[str]:
    """Warnings about a solved plan: models that fit nowhere, idle capacity."""
    out = []
    demanded = economics[economics["demand_output_tokens_per_day"] > 0]
    for model, rows in demanded.groupby("model", sort=False):
        if (rows["cost_basis"] == "no feasible system").all():
            out.append(f"model {model} fits on no system available in any quarter with demand "
                       f"({_quarters(list(rows['quarter']))}): none of its "
                       "demand is served; see `planner cost --model "
                       f"{model}` for why each system fails")
    cap = utilisation.groupby("quarter", sort=True)[["capacity_chips", "used_chips"]].sum()
    cap = cap[cap["capacity_chips"] > 0]
    share = 1.0 - cap["used_chips"] / cap["capacity_chips"]
    idle = share[share > IDLE_WARNING_SHARE]
    if not idle.empty:
        chips = (cap["capacity_chips"] - cap["used_chips"])[idle.index]
        span = (f"{idle.min():.0%}" if f"{idle.min():.0%}" == f"{idle.max():.0%}"
                else f"{idle.min():.0%}-{idle.max():.0%}")
        out.append(f"idle capacity: {span} of available chips unused "
                   f"in {len(idle)} quarter(s) ({_quarters(idle.index)}; up to "
                   f"{chips.max():,.0f} chips): the fleet outgrows the demand (see the P&L's "
                   "idle_cost_usd)")
    return out


def grid_edge_warnings(scenario: Scenario, cost_table) -> list[str]:
    """One warning per (model with demand, system) whose chosen configuration sits at an edge
    of the cost core's grid in some quarter."""
    from planner.costcore.select import grid_edges

    edges = grid_edges(cost_table.table, cost_table.grid)
    edges = edges[edges["model"].isin(list(scenario.demand))]
    out = []
    for (model, system), rows in edges.groupby(["model", "system"], sort=False):
        what = ("the largest batch" if (rows["edge"] == "batch").any()
                else "the largest replica size")
        out.append(f"model {model} on {system}: the cheapest configuration uses {what} of the "
                   f"cost grid in {_quarters(list(rows['quarter']))}; the optimum may lie beyond it")
    return out
