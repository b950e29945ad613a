"""The scenario schema: strict pydantic models whose field docs are the reference docs.

Units are in the field names. Every section may carry ``source`` (a string or a list) and
``notes``; unknown keys are errors. Cross-references (fleet -> systems, demand -> models),
quarters inside the horizon and similar checks live in :mod:`planner.scenario.checks`.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from common.section import NonNegFloat, PositiveFloat, QuarterField, QuarterMap, Section
from demand.schema import Demand, Model
from fleets.schema import Deployment, FleetEntry, Procurement, Site, System


# ----------------------------------------------------------------------------- uncertainty
class _ListItem(Section):
    """A section that lives inside a list: unknown keys are reported here with a suggestion
    (the generic "did you mean" of planner.scenario.validate only walks mappings)."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: object) -> object:
        if isinstance(data, dict):
            import difflib

            for key in data:
                if key not in cls.model_fields:
                    close = difflib.get_close_matches(str(key), list(cls.model_fields), n=1)
                    hint = (f"; did you mean '{close[0]}'?" if close else
                            "; allowed keys: " + ", ".join(sorted(cls.model_fields)))
                    raise ValueError(f"unknown key '{key}'{hint}")
        return data


class Normal(_ListItem):
    """Normal distribution."""

    mean: float
    sd: NonNegFloat = Field(description="Standard deviation (0 = always the mean).")


class LogNormal(_ListItem):
    """Log-normal distribution: exp of a normal; always positive, skewed upwards."""

    median: PositiveFloat
    sigma: NonNegFloat = Field(description="Standard deviation of the logarithm (0.3 ~ +-30 %).")


class Distribution(_ListItem):
    """Exactly one distribution: ``{normal: {mean, sd}}``, ``{lognormal: {median, sigma}}``,
    ``{uniform: [low, high]}``, ``{triangular: [low, mode, high]}``, ``{uniform_int: [low,
    high]}`` (whole numbers, both ends included) or ``{choice: [v1, v2, ...]}`` (equally likely)."""

    normal: Optional[Normal] = None
    lognormal: Optional[LogNormal] = None
    uniform: Optional[list[float]] = Field(None, description="[low, high], low <= high.")
    triangular: Optional[list[float]] = Field(
        None, description="[low, mode, high], low <= mode <= high.")
    uniform_int: Optional[list[int]] = Field(
        None, description="[low, high] whole numbers, both included.")
    choice: Optional[list[float]] = Field(None, description="Equally likely values.",
                                          min_length=1)

    @model_validator(mode="after")
    def _one_sane_distribution(self) -> "Distribution":
        given = [k for k in ("normal", "lognormal", "uniform", "triangular", "uniform_int",
                             "choice") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one distribution of normal, lognormal, uniform, "
                             "triangular, uniform_int, choice" + (f" (got {', '.join(given)})"
                                                                   if given else ""))
        kind = given[0]
        values = getattr(self, kind)
        if kind in ("uniform", "uniform_int"):
            if len(values) != 2 or values[0] > values[1]:
                raise ValueError(f"{kind} must be [low, high] with low <= high, got {values}")
        elif kind == "triangular":
            if len(values) != 3 or not values[0] <= values[1] <= values[2]:
                raise ValueError(f"triangular must be [low, mode, high] with "
                                 f"low <= mode <= high, got {values}")
        return self


class VaryInput(_ListItem):
    """One uncertain input of ``planner sweep``: a scenario path and how a draw changes it.

    Give exactly one of ``set`` (the number at ``path`` becomes the draw), ``multiply`` /
    ``add`` (every number under ``path`` is multiplied by / increased by the draw; whole-number
    fields are rounded) or ``slip_quarters`` (``path`` is a mapping of quarter -> number, e.g.
    fleet deliveries or a demand series: every entry moves later by the drawn whole number of
    quarters; a delivery pushed past the horizon end never arrives, and a demand or
    efficiency series keeps its slipped value at the horizon end).
    """

    path: str = Field(description="Scenario path written like --set: "
                      "demand.flagship.output_tokens_per_day, models.\"llama-3.1-70b\".layers.")
    name: Optional[str] = Field(None, description="Label in tables and charts; default: path.")
    set: Optional[Distribution] = None
    multiply: Optional[Distribution] = None
    add: Optional[Distribution] = None
    slip_quarters: Optional[Distribution] = Field(
        None, description="Whole quarters: uniform_int or choice of whole numbers.")

    @model_validator(mode="after")
    def _one_operation(self) -> "VaryInput":
        given = [k for k in ("set", "multiply", "add", "slip_quarters")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of set, multiply, add, slip_quarters"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


class Uncertainty(Section):
    """Random inputs for ``planner sweep`` (other commands ignore this section).

    Sample i draws every input, in the order listed, from a generator seeded with
    (seed, i): the samples are the same whatever the executor or the number of workers.
    """

    seed: Annotated[int, Field(ge=0)] = Field(0, description="Seed of the random draws.")
    samples: Annotated[int, Field(gt=0, le=1_000_000)] = Field(
        200, description="Number of random samples.")
    vary: list[VaryInput] = Field(default_factory=list, description="The uncertain inputs.")


# ----------------------------------------------------------------------------- procurement
# [A] order-to-service delay of rack-scale systems: about two quarters from a confirmed


class Horizon(Section):
    start: QuarterField
    end: QuarterField


# [A] a re-deployed model serves nothing on a chip for about a day while weights load and the
# stack is re-tuned (~24 h x ~$3/chip-hour = ~$75), plus re-qualification engineering spread
# over the deployment's chips (~$1.5M over ~10k chips = ~$150): ~$250 per chip moved.
MIGRATION_PENALTY_USD_PER_CHIP = 250.0


class Economics(Section):
    """Margins and serving-software maturity."""

    target_margin: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.4, description="Gross margin the business wants: price = cost / (1 - margin).")
    serving_efficiency: QuarterMap(PositiveFloat) = Field(
        default_factory=dict, description="Throughput multiplier from serving-software maturity "
        "relative to the calibration date (1.0), linear between points, flat outside.")
    migration_penalty_usd_per_chip: NonNegFloat = Field(
        MIGRATION_PENALTY_USD_PER_CHIP, description="One-off cost of each chip a model gives "
        "up on a system from one quarter to the next (re-deployment, warm-up, re-qualification): "
        "keeps plans from hopping between systems when moving earns less than it costs; "
        "growth is free. 0 = plans may move freely.")


class Solver(Section):
    backend: Literal["highs", "cbc"] = "highs"
    integer: Literal["off", "round", "exact"] = "off"
    time_limit_s: PositiveFloat = 60.0
    gap: Annotated[float, Field(gt=0, lt=1)] = 0.01


class Scenario(Section):
    """A planning scenario: hardware, fleet, models, demand and economics over a horizon."""

    name: str
    description: Optional[str] = None
    extends: Optional[str] = Field(None, description="`default` (the embedded scenario) or a "
                                   "path relative to this file; deep-merged, this file wins.")
    horizon: Horizon
    economics: Economics = Field(default_factory=Economics)
    solver: Solver = Field(default_factory=Solver)
    deployment: Optional[Deployment] = Field(
        None, description="Default serving deployment (overlap, MTP) of every system that "
        "declares none of its own.")
    systems: dict[str, System] = Field(default_factory=dict)
    fleet: dict[str, FleetEntry] = Field(default_factory=dict)
    sites: dict[str, Site] = Field(default_factory=dict, description="Power caps per site; "
                                   "fleet entries name their site (default `main`).")
    models: dict[str, Model] = Field(default_factory=dict)
    demand: dict[str, Demand] = Field(default_factory=dict)
    procurement: Optional[Procurement] = Field(
        None, description="Systems the plan may buy (`planner run --buy` adds the embedded "
        "vendor allocations when the scenario has none).")
    uncertainty: Optional[Uncertainty] = Field(
        None, description="Uncertain inputs, seed and sample count for `planner sweep`.")

    @model_validator(mode="after")
    def _default_deployment(self) -> "Scenario":
        """Systems without a ``deployment`` take the scenario's (when it gives one)."""
        self.systems.update(with_default_deployment(self.systems, self.deployment))
        return self


def with_default_deployment(systems: dict[str, System], deployment: Optional[Deployment]
                            ) -> dict[str, System]:
    """``systems`` with ``deployment`` given to those that declare none (unchanged without
    one): the scenario's rule, also applied to the systems a sweep sample re-validates."""
    if deployment is None:
        return systems
    return {name: system if system.deployment is not None
            else system.model_copy(update={"deployment": deployment})
            for name, system in systems.items()}
