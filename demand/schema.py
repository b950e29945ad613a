"""Schema of the demand domain: models (size, routing, speed targets, workload, tasks) and
their demand series (volume, prices, priority, elasticity). Strict pydantic sections whose
field docs are the reference docs."""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Field, field_validator, model_validator

from common.section import Fraction, NonNegFloat, PositiveFloat, PositiveInt, QuarterMap, Section

MAX_TASK_FAMILIES = 64  # each is a table in the terminal and rows in every per-task output

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
        None, description="Multi-token-prediction speculative decoding on every system; omit "
        "for plain decoding or the system's `deployment.mtp`.")
    mtp_head: bool = Field(
        False, description="The model ships a multi-token-prediction head (DeepSeek-V3/R1), so "
        "a system's `deployment.mtp` applies to it.")
    kv_latent: Optional[bool] = Field(
        None, description="The KV cache is one latent per token and layer shared by all heads "
        "(MLA), so each attention-TP rank holds all of it; default: true when "
        "prefill_attention_width is declared (only MLA prefills in another form) or the "
        "architecture is inferred (the DeepSeek-V3 MLA shape), else false (GQA/MHA: sharded "
        "over heads).")
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
