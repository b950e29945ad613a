"""Per-model terms of the serving physics (weight and KV bytes, FLOPs per token, MoE split),
the expert and domain statistics, and the checks of the grid's inputs (formulas: physics.py)."""
from __future__ import annotations

import numpy as np

from planner.costcore.arrays import ModelArrays


def model_terms(m: ModelArrays, prefill_width) -> dict[str, np.ndarray]:
    """Per-model derived quantities, each (M,)."""
    k, e = m.experts_active, m.experts_total
    moe = (e > 1) & (k < e)
    kfrac = np.where(moe, k / e, 1.0)
    expert_params = np.where(
        moe, np.clip((m.total_params - m.active_params) / np.where(moe, 1 - kfrac, 1.0),
                     0.0, m.total_params), 0.0)
    uncached = np.maximum((1 - m.cache_hit) * m.input_tokens, np.minimum(m.input_tokens, 1.0))
    return dict(
        moe=moe, kfrac=kfrac,
        dense_bytes=(m.total_params - expert_params) * m.weight_bytes_per_param,
        expert_bytes=expert_params * m.weight_bytes_per_param,
        weight_flops=2 * m.active_params,
        attn_flops_dec=4 * m.layers * m.attention_width * (m.input_tokens + m.output_tokens / 2),
        attn_flops_pf=4 * m.layers * prefill_width * (m.input_tokens - uncached / 2),
        uncached=uncached,
        kv_dec=m.kv_bytes_per_token * (m.input_tokens + m.output_tokens / 2),
        kv_fit=m.kv_bytes_per_token * (m.input_tokens + m.output_tokens),
        kv_prompt=m.kv_bytes_per_token * uncached,
        n_ar=np.where(moe, 1.0, 2.0),
        a2a_k=np.where(moe, k, 0.0),
    )


def remote_domains(k: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Expected number of other domains among k uniformly placed experts over `domains` domains."""
    return (domains - 1) * (1.0 - np.power(1.0 - 1.0 / domains, k))


def coverage(kfrac: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Expected share of experts touched by `tokens` tokens: 1 - (1 - k/E)^tokens."""
    return 1.0 - np.power(1.0 - kfrac, tokens)


def per_model(x, M: int, default: float, name: str, S: int | None = None) -> np.ndarray:
    """(M,) values (or (M, S) when ``S`` is given: (M,) broadcasts), finite."""
    out = np.full(M, default, dtype=np.float64) if x is None else np.array(x, dtype=np.float64)
    shape = (M,) if S is None else (M, S)
    if S is not None and out.shape == (M,):
        out = np.repeat(out[:, None], S, axis=1)
    if out.shape != shape or not np.all(np.isfinite(out)):
        also = "" if S is None else f" (or {shape})"
        raise ValueError(f"{name}: expected {M} finite values{also}, got {np.shape(x)}")
    return out


def check_inputs(S, Q, usd_per_chip_hour, serving_efficiency):
    """The price and serving-efficiency inputs as float arrays; ValueError when their shapes
    do not fit (S, Q) or a value is not positive and finite."""
    usd = np.array(usd_per_chip_hour, dtype=np.float64)
    se = np.array(serving_efficiency, dtype=np.float64)
    if usd.shape != (S, Q) or se.shape != (Q,):
        raise ValueError(f"usd_per_chip_hour must be (S, Q) = {(S, Q)} and serving_efficiency "
                         f"({Q},); got {usd.shape} and {se.shape}")
    for name, arr in (("usd_per_chip_hour", usd), ("serving_efficiency", se)):
        if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
            raise ValueError(f"{name}: every value must be positive and finite")
    return usd, se


def check_batch(batch) -> np.ndarray:
    """The batch sizes as a float array; ValueError unless 1-D and all > 0."""
    Bt = np.array(batch, dtype=np.float64)
    if Bt.ndim != 1 or np.any(Bt <= 0):
        raise ValueError("batch must be a 1-D sequence of values > 0")
    return Bt
