"""Small builders for tests and benchmarks: problems from records, and seeded random instances."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .problem import AllocationProblem

OPTION_DEFAULTS = {"site": "site0", "usd_per_chip_hour": 0.0, "replica_chips": 1,
                   "kw_per_chip": 1.0}
CAPACITY_DEFAULTS = {"site": "site0"}
DEMAND_DEFAULTS = {"value_usd_per_m_output": 0.0, "unmet_penalty_usd_per_m_output": 0.0}


def problem_from_records(options: list[dict], capacity: list[dict], demand: list[dict],
                         power_cap: list[dict] | None = None) -> AllocationProblem:
    """An AllocationProblem from lists of dicts; omitted columns take the defaults above."""
    opt = pd.DataFrame([{**OPTION_DEFAULTS, **r} for r in options],
                       columns=["model", "system", "quarter", "site", "m_output_per_chip_hour",
                                "usd_per_chip_hour", "replica_chips", "kw_per_chip"])
    cap = pd.DataFrame([{**CAPACITY_DEFAULTS, **r} for r in capacity],
                       columns=["system", "quarter", "site", "chips"])
    dem_cols = ["model", "quarter", "m_output_per_hour", "value_usd_per_m_output",
                "unmet_penalty_usd_per_m_output"]
    if any("min_served_fraction" in r for r in demand):
        dem_cols.append("min_served_fraction")
    dem = pd.DataFrame([{**DEMAND_DEFAULTS, "min_served_fraction": 0.0, **r} for r in demand],
                       columns=dem_cols)
    pc = None if power_cap is None else pd.DataFrame(power_cap, columns=["site", "quarter", "mw"])
    return AllocationProblem(options=_typed(opt), capacity=_typed(cap), demand=_typed(dem),
                             power_cap=None if pc is None else _typed(pc))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if c in ("model", "system", "quarter", "site"):
            df[c] = df[c].astype(str)
        else:
            df[c] = df[c].astype(float)
    return df


def random_problem(n_models: int, n_systems: int, n_quarters: int, n_sites: int, *,
                   seed: int = 0, feasible_fraction: float = 1.0, power_caps: bool = True,
                   shortage: float = 1.1, min_service_models: int = 2) -> AllocationProblem:
    """A seeded random instance with demand about ``shortage`` x what capacity can serve.

    Options are the full model x system x quarter x site grid, thinned to
    ``feasible_fraction``; throughput, cost and replica size vary by (model, system); power caps
    (if any) bind at roughly 90 % of the power the full fleet would draw.
    """
    rng = np.random.default_rng(seed)
    models = [f"model{m:03d}" for m in range(n_models)]
    systems = [f"sys{s:03d}" for s in range(n_systems)]
    quarters = [f"{2025 + q // 4}Q{q % 4 + 1}" for q in range(n_quarters)]
    sites = [f"site{r:02d}" for r in range(n_sites)]

    m_i, s_i, q_i, r_i = (a.ravel() for a in np.meshgrid(
        np.arange(n_models), np.arange(n_systems), np.arange(n_quarters), np.arange(n_sites),
        indexing="ij"))
    keep = rng.random(len(m_i)) < feasible_fraction
    m_i, s_i, q_i, r_i = m_i[keep], s_i[keep], q_i[keep], r_i[keep]

    speed = rng.uniform(0.5, 4.0, n_systems)             # system speed factor
    size = rng.uniform(0.3, 3.0, n_models)               # model size factor
    tput_ms = speed[None, :] / size[:, None] * rng.uniform(0.8, 1.2, (n_models, n_systems))
    growth = 1.0 + 0.05 * np.arange(n_quarters)          # software efficiency over time
    usd_s = rng.uniform(1.0, 6.0, n_systems)
    replica_ms = rng.choice([1, 2, 4, 8, 16, 72], (n_models, n_systems))
    kw_s = rng.uniform(0.7, 2.0, n_systems)

    options = pd.DataFrame({
        "model": np.asarray(models, dtype=object)[m_i],
        "system": np.asarray(systems, dtype=object)[s_i],
        "quarter": np.asarray(quarters, dtype=object)[q_i],
        "site": np.asarray(sites, dtype=object)[r_i],
        "m_output_per_chip_hour": tput_ms[m_i, s_i] * growth[q_i],
        "usd_per_chip_hour": usd_s[s_i] * (1.0 - 0.02 * q_i),
        "replica_chips": replica_ms[m_i, s_i].astype(float),
        "kw_per_chip": kw_s[s_i],
    })
    cap_chips = rng.uniform(500, 5000, (n_systems, n_quarters, n_sites)).round()
    cs, cq, cr = (a.ravel() for a in np.meshgrid(np.arange(n_systems), np.arange(n_quarters),
                                                  np.arange(n_sites), indexing="ij"))
    capacity = pd.DataFrame({"system": np.asarray(systems, dtype=object)[cs],
                             "quarter": np.asarray(quarters, dtype=object)[cq],
                             "site": np.asarray(sites, dtype=object)[cr],
                             "chips": cap_chips.ravel()})

    # demand: a share of what the quarter's capacity serves at mean throughput, times shortage
    share = rng.dirichlet(np.ones(n_models))
    out_q = (cap_chips.sum(axis=(0, 2)) * tput_ms.mean()) * growth
    dm, dq = (a.ravel() for a in np.meshgrid(np.arange(n_models), np.arange(n_quarters),
                                             indexing="ij"))
    value_m = rng.uniform(1.0, 20.0, n_models)
    min_frac = np.zeros(n_models)
    min_frac[:min_service_models] = 0.5
    demand = pd.DataFrame({
        "model": np.asarray(models, dtype=object)[dm],
        "quarter": np.asarray(quarters, dtype=object)[dq],
        "m_output_per_hour": shortage * share[dm] * out_q[dq],
        "value_usd_per_m_output": value_m[dm],
        "unmet_penalty_usd_per_m_output": rng.choice([0.0, 1.0, 5.0], n_models)[dm],
        "min_served_fraction": min_frac[dm],
    })
    power = None
    if power_caps:
        mw = (cap_chips * kw_s[:, None, None]).sum(axis=0) / 1000.0 * 0.9   # (quarter, site)
        pq, pr = (a.ravel() for a in np.meshgrid(np.arange(n_quarters), np.arange(n_sites),
                                                 indexing="ij"))
        power = pd.DataFrame({"site": np.asarray(sites, dtype=object)[pr],
                              "quarter": np.asarray(quarters, dtype=object)[pq],
                              "mw": mw[pq, pr]})
    return AllocationProblem(options=options, capacity=capacity, demand=demand, power_cap=power)
