"""Cost per chip-hour of owned hardware: capital recovery plus power plus other opex."""
from __future__ import annotations

HOURS_PER_YEAR = 8766.0  # 365.25 days


def capital_recovery_factor(rate: float, years: float) -> float:
    """Annual payment per dollar of capital over ``years`` at ``rate`` (1/years when rate is 0)."""
    if rate == 0:
        return 1.0 / years
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)


def owned_usd_per_chip_hour(usd_per_chip: float, life_years: float, cost_of_capital: float,
                            chip_power_kw: float, system_power_factor: float, pue: float,
                            usd_per_kwh: float, opex_fraction_per_year: float) -> float:
    """All-in cost of one chip-hour of owned hardware, $.

    capital: capex x CRF(rate, life) / hours per year; power: chip kW x system factor x PUE
    x $/kWh; other opex: capex x fraction per year / hours per year.
    """
    capital = usd_per_chip * capital_recovery_factor(cost_of_capital, life_years) / HOURS_PER_YEAR
    power = chip_power_kw * system_power_factor * pue * usd_per_kwh
    other = usd_per_chip * opex_fraction_per_year / HOURS_PER_YEAR
    return capital + power + other  # in this order: the published figures' floats


def committed_usd_per_chip_hour(usd_per_chip: float, life_years: float, cost_of_capital: float,
                                opex_fraction_per_year: float) -> float:
    """The part of an owned chip-hour owed whether the chip works or idles: capital recovery
    plus other opex (everything but power), $."""
    capital = usd_per_chip * capital_recovery_factor(cost_of_capital, life_years) / HOURS_PER_YEAR
    return capital + usd_per_chip * opex_fraction_per_year / HOURS_PER_YEAR
