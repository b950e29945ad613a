"""Inverse sizing, the computation: the prefill / memory / decode / speed cascade."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from fleets.schema import System
from planner.costcore import physics
from planner.costcore.arrays import SystemArrays, system_arrays
from planner.costcore.efficiency import EfficiencyTable
from planner.queries.sizing.models import candidates, model_arrays_for
from planner.queries.sizing.query import (_PRECISION, _TOL, STEPS, SizeQuery, check_query,
                                          parse_experts)
from planner.scenario.schema import Scenario


def prefill_only_bound(systems: SystemArrays, query: SizeQuery, usd_per_chip_hour,
                       serving_efficiency: float) -> np.ndarray:
    """Closed form, per system: active params at which 2 x active FLOP per uncached input token
    (attention ignored) costs exactly the allowed $/M input. The cost core's prefill at one chip
    with a short prompt is exactly this; longer prompts add attention FLOPs."""
    peak = systems.peak_flops_per_s[:, _PRECISION[query.weight_bits]]
    eff = np.minimum(systems.compute_eff * serving_efficiency, 1.0)
    uncached = max((1 - query.cache_hit) * query.input_tokens, min(query.input_tokens, 1.0))
    chip_s_per_m = query.allowed_usd_per_m_input / np.asarray(usd_per_chip_hour) * 3600
    return chip_s_per_m * peak * eff / (2 * 1e6) * query.input_tokens / uncached


@dataclass(frozen=True)
class SizeAnswer:
    query: SizeQuery
    quarter: str
    systems: pd.DataFrame  # system, usd_per_chip_hour, prefill_only_active_params
    table: pd.DataFrame    # per (system, total, experts): bounds, binds, chosen configuration

    def to_json(self) -> dict:
        from planner.output.tables import to_records

        q = self.query
        return {"inputs": {
            "quarter": self.quarter, "price_input": q.price_input,
            "price_output": q.output_price, "price_output_given": q.price_output is not None,
            "margin": q.margin, "allowance": q.allowance,
            "allowed_usd_per_m_input": q.allowed_usd_per_m_input,
            "allowed_usd_per_m_output": q.allowed_usd_per_m_output,
            "workload": {"input_tokens": q.input_tokens, "output_tokens": q.output_tokens,
                         "cache_hit": q.cache_hit},
            "slo": {"min_output_tokens_per_s": q.min_output_tokens_per_s,
                    "max_ttft_s": q.max_ttft_s},
            "weight_bits": q.weight_bits, "steps_per_decade": q.steps_per_decade},
            "systems": to_records(self.systems), "rows": to_records(self.table)}


def _group_max(values: np.ndarray, ok: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """(G, S) maximum of ``values`` (M,) over each group's rows where ``ok`` (M, S); NaN if none."""
    out = np.full((n_groups, ok.shape[1]), -np.inf)
    np.maximum.at(out, group, np.where(ok, values[:, None], -np.inf))
    return np.where(np.isfinite(out), out, np.nan)


def size(systems: Mapping[str, System], query: SizeQuery, usd_per_chip_hour: Sequence[float],
         quarter: str, serving_efficiency: float = 1.0,
         efficiency_table: Optional[EfficiencyTable] = None) -> SizeAnswer:
    """Largest active-parameter counts each system can serve at the query's price and margin."""
    check_query(query)
    cands = candidates(query)
    models = model_arrays_for(cands, query)
    sys_arrays = system_arrays(systems, efficiency_table)
    usd = np.asarray(usd_per_chip_hour, dtype=np.float64).reshape(len(systems))
    grid = physics.evaluate_grid(models, sys_arrays, [quarter], usd[:, None],
                                 np.array([serving_efficiency]))
    per_m = usd[None, :, None] / 3600 * 1e6
    # input on the prefill regime's own replica, the same for every decode layout
    cost_in = np.broadcast_to((grid.prefill_chip_s_per_token()[:, :, 0] * per_m[..., 0])[..., None],
                              grid.weight_bytes_per_chip.shape)         # (M, S, R)
    cost_out = grid.output_chip_s_per_token()[:, :, 0] * per_m[..., None]  # (M, S, R, B)
    valid = grid.valid_replica[None]                                    # (1, S, R)
    ok_in = valid & (cost_in <= query.allowed_usd_per_m_input * _TOL)
    ok_fit = ok_in[..., None] & grid.fits                              # (M, S, R, B)
    ok_decode = ok_fit & (cost_out <= query.allowed_usd_per_m_output * _TOL)
    ok_slo = ok_decode & grid.meets_slo()[:, :, 0]
    passes = [ok_in.any(axis=2), ok_fit.any(axis=(2, 3)), ok_decode.any(axis=(2, 3)),
              ok_slo.any(axis=(2, 3))]

    group = cands["group"].to_numpy()
    n_groups = len(query.totals_b) * len(query.experts)
    active = cands["active_params"].to_numpy()
    top = _group_max(active, np.ones((len(cands), len(systems)), bool), group, n_groups)
    bounds = [_group_max(active, p, group, n_groups) for p in passes]  # each (G, S)

    # the cheapest configuration of the answer (the largest active meeting every step)
    total_cs = grid.total_chip_s_per_output()[:, :, 0]                # (M, S, R, B)
    M, S, R, B = total_cs.shape
    flat = np.where(ok_slo, total_cs, np.inf).reshape(M, S, R * B)
    best = np.argmin(flat, axis=2)                                      # (M, S)
    is_answer = ok_slo.any(axis=(2, 3)) & (active[:, None] == bounds[3][group])
    m_i, s_i = np.nonzero(is_answer)
    r_i, b_i = np.unravel_index(best[m_i, s_i], (R, B))
    chosen = {name: np.full((n_groups, S), np.nan) for name in
              ("replica_chips", "batch", "output_tokens_per_s_per_user", "ttft_s",
               "usd_per_m_input", "usd_per_m_output")}
    g_i = group[m_i]
    chosen["replica_chips"][g_i, s_i] = grid.replica_chips[r_i]
    chosen["batch"][g_i, s_i] = grid.batch[b_i]
    chosen["output_tokens_per_s_per_user"][g_i, s_i] = 1 / grid.step_s[m_i, s_i, 0, r_i, b_i]
    chosen["ttft_s"][g_i, s_i] = grid.prefill_ttft_s()[m_i, s_i, 0]
    chosen["usd_per_m_input"][g_i, s_i] = cost_in[m_i, s_i, r_i]
    chosen["usd_per_m_output"][g_i, s_i] = cost_out[m_i, s_i, r_i, b_i]

    # which step cuts most: ratio of successive bounds (infinite when a step leaves nothing)
    chain = np.stack([top] + bounds)                                    # (5, G, S)
    with np.errstate(invalid="ignore", divide="ignore"):
        cut = np.where(np.isnan(chain[1:]), np.inf, chain[:-1] / chain[1:])
    cut = np.where(np.isnan(chain[:-1]), 1.0, cut)  # after a step left nothing, no more cuts
    binds = np.where(np.max(cut, axis=0) > 1 + 1e-9,
                     np.array(STEPS, dtype=object)[np.argmax(cut, axis=0)], "none")

    n_routes = len(query.experts)
    s_idx, r_idx, t_idx = (x.ravel() for x in np.meshgrid(
        np.arange(S), np.arange(n_routes), np.arange(len(query.totals_b)), indexing="ij"))
    g_idx = t_idx * n_routes + r_idx  # the group numbering of candidates()
    totals = np.array(query.totals_b, dtype=np.float64)[t_idx] * 1e9
    k, e = np.array([parse_experts(x) for x in query.experts], dtype=np.float64).T[:, r_idx]
    table = pd.DataFrame({
        "system": np.array(list(systems), dtype=object)[s_idx], "quarter": quarter,
        "total_params": totals, "experts": np.array(query.experts, dtype=object)[r_idx],
        "min_active_params": np.where(e > 1, k / e * totals, totals),
        "prefill_bound_active_params": bounds[0][g_idx, s_idx],
        "memory_bound_active_params": bounds[1][g_idx, s_idx],
        "decode_bound_active_params": bounds[2][g_idx, s_idx],
        "max_active_params": bounds[3][g_idx, s_idx],
        "binds": binds[g_idx, s_idx],
        **{key: v[g_idx, s_idx] for key, v in chosen.items()}})
    summary = pd.DataFrame({
        "system": list(systems), "quarter": quarter, "usd_per_chip_hour": usd,
        "prefill_only_active_params": prefill_only_bound(sys_arrays, query, usd,
                                                         serving_efficiency)})
    return SizeAnswer(query, quarter, summary, table)


def size_in_scenario(scenario: Scenario, system_names: Sequence[str], query: SizeQuery,
                     quarter=None) -> SizeAnswer:
    """:func:`size` with the scenario's systems, cost per chip-hour and serving efficiency.

    ``quarter`` (a Quarter) defaults to the later of the horizon start and the systems'
    ``available_from``; it sets the serving efficiency.
    """
    from fleets.timeline import system_usd_per_chip_hour
    from planner.scenario.horizon import serving_efficiency

    systems = {name: scenario.systems[name] for name in system_names}
    if quarter is None:
        quarter = max([scenario.horizon.start, *(s.available_from for s in systems.values())])
    usd = [system_usd_per_chip_hour(s) for s in systems.values()]
    se = float(serving_efficiency(scenario, [quarter])[0])
    return size(systems, query, usd, str(quarter), se)
