"""A plain-Python scalar twin of :mod:`planner.costcore.physics`: one configuration at a time.

It re-derives everything from the primary inputs with the ``math`` module, so tests can check
the vectorised core against it and the benchmark can time it. Formulas: see physics.py.
A configuration is (layout (N, t), batch B); the prefill regime is chosen over the layouts by
:func:`prefill_regime` (pass it in to avoid recomputing it per configuration).
"""
from __future__ import annotations

import math
from dataclasses import fields
from typing import Optional, Sequence

from planner.costcore import physics as ph
from planner.costcore import prefill as pf
from planner.costcore.arrays import ModelArrays, SystemArrays
from planner.costcore.layouts import ATTENTION_TP, MAX_REPLICA_CHIPS


def model_row(models: ModelArrays, i: int) -> dict:
    """Model ``i`` as a dict of Python scalars (peak FLOP/s is a 3-list for systems)."""
    return {f.name: float(getattr(models, f.name)[i]) for f in fields(models) if f.name != "names"}


def system_row(systems: SystemArrays, s: int) -> dict:
    row = {f.name: getattr(systems, f.name)[s] for f in fields(systems) if f.name != "names"}
    return {k: ([float(x) for x in v] if k == "peak_flops_per_s" else float(v)) for k, v in row.items()}


def layouts(replica_chips: Sequence[float]) -> list[tuple[float, float]]:
    """(N, t) options: t in ATTENTION_TP dividing N, ordered by N then t (layouts.py)."""
    return [(float(n), float(t)) for n in sorted(set(replica_chips)) for t in ATTENTION_TP
            if t <= n and math.fmod(n, t) == 0]


def _layout_terms(m: dict, s: dict, se: float, n: float, t: float) -> dict:
    """Everything of one layout that does not depend on the batch."""
    a, d = ph.ACTIVATION_BYTES, s["chips_per_domain"]
    L, h = m["layers"], m["hidden_size"]
    k, e = m["experts_active"], m["experts_total"]
    moe = e > 1 and k < e
    kfrac = k / e if moe else 1.0
    expert_params = (min(max((m["total_params"] - m["active_params"]) / (1 - kfrac), 0.0),
                         m["total_params"]) if moe else 0.0)
    dense_b = (m["total_params"] - expert_params) * m["weight_bytes_per_param"]
    expert_b = expert_params * m["weight_bytes_per_param"]
    g = n / t
    valid = (n <= MAX_REPLICA_CHIPS and t <= min(n, d) and (
        n <= d or (math.fmod(n, d) == 0 and n <= d * s["max_replica_domains"]
                   and math.fmod(d, t) == 0)))
    P = n / min(n, d)
    spans = P > 1
    n_ar = 1.0 if moe else 2.0
    kk = k if moe else 0.0

    # communication bytes per token and collectives per pass
    up = n_ar * L * h * a * 2 * (t - 1) + 2 * L * h * a * kk * (1 - 1 / n)
    if moe:
        out = 2 * L * h * a * (P - 1) * (1 - (1 - 1 / P) ** kk)
    else:
        up += max(g - P, 0.0) * h * a
        out = (P - 1) * h * a
    n_up = (n_ar * L if t > 1 else 0.0) + (2 * L if moe and n > 1 and not spans else 0.0)
    n_out = (2 * L if moe and spans else 0.0)
    if not moe:
        n_up += max(g - P, 0.0)
        n_out += P - 1

    ce = min(s["compute_eff"] * se, 1.0)
    pce = min(s["prefill_compute_eff"] * se, 1.0)
    me = min(s["memory_eff"] * se, 1.0)
    cm = min(s["comm_eff"] * se, 1.0)
    cmo = min(s["scaleout_comm_eff"] * se, 1.0)
    su, so = s["scaleup_bytes_per_s"], s["scaleout_bytes_per_s"]
    ovh = s["layer_overhead_s"] / se
    fixed = L * ovh + n_up * s["collective_latency_s"] / se + n_out * s["scaleout_latency_s"] / se

    prec = int(m["flops_precision"])
    pk_w, pk_a = s["peak_flops_per_s"][prec], s["peak_flops_per_s"][min(prec, 1)]
    inp, outp = m["input_tokens"], m["output_tokens"]
    x = max((1 - m["cache_hit"]) * inp, min(inp, 1.0))
    ft_dec = (2 * m["active_params"] / pk_w
              + 4 * L * m["attention_width"] * (inp + outp / 2) / pk_a) / ce
    width_pf = m.get("prefill_attention_width", m["attention_width"])
    ft_pf = (2 * m["active_params"] / pk_w + 4 * L * width_pf * (inp - x / 2) / pk_a) / pce
    comm_pf = up / (su * pf.PREFILL_SCALEUP_EFF) + out / (so * pf.PREFILL_SCALEOUT_EFF)
    hbm_rate = s["hbm_bytes_per_s"] * me
    read_once = dense_b / t + expert_b * (1 - (1 - kfrac) ** x) / n
    kv_share = (t if m.get("kv_latent", 0.0) else 1.0) / n
    store = dense_b / (t if moe else n) + expert_b / n
    usable = (1 - ph.HBM_RESERVE_FRACTION) * s["hbm_bytes"]
    return dict(
        moe=moe, kfrac=kfrac, dense_b=dense_b, expert_b=expert_b, g=g, valid=valid,
        store=store, kv_share=kv_share, usable=usable, hbm_rate=hbm_rate, ft_dec=ft_dec,
        comm=up / (su * cm) + out / (so * cmo), fixed=fixed, ovh=ovh,
        input_cs=x / inp * max(ft_pf, comm_pf),
        ttft=max(x * max(ft_pf, comm_pf) / n, read_once / hbm_rate) + fixed,
        fits_prompt=valid and store + m["kv_bytes_per_token"] * x * kv_share <= usable,
    )


def prefill_regime(m: dict, s: dict, serving_efficiency: float,
                   replica_chips: Sequence[float] = ph.DEFAULT_REPLICA_CHIPS) -> dict:
    """The prefill regime's layout: cheapest per input token among fitting layouts meeting the
    TTFT target (first on ties), else the fitting one with the lowest TTFT (physics.py)."""
    best = quickest = None
    for n, t in layouts(replica_chips):
        lt = _layout_terms(m, s, serving_efficiency, n, t)
        if not lt["fits_prompt"]:
            continue
        r = dict(replica_chips=n, attention_tp=t, input_cs=lt["input_cs"], ttft=lt["ttft"])
        if lt["ttft"] <= m["max_ttft_s"] and (best is None or r["input_cs"] < best["input_cs"]):
            best = r
        if quickest is None or r["ttft"] < quickest["ttft"]:
            quickest = r
    chosen = best or quickest
    if chosen is None:  # nothing fits: the first layout (the decode side is infeasible too)
        n, t = layouts(replica_chips)[0]
        lt = _layout_terms(m, s, serving_efficiency, n, t)
        chosen = dict(replica_chips=n, attention_tp=t, input_cs=lt["input_cs"], ttft=lt["ttft"])
    return chosen


def evaluate_config(m: dict, s: dict, serving_efficiency: float, usd_per_chip_hour: float,
                    replica_chips: float, attention_tp: float, batch: float,
                    prefill: Optional[dict] = None, draft_tokens: float = 0.0,
                    accepted_tokens: float = 1.0) -> dict:
    """All metrics of one configuration; keys match the output table's columns."""
    n, t, b, se = float(replica_chips), float(attention_tp), float(batch), float(serving_efficiency)
    lt = _layout_terms(m, s, se, n, t)
    pre = prefill if prefill is not None else prefill_regime(m, s, se)
    inp, out = m["input_tokens"], m["output_tokens"]
    kv_tok = m["kv_bytes_per_token"]
    verify = 1.0 + draft_tokens
    fits = lt["valid"] and lt["store"] + kv_tok * (inp + out) * b * lt["kv_share"] <= lt["usable"]

    mem = (lt["dense_b"] / t + lt["expert_b"] * (1 - (1 - lt["kfrac"]) ** (b * verify)) / n
           + kv_tok * (inp + out / 2) * b * lt["kv_share"])
    work = max(mem / lt["hbm_rate"], lt["ft_dec"] * verify * b / n)
    comm = lt["comm"] * verify * b / n
    step = (max(work, comm) if s["overlap"] else work + comm) + lt["fixed"]
    step += draft_tokens * lt["ovh"]
    # per-sequence overhead: each data-parallel group (MoE: n / t groups) pays for its own
    step += s["sequence_overhead_s"] / se * b / (lt["g"] if lt["moe"] else 1.0)
    step /= accepted_tokens

    input_cs = pre["input_cs"]
    out_cs = n * step / b
    total_cs = out_cs + inp / out * input_cs
    usd = usd_per_chip_hour
    usd_in = usd * input_cs / 3600 * 1e6
    usd_out = usd * out_cs / 3600 * 1e6
    speed_ok = step <= 1.0 / m["min_output_tokens_per_s"]
    ttft_ok = pre["ttft"] <= m["max_ttft_s"]
    return dict(
        fits=fits, meets_slo=fits and speed_ok and ttft_ok, replica_chips=n, batch=b,
        attention_tp=t, expert_parallel=n if lt["moe"] else 1.0,
        pipeline_stages=1.0 if lt["moe"] else lt["g"],
        prefill_replica_chips=pre["replica_chips"], prefill_attention_tp=pre["attention_tp"],
        step_s=step,
        output_tokens_per_s_per_user=1.0 / step,
        output_tokens_per_s_per_chip=b / (n * step),
        input_tokens_per_s_per_chip=1.0 / input_cs,
        input_chip_s_per_token=input_cs,
        ttft_s=pre["ttft"],
        usd_per_m_input=usd_in,
        usd_per_m_output=usd_out,
        usd_per_m_blended=(inp * usd_in + out * usd_out) / (inp + out),
        usd_per_m_output_incl_input=usd * total_cs / 3600 * 1e6,
        m_output_per_chip_hour=3600 / total_cs / 1e6,
        usd_per_chip_hour=usd,
    )


def cheapest_config(m: dict, s: dict, serving_efficiency: float, usd_per_chip_hour: float,
                    replica_chips: Sequence[float] = ph.DEFAULT_REPLICA_CHIPS,
                    batch: Sequence[float] = ph.DEFAULT_BATCH) -> Optional[dict]:
    """The configuration meeting both targets with the most output per chip-hour, or None."""
    pre = prefill_regime(m, s, serving_efficiency, replica_chips)
    best = None
    for n, t in layouts(replica_chips):
        for b in batch:
            r = evaluate_config(m, s, serving_efficiency, usd_per_chip_hour, n, t, b, pre)
            if r["meets_slo"] and (best is None
                                   or r["m_output_per_chip_hour"] > best["m_output_per_chip_hour"]):
                best = r
    return best
