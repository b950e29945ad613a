"""The fleet over time, as arrays per (system, quarter): installed, reserved and available
chips, cost and power per chip, and the sites' power caps. The tables of a run are built
from these arrays (:func:`fleet_table`); a sweep sample uses the arrays as they are.

``scenario`` is a validated scenario (anything with ``systems``, ``fleet`` and ``sites``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from common.quarters import Quarter, quarter_indices, step_values
from fleets.capacity import available_chips, installed_chips
from fleets.costs import owned_usd_per_chip_hour
from fleets.schema import System

SITE = "main"  # the site of fleet entries that name none


def system_usd_per_chip_hour(system: System) -> float:
    """Rental price, or the owned-hardware cost from the capex breakdown."""
    if system.usd_per_chip_hour is not None:
        return system.usd_per_chip_hour
    c = system.capex
    return owned_usd_per_chip_hour(c.usd_per_chip, c.life_years, c.cost_of_capital,
                                   system.chip.power_kw, c.system_power_factor, c.pue,
                                   c.usd_per_kwh, c.opex_fraction_per_year)


def system_kw_per_chip(system: System) -> float:
    """All-in power per chip (chip TDP x system factor x PUE) for power caps."""
    c = system.capex
    return system.chip.power_kw * (c.system_power_factor * c.pue if c else 1.5 * 1.2)


def system_chips(scenario, key: str, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(installed chips, reserved fraction) of system ``key`` at quarter indices ``q``."""
    entry = scenario.fleet.get(key)
    if entry is None:
        return np.zeros(len(q)), np.zeros(len(q))
    installed = installed_chips(quarter_indices(entry.deliveries),
                                np.array(list(entry.deliveries.values())), entry.life_quarters, q)
    reserved = step_values(quarter_indices(entry.reserved_fraction),
                           np.array(list(entry.reserved_fraction.values())), q)
    return installed, reserved


@dataclass(frozen=True)
class FleetArrays:
    """Per system (scenario order) and quarter: chips; per system: site, $ and kW per chip."""

    installed_chips: np.ndarray  # (S, Q)
    reserved_fraction: np.ndarray  # (S, Q)
    available_chips: np.ndarray  # (S, Q) installed less the reserved fraction
    usd_per_chip_hour: np.ndarray  # (S,)
    kw_per_chip: np.ndarray  # (S,)
    sites: tuple[str, ...]  # (S,)


def fleet_arrays(scenario, q: np.ndarray, like: tuple | None = None) -> FleetArrays:
    """The fleet at quarter indices ``q``: deliveries within their life, less the reserved
    fraction, and each system's cost and power per chip.

    ``like``: (another scenario, its FleetArrays at the same ``q``): the rows of the systems
    whose system and fleet entry are that scenario's own objects are copied from its arrays
    (a sweep sample shares its untouched parts with its base scenario)."""
    S = len(scenario.systems)
    if like is not None and list(like[0].systems) != list(scenario.systems):
        like = None
    installed, reserved = np.zeros((S, len(q))), np.zeros((S, len(q)))
    usd, kw = np.zeros(S), np.zeros(S)
    for i, (key, system) in enumerate(scenario.systems.items()):
        if like is not None and system is like[0].systems[key] \
                and scenario.fleet.get(key) is like[0].fleet.get(key):
            arrays = like[1]
            installed[i], reserved[i] = arrays.installed_chips[i], arrays.reserved_fraction[i]
            usd[i], kw[i] = arrays.usd_per_chip_hour[i], arrays.kw_per_chip[i]
        else:
            installed[i], reserved[i] = system_chips(scenario, key, q)
            usd[i], kw[i] = system_usd_per_chip_hour(system), system_kw_per_chip(system)
    return FleetArrays(
        installed, reserved, available_chips(installed, reserved), usd, kw,
        tuple(scenario.fleet[k].site if k in scenario.fleet else SITE for k in scenario.systems))


def fleet_table(scenario, quarters: list[Quarter]) -> pd.DataFrame:
    """Per (system, quarter): installed, reserved fraction and available chips, cost per chip-hour."""
    if not scenario.systems:
        return pd.DataFrame()
    a = fleet_arrays(scenario, quarter_indices(quarters))
    S, Q = a.available_chips.shape
    return pd.DataFrame({
        "system": [key for key in scenario.systems for _ in range(Q)],
        "quarter": [str(x) for x in quarters] * S,
        "site": [site for site in a.sites for _ in range(Q)],
        "installed_chips": a.installed_chips.reshape(-1),
        "reserved_fraction": a.reserved_fraction.reshape(-1),
        "available_chips": a.available_chips.reshape(-1),
        "usd_per_chip_hour": np.repeat(a.usd_per_chip_hour, Q),
        "kw_per_chip": np.repeat(a.kw_per_chip, Q),
    })


def power_caps(scenario, quarters: list[Quarter]) -> pd.DataFrame | None:
    """Per (site, quarter) power cap in MW, for sites that give one (None without any)."""
    q = quarter_indices(quarters)
    frames = []
    for key, site in scenario.sites.items():
        if not site.power_mw:
            continue
        mw = step_values(quarter_indices(site.power_mw), np.array(list(site.power_mw.values())),
                         q, before=np.inf)
        frames.append(pd.DataFrame({"site": key, "quarter": [str(x) for x in quarters], "mw": mw}))
    if not frames:
        return None
    caps = pd.concat(frames, ignore_index=True)
    return caps[np.isfinite(caps["mw"])].reset_index(drop=True)
