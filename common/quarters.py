"""Quarters as a small value type: ``Quarter.parse("2026Q3")``, ordering, arithmetic, ranges."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """A calendar quarter; ordered by (year, q). ``Quarter(2026, 3)`` is written ``2026Q3``."""

    year: int
    q: int

    def __post_init__(self) -> None:
        if not 1 <= self.q <= 4:
            raise ValueError(f"quarter number must be 1-4, got {self.q}")

    @classmethod
    def parse(cls, text: object) -> "Quarter":
        """Parse ``2026Q3`` (case-insensitive); raise ValueError with the expected form."""
        if isinstance(text, Quarter):
            return text
        if isinstance(text, str) and cls is Quarter:
            return _parse_text(text)  # a scenario parses the same few dozen quarters often
        return _parse(cls, text)

    @property
    def index(self) -> int:
        """Quarters since year 0: consecutive quarters differ by exactly 1."""
        return self.year * 4 + self.q - 1

    @classmethod
    def from_index(cls, index: int) -> "Quarter":
        return cls(index // 4, index % 4 + 1)

    def __add__(self, quarters: int) -> "Quarter":
        return Quarter.from_index(self.index + int(quarters))

    def __sub__(self, other: "Quarter | int") -> "Quarter | int":
        """``q - 2`` is a Quarter; ``q1 - q2`` is the number of quarters between them."""
        if isinstance(other, Quarter):
            return self.index - other.index
        return Quarter.from_index(self.index - int(other))

    def __str__(self) -> str:
        return f"{self.year:04d}Q{self.q}"

    def __repr__(self) -> str:
        return f"Quarter('{self}')"


def _parse(cls, text: object) -> Quarter:
    match = _QUARTER_RE.match(str(text)) if isinstance(text, (str, int)) else None
    if not match:
        raise ValueError(f"'{text}' is not a quarter; write it like 2026Q3")
    return cls(int(match.group(1)), int(match.group(2)))


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> Quarter:
    """``_parse`` of a string, remembered (Quarter is immutable; errors are not cached)."""
    return _parse(Quarter, text)


def quarter_range(start: Quarter, end: Quarter) -> list[Quarter]:
    """All quarters from start to end inclusive (empty if end < start)."""
    return [Quarter.from_index(i) for i in range(start.index, end.index + 1)]



def quarter_indices(quarters) -> np.ndarray:
    """The quarters' indices (``Quarter.index``) as an int64 array, for the array timelines."""
    return np.array([q.index for q in quarters], dtype=np.int64)


def step_values(point_quarters: np.ndarray, values: np.ndarray, quarters: np.ndarray,
                before: float = 0.0) -> np.ndarray:
    """A step function: each value holds from its quarter until the next point."""
    order = np.argsort(point_quarters)
    points = np.asarray(point_quarters, dtype=np.int64)[order]
    vals = np.asarray(values, dtype=float)[order]
    pos = np.searchsorted(points, np.asarray(quarters, dtype=np.int64), side="right") - 1
    return np.where(pos >= 0, vals[np.clip(pos, 0, None)] if len(vals) else before, before)
