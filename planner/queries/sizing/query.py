"""Inverse sizing, its query: the constants, the question asked and its checks."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from planner.errors import InputError, Problem

DEFAULT_TOTALS_B = (100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)
DEFAULT_EXPERTS = ("dense", "8/64", "8/256", "8/1024")
STEPS_PER_DECADE = 48
MIN_ACTIVE = 1e8
OUTPUT_PRICE_RATIO = 5.0
ASPECT = 128.0  # hidden size / layers of the synthetic architecture
MLA_ATTENTION_PER_HIDDEN = 4.5  # q_heads x (512 + 64) with q_heads x 128 = hidden
MLA_KV_ELEMENTS = 576  # latent + rope elements cached per layer and token
STEPS = ("prefill", "memory", "decode", "speed")
_PRECISION = {16: 0, 8: 1, 4: 2}
_TOL = 1 + 1e-12

@dataclass(frozen=True)
class SizeQuery:
    """Price, margin and the workload and speed target the sizes must meet."""

    price_input: float  # $ per M input tokens
    margin: float
    price_output: Optional[float] = None  # $ per M output tokens; default 5 x input
    allowance: float = 1.0
    input_tokens: float = 2000.0
    output_tokens: float = 500.0
    cache_hit: float = 0.0
    min_output_tokens_per_s: float = 30.0
    max_ttft_s: float = 10.0
    weight_bits: int = 8
    totals_b: tuple[float, ...] = DEFAULT_TOTALS_B
    experts: tuple[str, ...] = DEFAULT_EXPERTS
    steps_per_decade: int = STEPS_PER_DECADE

    @property
    def output_price(self) -> float:
        return (self.price_output if self.price_output is not None
                else OUTPUT_PRICE_RATIO * self.price_input)

    @property
    def allowed_usd_per_m_input(self) -> float:
        return self.price_input * (1 - self.margin) / self.allowance

    @property
    def allowed_usd_per_m_output(self) -> float:
        return self.output_price * (1 - self.margin) / self.allowance


def check_query(q: SizeQuery) -> None:
    """Raise InputError listing every out-of-range field of ``q``."""
    problems = []

    def bad(option: str, message: str) -> None:
        problems.append(Problem(option, None, "", message))

    if not (math.isfinite(q.price_input) and q.price_input > 0):
        bad("--price-input", f"must be a positive number, got {q.price_input:g}")
    if q.price_output is not None and not (math.isfinite(q.price_output) and q.price_output > 0):
        bad("--price-output", f"must be a positive number, got {q.price_output:g}")
    if not 0 <= q.margin < 1:
        bad("--margin", f"must be in [0, 1), got {q.margin:g}")
    if not (math.isfinite(q.allowance) and q.allowance >= 1):
        bad("--allowance", f"must be >= 1 (1 = no allowance), got {q.allowance:g}")
    for name, value in (("--input-tokens", q.input_tokens), ("--output-tokens", q.output_tokens),
                        ("--min-tokens-per-s", q.min_output_tokens_per_s),
                        ("--max-ttft", q.max_ttft_s)):
        if not (math.isfinite(value) and value > 0):
            bad(name, f"must be a positive number, got {value:g}")
    if not 0 <= q.cache_hit <= 1:
        bad("--cache-hit", f"must be in [0, 1], got {q.cache_hit:g}")
    if q.weight_bits not in _PRECISION:
        bad("--weight-bits", f"must be 4, 8 or 16, got {q.weight_bits}")
    if not q.totals_b or any(not (math.isfinite(t) and t > 0) for t in q.totals_b):
        bad("--total-b", "every total must be a positive number of billions")
    for text in q.experts:
        try:
            parse_experts(text)
        except ValueError as exc:
            bad("--experts", str(exc))
    if not q.experts:
        bad("--experts", "give at least one routing, e.g. dense or 8/256")
    if not 1 <= q.steps_per_decade <= 200:
        bad("--steps-per-decade", f"must be in 1..200, got {q.steps_per_decade}")
    if problems:
        raise InputError(problems)


def parse_experts(text: str) -> tuple[int, int]:
    """``dense`` -> (1, 1); ``K/E`` -> (K, E) top-K of E routed experts, 1 <= K < E."""
    if text.strip().lower() == "dense":
        return 1, 1
    try:
        k, e = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"'{text}' is not dense or K/E (e.g. 8/256)") from None
    if not 1 <= k < e:
        raise ValueError(f"'{text}': need 1 <= K < E active of total experts")
    return k, e
