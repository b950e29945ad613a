"""The models catalog as a table: each model's key figures."""
from __future__ import annotations

import pandas as pd

from common.section import first_source


def models_table(models: dict) -> pd.DataFrame:
    """One row per model: tier, evidence, size, routing, KV, speed targets, source."""
    rows = []
    for key, m in models.items():
        rows.append({
            "model": key, "tier": m.tier, "evidence": m.evidence or "",
            "total_params_b": m.total_params_b, "active_params_b": m.active_params_b,
            "weight_bits": m.weight_bits,
            "experts": f"{m.experts.active}/{m.experts.total}" if m.experts else "dense",
            "kv_bytes_per_token": m.kv_bytes_per_token,
            "min_output_tokens_per_s": m.slo.min_output_tokens_per_s, "max_ttft_s": m.slo.max_ttft_s,
            "source": first_source(m.source),
        })
    return pd.DataFrame(rows)
