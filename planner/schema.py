"""The scenario schema: strict pydantic models whose field docs are the reference docs.

Units are in the field names. Every section may carry ``source`` (a string or a list) and
``notes``; unknown keys are errors. Cross-references (fleet -> systems, demand -> models),
quarters inside the horizon and similar checks live in :mod:`planner.checks`.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from planner.quarters import Quarter


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
MAX_TASK_FAMILIES = 64  # each is a table in the terminal and rows in every per-task output
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


# ----------------------------------------------------------------------------- systems
class Chip(Section):
    """One accelerator package (a B200 is one chip of two dies). FLOP/s are dense peak rates."""

    bf16_tflops: PositiveFloat = Field(description="Dense BF16 tensor TFLOP/s per chip.")
    fp8_tflops: PositiveFloat = Field(description="Dense FP8 tensor TFLOP/s per chip.")
    fp4_tflops: Optional[PositiveFloat] = Field(
        None, description="Dense FP4 TFLOP/s per chip; omit when the chip has no FP4 rate "
        "(4-bit weights then run at the FP8 rate).")
    hbm_gb: PositiveFloat = Field(description="HBM capacity per chip, GB.")
    hbm_tbps: PositiveFloat = Field(description="Peak HBM bandwidth per chip, TB/s.")
    scaleup_gbps: PositiveFloat = Field(
        description="Scale-up (NVLink/ICI/NeuronLink) bandwidth per chip, GB/s per direction "
        "(vendor tables often quote both directions summed: halve those).")
    scaleout_gbps: PositiveFloat = Field(
        description="Scale-out NIC line rate per chip, Gb/s (bits), one direction.")
    power_kw: PositiveFloat = Field(description="Chip TDP in kW (before PUE and host share).")


class Capex(Section):
    """Owned hardware: cost per chip-hour from capital, depreciation, power and other opex."""

    usd_per_chip: PositiveFloat = Field(
        description="All-in capital per chip: the chip's share of the system, network and install.")
    life_years: PositiveFloat = Field(5.0, description="Depreciation life in years.")
    cost_of_capital: NonNegFloat = Field(
        0.0, description="Annual cost of capital (0.08 = 8 %); 0 gives straight-line depreciation.")
    system_power_factor: Annotated[float, Field(ge=1)] = Field(
        1.5, description="All-in system power per chip over chip TDP (CPU, network, cooling share "
        "inside the rack).")
    pue: Annotated[float, Field(ge=1)] = Field(1.2, description="Data-centre power usage effectiveness.")
    usd_per_kwh: NonNegFloat = Field(0.08, description="Electricity price, $ per kWh.")
    opex_fraction_per_year: NonNegFloat = Field(
        0.05, description="Other operating cost per year as a fraction of capex (staff, space, "
        "maintenance).")


class Efficiency(Section):
    """Achieved fractions of peak; overrides the calibrated defaults of the system's family."""

    compute: UnitInterval = Field(description="Achieved fraction of peak FLOP/s, in (0, 1].")
    memory: UnitInterval = Field(description="Achieved fraction of peak HBM bandwidth, in (0, 1].")


class System(Section):
    """One scale-up system type (HGX node, NVL72 rack, TPU pod slice, UltraServer)."""

    name: Optional[str] = Field(None, description="Display name.")
    vendor: Optional[str] = None
    family: Optional[str] = Field(
        None, description="Calibration family whose fitted efficiencies this system uses "
        "(hopper, blackwell, rubin, tpu, trainium, amd, ampere); default: inferred from "
        "vendor and chip (planner/costcore/efficiency.py, infer_family).")
    status: Optional[Literal["shipping", "announced", "roadmap"]] = None
    chips_per_domain: PositiveInt = Field(description="Chips in one scale-up domain.")
    max_replica_domains: PositiveInt = Field(
        18, description="Most scale-up domains one replica may span over the scale-out network. "
        "Default 18: the largest public expert-parallel serving deployment, DeepSeek-V3/R1 "
        "decoding on 18 nodes of 8 GPUs (DeepSeek inference system overview, 2025-03-01).")
    chip: Chip
    usd_per_chip_hour: Optional[PositiveFloat] = Field(
        None, description="Rental (or transfer) price per chip-hour; give this or `capex`.")
    capex: Optional[Capex] = Field(None, description="Owned-hardware cost breakdown; give this "
                                   "or `usd_per_chip_hour`.")
    efficiency: Optional[Efficiency] = None
    available_from: QuarterField = Field(description="First quarter the system can be delivered.")

    @model_validator(mode="after")
    def _one_cost_basis(self) -> "System":
        if (self.usd_per_chip_hour is None) == (self.capex is None):
            raise ValueError("give exactly one of usd_per_chip_hour or capex")
        return self


# ----------------------------------------------------------------------------- fleet
class FleetEntry(Section):
    """Chips of one system over time: deliveries per quarter retire after their life."""

    deliveries: QuarterMap(NonNegFloat) = Field(
        default_factory=dict, description="Chips delivered in each quarter (quarters before the "
        "horizon start describe the installed base).")
    life_quarters: PositiveInt = Field(24, description="Quarters a delivery stays in service.")
    reserved_fraction: QuarterMap(Fraction) = Field(
        default_factory=dict, description="Share held back for training/RL; a step function "
        "from each given quarter on (0 before the first).")
    site: str = Field("main", description="Site (data-centre campus) the chips stand in; its "
                      "power cap in `sites` limits them together with the site's other systems.")


class Site(Section):
    """A data-centre site whose power limits the chips it can run."""

    power_mw: QuarterMap(PositiveFloat) = Field(
        default_factory=dict, description="All-in power available for inference, MW; a step "
        "function from each given quarter on (no cap before the first).")


# ----------------------------------------------------------------------------- models
class Experts(Section):
    """Mixture-of-experts routing: top-`active` of `total` routed experts per layer."""

    total: PositiveInt = Field(description="Routed experts per MoE layer.")
    active: PositiveInt = Field(description="Routed experts each token uses (top-k).")


class Slo(Section):
    """Speed targets that pick the configuration on the cost-versus-speed frontier."""

    min_output_tokens_per_s: PositiveFloat = Field(description="Decode speed per user.")
    max_ttft_s: PositiveFloat = Field(description="Time to first token (prefill of the prompt).")


class Workload(Section):
    """Shape of a typical request."""

    input_tokens: PositiveFloat = Field(description="Prompt tokens per request (context).")
    output_tokens: PositiveFloat = Field(description="Generated tokens per request.")
    cache_hit: Fraction = Field(0.0, description="Share of input tokens served from the prefix "
                                "cache (not recomputed).")


class TaskTokens(Section):
    """Tokens one task of a family takes on this model (a resolved coding issue, a chat answer).

    A larger model often finishes the same task in fewer tokens, so cost and price per task can
    rank models differently from cost and price per token. Per-task figures are per-token
    figures times these counts; the input tokens are assumed to hit the prefix cache like the
    model's ``workload`` (its ``cache_hit``), which is how cached input is priced.
    """

    input_tokens: PositiveFloat = Field(description="Input (prompt) tokens per task, summed over "
                                        "every request of the task, cache hits included.")
    output_tokens: PositiveFloat = Field(description="Output tokens per task (reasoning included).")


class Speculative(Section):
    """Speculative decoding with a multi-token-prediction draft head."""

    draft_tokens: PositiveInt = Field(description="Draft tokens proposed per decode step.")
    accepted_tokens: Annotated[float, Field(ge=1)] = Field(
        description="Mean tokens emitted per sequence per step, the bonus token included "
        "(at most 1 + draft_tokens); DeepSeek-V3 reports 1.85 with one draft token.")


class Model(Section):
    """A served model: size, architecture fields the cost core needs, speed target, workload."""

    name: Optional[str] = Field(None, description="Display name.")
    tier: str = Field(description="free | flagship | frontier | open | ... (free text).")
    evidence: Optional[Literal["official", "estimate", "rumor"]] = Field(
        None, description="How the size figures are known (rumours marked as such).")
    total_params_b: PositiveFloat = Field(description="Total parameters, billions.")
    active_params_b: PositiveFloat = Field(description="Parameters used per token, billions.")
    weight_bits: Literal[4, 8, 16] = Field(description="Serving weight precision; picks the "
                                           "FLOP rate (FP4/FP8/BF16) and bytes per parameter.")
    layers: Optional[PositiveInt] = Field(
        None, description="Transformer layers; default: inferred from active_params_b "
        "(planner/costcore/architecture.py: DeepSeek-V3 shape x (active / 37B)^(1/3)).")
    hidden_size: Optional[PositiveInt] = Field(
        None, description="Model width (activation size per token); default: inferred like "
        "layers.")
    attention_width: Optional[PositiveInt] = Field(
        None, description="Default: inferred like layers. Per layer, the width of the query-key product per token: q_heads x head_dim "
        "(MHA/GQA) or q_heads x (kv_lora_rank + rope_dim) for MLA. Attention FLOPs per token = "
        "4 x layers x attention_width x context length.")
    prefill_attention_width: Optional[PositiveInt] = Field(
        None, description="Attention width during prefill when it differs from decode: MLA "
        "prefill runs uncompressed, q_heads x (qk_head_dim + v_head_dim) / 2 (DeepSeek-V3: "
        "20480); default: attention_width.")
    speculative: Optional[Speculative] = Field(
        None, description="Multi-token-prediction speculative decoding; omit for plain decoding.")
    kv_bytes_per_token: PositiveFloat = Field(
        description="KV-cache bytes per token over all layers, at the serving KV precision.")
    experts: Optional[Experts] = Field(None, description="Omit for a dense model.")
    slo: Slo
    workload: Workload
    tokens_per_task: dict[str, TaskTokens] = Field(
        default_factory=dict, max_length=MAX_TASK_FAMILIES,
        description="Optional: tokens per task by task family (e.g. coding-agent, chat, "
        f"browse) for cost and price per task; families are free names, at most "
        f"{MAX_TASK_FAMILIES} per model.")


# ----------------------------------------------------------------------------- demand
class Prices(Section):
    """List prices, $ per million tokens."""

    input: NonNegFloat
    output: NonNegFloat
    cached_input: Optional[NonNegFloat] = Field(
        None, description="Price of cache-hit input tokens; default: the input price.")


class Demand(Section):
    """What is asked of a model over time and what it sells for."""

    output_tokens_per_day: QuarterMap(NonNegFloat) = Field(
        description="Output tokens per day at given quarters; linear between points, zero "
        "before the first (the launch); after the last, flat or growing at growth_per_year.",
        min_length=1)
    growth_per_year: Annotated[float, Field(gt=-1)] = Field(
        0.0, description="Growth after the last given point, compounded per quarter "
        "(0.5 = +50 % a year; 0 keeps the last value).")
    input_tokens_per_output_token: Optional[NonNegFloat] = Field(
        None, description="Input tokens per output token; default: the model's workload ratio.")
    price_usd_per_m: Prices
    price_changes: QuarterMap(Prices) = Field(
        default_factory=dict, description="New list prices from the given quarter on.")
    imputed_value_usd_per_m: Optional[Prices] = Field(
        None, description="What a token worth more than its list price is worth to the lab "
        "(a free tier: ads, conversion to paid), $ per M tokens: the allocation values served "
        "tokens at list revenue plus this; the fleet P&L shows it apart (imputed_value_usd), "
        "never as revenue.")
    peak_to_average: Annotated[float, Field(ge=1)] = Field(
        1.0, description="Peak-hour demand over the daily average: capacity is sized for the "
        "peak, so each chip serves (average) tokens at 1/peak_to_average of its throughput.")
    priority: Annotated[int, Field(ge=1, le=9)] = Field(
        1, description="1 (lowest) to 9: an unserved token costs (priority - 1) / 8 x its list "
        "revenue in lost goodwill on top of the lost revenue; in a shortage the most valuable "
        "tokens per chip-hour are served first.")
    unmet_penalty_usd_per_m_output: Optional[NonNegFloat] = Field(
        None, description="Explicit cost of leaving 1 M output tokens unserved; overrides priority.")
    min_served_fraction: Fraction = Field(0.0, description="Service floor, e.g. 0.99 for a "
                                          "flagship; a shortfall is reported, not hidden.")
    elasticity: Annotated[float, Field(ge=-5, le=0)] = Field(
        0.0, description="Constant price elasticity of demand (e.g. -1: 10 % dearer, ~10 % "
        "fewer tokens); 0 = demand ignores price. The forecast is what is demanded at "
        "reference_price_usd_per_m_output; a list price above it lowers demand, below it "
        "raises it, and in a shortage the plan reports the market-clearing price.")
    reference_price_usd_per_m_output: Optional[Union[PositiveFloat, Literal["list"]]] = Field(
        None, description="Output price at which output_tokens_per_day is demanded (input "
        "prices in proportion); default: the first list output price, price_usd_per_m.output. "
        "'list': the forecast is what is demanded at each quarter's list price (with "
        "price_changes), so only a price other than the scenario's (`planner when`, "
        "`planner price`) or a shortage moves demand along the curve.")

    @field_validator("reference_price_usd_per_m_output", mode="before")
    @classmethod
    def _price_or_list(cls, value):
        if value is None or value == "list":
            return value
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not 0 < value < float("inf")):
            raise ValueError(f"expected a finite price > 0 ($ per M output tokens) or 'list', got "
                             f"{value!r}")
        return value

    @model_validator(mode="after")
    def _elastic_needs_a_price(self):
        if self.elasticity < 0:
            free = [("price_usd_per_m", self.price_usd_per_m)] + [
                (f"price_changes.{q}", p) for q, p in self.price_changes.items()]
            zero = [name for name, p in free if p.output <= 0]
            if zero:
                raise ValueError(
                    f"elasticity {self.elasticity:g} needs a list output price > 0, but "
                    f"{', '.join(zero)} has output 0 (demand at a zero price is unbounded); "
                    "set elasticity to 0 for a free model")
        return self


# ----------------------------------------------------------------------------- uncertainty
class _ListItem(Section):
    """A section that lives inside a list: unknown keys are reported here with a suggestion
    (the generic "did you mean" of planner.validate only walks mappings)."""

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
# allocation to racks serving (manufacturing slot, shipping, install and burn-in).
DEFAULT_LEAD_QUARTERS = 2


class PurchaseOption(Section):
    """Chips of one system the plan may buy: vendor allocation, contracts and lead time."""

    max_chips_per_quarter: QuarterMap(NonNegFloat) = Field(
        description="Vendor allocation: most chips that may be ordered in a quarter; a step "
        "function from each given quarter on (0 before the first).")
    min_chips_per_quarter: QuarterMap(NonNegFloat) = Field(
        default_factory=dict, description="Contracted chips that must be ordered in a quarter "
        "(take-or-pay); a step function, 0 before the first; at most the allocation.")
    lead_quarters: Annotated[int, Field(ge=0, le=12)] = Field(
        DEFAULT_LEAD_QUARTERS, description="Quarters from order to service (0 = serving in the "
        "quarter ordered). Default 2, an assumption: allocation to racks in service.")
    life_quarters: Optional[PositiveInt] = Field(
        None, description="Quarters a bought chip serves; default the fleet entry's "
        "life_quarters (24 without one).")


class Procurement(Section):
    """What the plan may buy; bought chips cost their committed rate in every quarter in
    service (capital and fixed opex, or rent), used or not, and their power when used."""

    systems: dict[str, PurchaseOption] = Field(
        default_factory=dict, description="Buyable systems (keys of `systems`); chips stand at "
        "the system's fleet site (`main` without a fleet entry).")
    budget_usd_per_quarter: QuarterMap(NonNegFloat) = Field(
        default_factory=dict, description="Capex of all orders placed in a quarter (owned "
        "systems; rented ones carry no capex); a step function, no limit before the first.")


# ----------------------------------------------------------------------------- scenario
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
