"""A plain-Python scalar twin of :mod:`planner.costcore.physics`: one configuration at a time.

It re-derives everything from the primary inputs with the ``math`` module, so tests can check
the vectorised core against it and the benchmark can time it. Formulas: see physics.py.
"""
from __future__ import annotations

import math
from dataclasses import fields
from typing import Optional, Sequence

from planner.costcore import physics as ph
from planner.costcore.arrays import ModelArrays, SystemArrays


def model_row(models: ModelArrays, i: int) -> dict:
    """Model ``i`` as a dict of Python scalars (peak FLOP/s is a 3-list for systems)."""
    return {f.name: float(getattr(models, f.name)[i]) for f in fields(models) if f.name != "names"}


def system_row(systems: SystemArrays, s: int) -> dict:
    row = {f.name: getattr(systems, f.name)[s] for f in fields(systems) if f.name != "names"}
    return {k: ([float(x) for x in v] if k == "peak_flops_per_s" else float(v)) for k, v in row.items()}


def evaluate_config(m: dict, s: dict, serving_efficiency: float, usd_per_chip_hour: float,
                    replica_chips: float, batch: float) -> dict:
    """All metrics of one configuration; keys match the output table's columns."""
    n, b, se = float(replica_chips), float(batch), float(serving_efficiency)
    a = ph.ACTIVATION_BYTES
    d = s["chips_per_domain"]
    L, h = m["layers"], m["hidden_size"]
    inp, out = m["input_tokens"], m["output_tokens"]

    # model split
    k, e = m["experts_active"], m["experts_total"]
    moe = e > 1 and k < e
    if moe:
        kfrac = k / e
        expert_params = min(max((m["total_params"] - m["active_params"]) / (1 - kfrac), 0.0),
                            m["total_params"])
    else:
        kfrac, expert_params = 1.0, 0.0
    dense_b = (m["total_params"] - expert_params) * m["weight_bytes_per_param"]
    expert_b = expert_params * m["weight_bytes_per_param"]

    # layout
    valid = n <= ph.MAX_REPLICA_CHIPS and (
        n <= d or (math.fmod(n, d) == 0 and n <= d * s.get("max_replica_domains", math.inf)))
    t = min(n, d, ph.TP_MAX)
    g = n / t
    dom = min(n, d)
    spans = n > d
    su, so = s["scaleup_bytes_per_s"], s["scaleout_bytes_per_s"]
    n_ar = 1.0 if moe else 2.0

    # efficiencies this quarter
    ce = min(s["compute_eff"] * se, 1.0)
    me = min(s["memory_eff"] * se, 1.0)
    cm = min(s["comm_eff"] * se, 1.0)
    ovh = s["layer_overhead_s"] / se
    lat = s["collective_latency_s"] / se
    hbm_rate = s["hbm_bytes_per_s"] * me

    # communication per token (chip-seconds) and fixed time per pass
    comm = n_ar * L * h * a * 2 * (t - 1) / su
    if moe:
        domains = n / dom
        remote = (domains - 1) * (1 - (1 - 1 / domains) ** k)
        comm += 2 * L * h * a * (k * (1 - 1 / n) / su + remote / so)
    else:
        comm += (g - 1) * h * a / (so if spans else su)
    comm /= cm
    xf = ph.SCALEOUT_LATENCY_FACTOR if spans else 1.0
    n_lat = (n_ar * L if t > 1 else 0.0)
    if moe:
        n_lat += xf * (2 * L if n > 1 else 0.0)
    else:
        n_lat += xf * (g - 1)
    fixed = L * ovh + n_lat * lat

    # FLOP time per token
    prec = int(m["flops_precision"])
    pk_w = s["peak_flops_per_s"][prec]
    pk_a = s["peak_flops_per_s"][min(prec, 1)]
    attn = 4 * L * m["attention_width"]
    x = max((1 - m["cache_hit"]) * inp, min(inp, 1.0))
    ft_dec = (2 * m["active_params"] / pk_w + attn * (inp + out / 2) / pk_a) / ce
    ft_pf = (2 * m["active_params"] / pk_w + attn * (inp - x / 2) / pk_a) / ce

    # prefill
    input_cs = x / inp * max(ft_pf, comm)
    read_once = dense_b / t + expert_b * (1 - (1 - kfrac) ** x) / n
    ttft = max(x * ft_pf / n, x * comm / n, read_once / hbm_rate) + fixed

    # memory fit
    store = dense_b / (t if moe else n) + expert_b / n
    kv_tok = m["kv_bytes_per_token"]
    fits = valid and store + kv_tok * (inp + out) * b / n <= (1 - ph.HBM_RESERVE_FRACTION) * s["hbm_bytes"]

    # decode step
    mem = dense_b / t + expert_b * (1 - (1 - kfrac) ** b) / n + kv_tok * (inp + out / 2) * b / n
    step = max(mem / hbm_rate, ft_dec * b / n) + comm * b / n + fixed
    # per-sequence overhead: each data-parallel group (MoE: n / t groups) pays for its own
    step += s.get("sequence_overhead_s", 0.0) / se * b / (g if moe else 1.0)

    out_cs = n * step / b
    total_cs = out_cs + inp / out * input_cs
    usd = usd_per_chip_hour
    usd_in = usd * input_cs / 3600 * 1e6
    usd_out = usd * out_cs / 3600 * 1e6
    speed_ok = step <= 1.0 / m["min_output_tokens_per_s"]
    ttft_ok = ttft <= m["max_ttft_s"]
    return dict(
        fits=fits, meets_slo=fits and speed_ok and ttft_ok, replica_chips=n, batch=b,
        step_s=step,
        output_tokens_per_s_per_user=1.0 / step,
        output_tokens_per_s_per_chip=b / (n * step),
        input_tokens_per_s_per_chip=1.0 / input_cs,
        input_chip_s_per_token=input_cs,
        ttft_s=ttft,
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
    best = None
    for n in replica_chips:
        for b in batch:
            r = evaluate_config(m, s, serving_efficiency, usd_per_chip_hour, n, b)
            if r["meets_slo"] and (best is None
                                   or r["m_output_per_chip_hour"] > best["m_output_per_chip_hour"]):
                best = r
    return best
