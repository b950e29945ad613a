"""The strict schema base every scenario section shares: quarters as keys and values,
unit-checked number types, and :class:`Section` (no unknown keys, finite numbers, `source`
and `notes` on every section)."""
from __future__ import annotations

from typing import Annotated, Optional, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer,
                      PlainValidator, WithJsonSchema)

from common.quarters import Quarter


def _parse_quarter(value: object) -> Quarter:
    if isinstance(value, bool) or not isinstance(value, (str, Quarter)):
        raise ValueError(f"'{value}' is not a quarter; write it like 2026Q3")
    return Quarter.parse(value)


QuarterField = Annotated[
    Quarter,
    PlainValidator(_parse_quarter),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}Q[1-4]$", "examples": ["2026Q3"]}),
]


def _distinct_quarters(value: object) -> object:
    """Refuse two keys naming one quarter (``2026Q1`` and ``2026q1``): one would be lost."""
    if not isinstance(value, dict):
        return value
    seen: dict[object, object] = {}
    for key in value:
        try:
            quarter = _parse_quarter(key)
        except ValueError:
            continue  # reported as "not a quarter" by the key validator
        if quarter in seen:
            raise ValueError(f"'{seen[quarter]}' and '{key}' are the same quarter {quarter}; "
                             "keep one of them")
        seen[quarter] = key
    return value


def QuarterMap(value_type):
    """``dict[Quarter, value_type]`` whose keys must name distinct quarters."""
    return Annotated[dict[QuarterField, value_type], BeforeValidator(_distinct_quarters)]


PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
UnitInterval = Annotated[float, Field(gt=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0)]
Source = Optional[Union[str, list[str]]]


class Section(BaseModel):
    """Base of every scenario section: strict types, no unknown keys, finite numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    source: Source = Field(None, description="Where the numbers of this section come from.")
    notes: Optional[str] = Field(None, description="Free text for reviewers.")


def first_source(source: Source) -> str:
    """A section's ``source`` as one short line (a list joined by "; ", cut at 60 characters)."""
    if isinstance(source, list):
        source = "; ".join(source)
    return (source or "")[:60]
