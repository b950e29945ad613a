"""Catalog tables: the scenario's systems and models with their key figures."""
from __future__ import annotations

import pandas as pd

from planner.costcore.efficiency import infer_family
from planner.schema import Scenario


def _first_source(source) -> str:
    if isinstance(source, list):
        source = "; ".join(source)
    return (source or "")[:60]


def systems_table(scenario: Scenario) -> pd.DataFrame:
    rows = []
    for key, s in scenario.systems.items():
        c = s.chip
        rows.append({
            "system": key, "family": infer_family(s), "available_from": str(s.available_from),
            "chips_per_domain": s.chips_per_domain, "fp8_tflops": c.fp8_tflops,
            "fp4_tflops": c.fp4_tflops if c.fp4_tflops is not None else float("nan"),
            "hbm_gb": c.hbm_gb, "hbm_tbps": c.hbm_tbps, "domain_hbm_tb": c.hbm_gb * s.chips_per_domain / 1000,
            "scaleup_gbps": c.scaleup_gbps, "cost_basis": "rental" if s.capex is None else "capex",
            "source": _first_source(s.source),
        })
    return pd.DataFrame(rows)


def models_table(scenario: Scenario) -> pd.DataFrame:
    rows = []
    for key, m in scenario.models.items():
        rows.append({
            "model": key, "tier": m.tier, "evidence": m.evidence or "",
            "total_params_b": m.total_params_b, "active_params_b": m.active_params_b,
            "weight_bits": m.weight_bits,
            "experts": f"{m.experts.active}/{m.experts.total}" if m.experts else "dense",
            "kv_bytes_per_token": m.kv_bytes_per_token,
            "min_output_tokens_per_s": m.slo.min_output_tokens_per_s, "max_ttft_s": m.slo.max_ttft_s,
            "source": _first_source(m.source),
        })
    return pd.DataFrame(rows)


def catalog_tables(scenario: Scenario) -> dict[str, pd.DataFrame]:
    return {"systems": systems_table(scenario), "models": models_table(scenario)}
