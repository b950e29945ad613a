"""Inverse sizing, the synthetic models: a grid of architectures for the cost core."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from demand.schema import Model
from planner.costcore.arrays import ModelArrays
from planner.queries.sizing.query import (_PRECISION, ASPECT, MIN_ACTIVE, MLA_ATTENTION_PER_HIDDEN,
                                          MLA_KV_ELEMENTS, SizeQuery, parse_experts)


def architecture(active_params, weight_bits: int = 8) -> dict[str, np.ndarray]:
    """Synthetic layers, hidden size, attention width and KV bytes per token for active counts."""
    a = np.asarray(active_params, dtype=np.float64)
    hidden = np.maximum(128.0, np.round(np.cbrt(ASPECT * a / 12) / 128) * 128)
    layers = np.maximum(1.0, np.round(a / (12 * hidden ** 2)))
    kv_bytes = 2.0 if weight_bits == 16 else 1.0
    return {"layers": layers, "hidden_size": hidden,
            "attention_width": MLA_ATTENTION_PER_HIDDEN * hidden,
            "kv_bytes_per_token": layers * MLA_KV_ELEMENTS * kv_bytes}


def candidates(query: SizeQuery) -> pd.DataFrame:
    """The grid: one row per (total, routing, active) candidate, with the row's group id."""
    totals = np.array(query.totals_b, dtype=np.float64) * 1e9
    routes = [parse_experts(x) for x in query.experts]
    k = np.array([r[0] for r in routes], dtype=np.float64)
    e = np.array([r[1] for r in routes], dtype=np.float64)
    kfrac = k / e
    spd = query.steps_per_decade
    lo, hi = math.floor(math.log10(MIN_ACTIVE) * spd), math.ceil(math.log10(totals.max()) * spd)
    actives = 10.0 ** (np.arange(lo, hi + 1) / spd)

    t_i, r_i, a_i = (x.ravel() for x in np.meshgrid(np.arange(totals.size), np.arange(k.size),
                                                    np.arange(actives.size), indexing="ij"))
    tot, act, kf, moe = totals[t_i], actives[a_i], kfrac[r_i], e[r_i] > 1
    inside = moe & (act >= kf * tot) & (act < tot) & (act >= MIN_ACTIVE)
    # every (total, routing) also gets its end point: active = total (dense), k/E x total (MoE)
    g_t, g_r = (x.ravel() for x in np.meshgrid(np.arange(totals.size), np.arange(k.size),
                                               indexing="ij"))
    end = np.where(e[g_r] > 1, kfrac[g_r] * totals[g_t], totals[g_t])
    t_all = np.concatenate([t_i[inside], g_t])
    r_all = np.concatenate([r_i[inside], g_r])
    a_all = np.concatenate([act[inside], end])
    return pd.DataFrame({
        "group": t_all * k.size + r_all, "total_params": totals[t_all],
        "experts": np.array(query.experts, dtype=object)[r_all],
        "experts_active": k[r_all], "experts_total": e[r_all],
        "min_active_params": np.where(e[r_all] > 1, kfrac[r_all] * totals[t_all], totals[t_all]),
        "active_params": a_all})


def model_arrays_for(cands: pd.DataFrame, query: SizeQuery) -> ModelArrays:
    """:class:`ModelArrays` of the candidates (vectorised; no loop over configurations)."""
    n = len(cands)
    arch = architecture(cands["active_params"].to_numpy(), query.weight_bits)

    def full(value: float) -> np.ndarray:
        return np.full(n, float(value))

    return ModelArrays(
        names=tuple(f"c{i}" for i in range(n)),
        total_params=cands["total_params"].to_numpy(),
        active_params=cands["active_params"].to_numpy(),
        weight_bytes_per_param=full(query.weight_bits / 8),
        flops_precision=full(_PRECISION[query.weight_bits]),
        layers=arch["layers"], hidden_size=arch["hidden_size"],
        attention_width=arch["attention_width"], kv_bytes_per_token=arch["kv_bytes_per_token"],
        experts_total=cands["experts_total"].to_numpy(),
        experts_active=cands["experts_active"].to_numpy(),
        input_tokens=full(query.input_tokens), output_tokens=full(query.output_tokens),
        cache_hit=full(query.cache_hit),
        min_output_tokens_per_s=full(query.min_output_tokens_per_s),
        max_ttft_s=full(query.max_ttft_s))


def synthetic_model(total_params: float, active_params: float, experts: str,
                    query: SizeQuery) -> Model:
    """The schema model of one candidate (for checks through the public cost-core API)."""
    k, e = parse_experts(experts)
    arch = {key: float(v) for key, v in architecture(active_params, query.weight_bits).items()}
    data = dict(tier="sizing", total_params_b=total_params / 1e9,
                active_params_b=active_params / 1e9, weight_bits=query.weight_bits,
                layers=int(arch["layers"]), hidden_size=int(arch["hidden_size"]),
                attention_width=int(arch["attention_width"]),
                kv_bytes_per_token=arch["kv_bytes_per_token"],
                slo=dict(min_output_tokens_per_s=query.min_output_tokens_per_s,
                         max_ttft_s=query.max_ttft_s),
                workload=dict(input_tokens=query.input_tokens, output_tokens=query.output_tokens,
                              cache_hit=query.cache_hit))
    if e > 1:
        data["experts"] = dict(total=e, active=k)
    return Model.model_validate(data)
