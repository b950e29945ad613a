"""The systems catalog as a table: each system's key figures."""
from __future__ import annotations

import pandas as pd

from common.section import first_source


def systems_table(systems: dict, family_of) -> pd.DataFrame:
    """One row per system: family (``family_of(system)``), chip figures, cost basis, source."""
    rows = []
    for key, s in systems.items():
        c = s.chip
        rows.append({
            "system": key, "family": family_of(s), "available_from": str(s.available_from),
            "chips_per_domain": s.chips_per_domain, "fp8_tflops": c.fp8_tflops,
            "fp4_tflops": c.fp4_tflops if c.fp4_tflops is not None else float("nan"),
            "hbm_gb": c.hbm_gb, "hbm_tbps": c.hbm_tbps, "domain_hbm_tb": c.hbm_gb * s.chips_per_domain / 1000,
            "scaleup_gbps": c.scaleup_gbps, "cost_basis": "rental" if s.capex is None else "capex",
            "source": first_source(s.source),
        })
    return pd.DataFrame(rows)
