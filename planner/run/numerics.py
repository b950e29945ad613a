"""Numerical range of the allocation LP: warn when a scenario's coefficients span too much.

The LP is written in scaled units so that a realistic scenario keeps every family of numbers
within a few orders of magnitude: tokens in millions per hour (demand) and millions per
chip-hour (throughput), money in dollars per chip-hour (cost) and per million tokens (value,
penalty), capacity in chips. HiGHS works well while the ratio of the largest to the smallest
non-zero number of each family stays below about 1e8; beyond that its tolerances (1e-7
relative) can turn into visibly wrong allocations and shadow prices. A scenario with such
a span usually holds a unit mistake (tokens per second written as per day, a price in $ per
token instead of per million), so the planner warns and records the warning with the run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_SPAN = 1e8


@dataclass(frozen=True)
class Extreme:
    value: float
    what: str


@dataclass(frozen=True)
class Span:
    """Smallest and largest non-zero magnitude of one family of LP numbers."""

    family: str
    smallest: Extreme
    largest: Extreme

    @property
    def ratio(self) -> float:
        return self.largest.value / self.smallest.value


def _extremes(values: pd.Series, rows: pd.DataFrame, keys: list[str], name: str) -> list[Extreme]:
    """The smallest and largest non-zero |value| of a column, each with its row's label (the
    ``keys`` of that row of ``rows``, joined by spaces)."""
    v = np.abs(values.to_numpy(dtype=float))
    keep = np.flatnonzero((v > 0) & np.isfinite(v))
    if len(keep) == 0:
        return []
    lo, hi = keep[np.argmin(v[keep])], keep[np.argmax(v[keep])]
    return [Extreme(float(v[i]), f"{name} of {_label(rows, keys, i)}") for i in (lo, hi)]


def _label(rows: pd.DataFrame, keys: list[str], i: int) -> str:
    return " ".join(str(rows[k].iloc[i]) for k in keys)


def coefficient_spans(options: pd.DataFrame, capacity: pd.DataFrame,
                      demand: pd.DataFrame) -> list[Span]:
    """The span of each family of numbers of the LP built from the solver's input tables.

    Families: the constraint matrix (throughput per chip-hour in the demand rows, 1 for each
    chip in the capacity rows and for unmet demand), the objective ($ per chip-hour, value and
    penalty per M tokens) and the right-hand sides (chips available, M tokens per hour asked).
    """
    options = options.reset_index(drop=True)
    capacity = capacity.reset_index(drop=True)
    demand = demand.reset_index(drop=True)
    opt = (options, ["model", "system", "quarter"])
    cap = (capacity, ["system", "quarter"])
    dem = (demand, ["model", "quarter"])
    one = [Extreme(1.0, "1 (chips in a capacity row, unmet tokens in a demand row)")]
    families = {
        "constraint matrix": one + _extremes(options["m_output_per_chip_hour"], *opt,
                                             "M output tokens per chip-hour"),
        "objective": (_extremes(options["usd_per_chip_hour"], *opt, "$ per chip-hour")
                      + _extremes(demand["value_usd_per_m_output"]
                                  + demand["unmet_penalty_usd_per_m_output"], *dem,
                                  "value + penalty $ per M output tokens")),
        "right-hand side": (_extremes(capacity["chips"], *cap, "chips available")
                            + _extremes(demand["m_output_per_hour"], *dem,
                                        "demand M output tokens per hour")),
    }
    spans = []
    for family, extremes in families.items():
        if extremes:
            spans.append(Span(family, min(extremes, key=lambda e: e.value),
                              max(extremes, key=lambda e: e.value)))
    return spans


def span_warnings(options: pd.DataFrame, capacity: pd.DataFrame, demand: pd.DataFrame,
                  limit: float = MAX_SPAN) -> list[str]:
    """One warning per family whose span exceeds ``limit`` (1e8), naming both extremes."""
    return [f"LP {s.family} coefficients span {s.ratio:.1e} (more than {_sci(limit)}): from "
            f"{s.smallest.value:.3g} ({s.smallest.what}) to {s.largest.value:.3g} "
            f"({s.largest.what}); HiGHS may return inaccurate results, check the units of "
            "these inputs" for s in coefficient_spans(options, capacity, demand)
            if s.ratio > limit]


MIN_DEMAND_M_PER_HOUR = 1e-6  # 1 token an hour: below the LP's tolerances (1e-7 relative)


def resolution_warnings(demand: pd.DataFrame) -> list[str]:
    """A warning naming the model-quarters whose demand is positive but below what the LP
    resolves (serving it changes the objective by less than the solver's tolerance, so it
    may be reported unmet though capacity is idle); such volumes are almost always a unit
    mistake (output_tokens_per_day counts tokens: 1e12 is 1T a day)."""
    m = demand["m_output_per_hour"].to_numpy(dtype=float)
    tiny = demand[(m > 0) & (m < MIN_DEMAND_M_PER_HOUR)]
    if tiny.empty:
        return []
    shown = ", ".join(f"{r.model} {r.quarter} ({r.m_output_per_hour * 24e6:.3g} tokens/day)"
                      for r in tiny.head(3).itertuples())
    more = f" and {len(tiny) - 3} more" if len(tiny) > 3 else ""
    return [f"demand below the LP's resolution ({MIN_DEMAND_M_PER_HOUR * 24e6:.0f} tokens/day) "
            f"for {shown}{more}: the solver cannot tell serving it from not, so its served share "
            "is not meaningful; check the units (output_tokens_per_day counts tokens, "
            "1e12 = 1T a day)"]


def _sci(x: float) -> str:
    return f"{x:.0e}".replace("e+0", "e").replace("e+", "e")


def check_problem(problem) -> list[str]:
    """Span and resolution warnings of a ``solver.AllocationProblem`` (the CLI prints them
    to stderr; they are recorded in the run's provenance)."""
    return (span_warnings(problem.options, problem.capacity, problem.demand)
            + resolution_warnings(problem.demand))
