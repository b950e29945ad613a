"""Vectorised serving physics over model x system x quarter x layout x batch (M,S,Q,R,B).

Units: bytes, seconds, FLOP, tokens; "chip-seconds per token" = chips x seconds / token.

Layout (the R axis, :mod:`planner.costcore.layouts`)
----------------------------------------------------
An option is a replica of N chips with attention TP t (t in 1, 2, 4, 8; t <= min(N, D), D the
chips per scale-up domain) and g = N / t groups. Valid replica sizes: N <= D, or a whole
multiple of D up to ``max_replica_domains`` domains; N <= 1152.
* Dense part (attention, dense FFN, shared experts, embeddings): tensor parallel over t chips.
  - MoE models: g data-parallel attention groups (dense part replicated per group: dense / t
    stored and read per chip); routed experts expert-parallel over all N chips (expert / N).
  - dense models: g pipeline stages of TP t (weights stored once, dense / N per chip; each
    chip reads its stage's weights once per microbatch, g microbatches per step: dense / t).
  Expert / dense split from the inputs: ``expert = (total - active) / (1 - k/E)``, dense = rest.
* KV cache per chip of one sequence: kv / N for plain (GQA/MHA) KV, sharded over the t heads
  of its group; kv x t / N for latent KV (MLA, ``kv_latent``): the latent is shared by all
  heads, so each TP rank of the sequence's group holds all of it.
* Domains spanned P = N / min(N, D); a replica with P > 1 "spans".

Communication per token (chip-bytes; a = ``ACTIVATION_BYTES``, h hidden size, L layers)
--------------------------------------------------------------------------------------
* scale-up bytes: TP all-reduce (ring) n_ar x L x h x a x 2 (t - 1), n_ar = 2 per layer for
  dense models, 1 for MoE (the expert combine replaces the second); MoE all-to-all inside
  domains 2 x L x h x a x k (N - 1) / N (dispatch + combine, DeepEP-style hierarchical: one
  copy per destination domain over scale-out, forwarded inside it); pipeline sends inside
  domains (g - P) x h x a (dense).
* scale-out bytes: MoE 2 x L x h x a x r, r = (P - 1)(1 - (1 - 1/P)^k) the expected number of
  other domains among a token's k experts; pipeline sends across domains (P - 1) x h x a.
* decode: comm chip-s per token = up / (scale-up x comm_eff) + out / (scale-out x
  scaleout_comm_eff) (DeepEP low-latency rates as the scale-out prior, efficiency.yaml).
* collectives per pass: inside domains n_lat_up = n_ar x L [t > 1] + 2 L [MoE, N > 1, not
  spanning] + (g - P) [dense]; across n_lat_out = 2 L [MoE, spanning] + (P - 1) [dense].
  fixed time = L x layer_overhead + n_lat_up x collective_latency + n_lat_out x
  scaleout_latency.

Decode step (one token for each of B sequences), per chip
--------------------------------------------------------
* context ``c_dec = input + output / 2``; expert coverage ``cov(x) = 1 - (1 - k/E)^x``.
* speculative decoding (MTP) per (model, system): d draft tokens, a accepted tokens per step
  (1 <= a <= d + 1; d = 0, a = 1 is plain decoding); each step verifies V = (1 + d) B tokens.
* memory time = (dense / t + expert x cov(V) / N + kv x c_dec x B x kv_share) / (HBM x
  memory_eff), kv_share = 1 / N or t / N (above): weights and KV are read once per step.
* compute time = V / N x (2 x active / peak_w + 4 x L x attention_width x c_dec / peak_a)
  / compute_eff; peak_w the FP4/FP8/BF16 rate of the weight bits, peak_a the attention rate
  (FP8 for 4- and 8-bit models, BF16 for 16-bit).
* communication time = V / N x comm chip-s per token.
* work = max(memory, compute); without overlap step = work + communication + fixed; with the
  system's two-micro-batch overlap (``deployment.overlap``) communication hides behind the
  other micro-batch's work up to the shorter of the two: step = max(work, communication) +
  fixed. Then + d x layer_overhead (the draft head's passes) + per-sequence overhead
  (``sequence_overhead_s`` x B / g_dp; g_dp = g for MoE (each data-parallel group pays for its
  own sequences), 1 for dense); the step per output token is that / a.
* tokens/s per user = 1 / step; output tokens/s per chip = B / (N x step).

Prefill (:mod:`planner.costcore.prefill`)
----------------------------------------
* Uncached prompt tokens ``X = max((1 - cache_hit) x input, min(input, 1))``; they attend on
  average to ``c_pf = input - X / 2`` tokens.
* FLOP time per token = (2 x active / peak_w + 4 x L x prefill_width x c_pf / peak_a) /
  prefill_compute_eff (a fitted efficiency of its own, shared across NVIDIA families).
* comm chip-s per token = up / (scale-up x 0.95) + out / (scale-out x 0.86): large messages at
  DeepEP normal-kernel rates (fixed from microbenchmarks, prefill.py).
* chip-seconds per input token (cached ones included) on a layout = X / input x max(FLOP time,
  comm): large chunks overlap communication and amortise weight reads and overheads. With
  no cache and a short prompt this is 2 x active / (peak x prefill_compute_eff).
* TTFT on a layout = max(X x max(FLOP time, comm) / N, weights touched once / HBM rate) +
  fixed time of one pass (the prompt alone on an otherwise idle replica; no queueing).
* Disaggregated regime: per (model, system, quarter) the prefill replica is the layout that
  holds the weights and one prompt's KV (X's KV at kv_share) with the fewest chip-seconds per
  input token among those meeting the TTFT target (ties: the smallest), else the quickest;
  cost per input token and TTFT are that layout's (``Grid.prefill_option``).

Memory fit
----------
weights stored per chip + kv x (input + output) x B x kv_share <= (1 - HBM_RESERVE_FRACTION)
x HBM per chip (every sequence may reach its full length; the reserve covers activations).

Quarter axis
------------
serving_efficiency[q] multiplies the compute, prefill compute, memory and both communication
efficiencies (each capped at 1; not the fixed large-message prefill rates) and divides the
fixed times; usd_per_chip_hour[s, q] is an input.

Other options
-------------
* ``prefill_attention_width`` (M,): MLA prefills in the plain form (DeepSeek-V3: 128 x (192 +
  128) / 2 = 20480), decodes in the absorbed one (128 x 576); default ``attention_width``.
* Aggregated serving (:meth:`Grid.user_step_s`, used by the calibration): prefill chunks share
  the decode steps, each user waits step + input / output x B / N x prefill chip-s per token
  on the decode layout. The planner's speed targets use the disaggregated view.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from planner.costcore import prefill as pf
from planner.costcore.arrays import ModelArrays, SystemArrays
from planner.costcore.grid import Grid
from planner.costcore.layouts import MAX_REPLICA_CHIPS, layout_options, valid_layouts
from planner.costcore.step import StepTerms
from planner.costcore.terms import (check_batch, check_inputs, coverage, model_terms, per_model,
                                    remote_domains)

__all__ = ["Grid", "evaluate_grid", "grid_of", "hardware_terms", "decode_terms",
           "MAX_REPLICA_CHIPS"]

DEFAULT_REPLICA_CHIPS = (1, 2, 4, 8, 16, 32, 64, 72, 128, 144, 256, 288, 512, 576, 1024, 1152)
DEFAULT_BATCH = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768,
                 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152,
                 65536, 98304, 131072, 196608, 262144)
ACTIVATION_BYTES = 2.0
HBM_RESERVE_FRACTION = 0.10


def evaluate_grid(models: ModelArrays, systems: SystemArrays, quarters: Sequence[str],
                  usd_per_chip_hour, serving_efficiency,
                  replica_chips: Sequence[float] = DEFAULT_REPLICA_CHIPS,
                  batch: Sequence[float] = DEFAULT_BATCH, **options) -> Grid:
    """Evaluate every (model, system, quarter, layout, batch) configuration.

    ``usd_per_chip_hour`` is (S, Q), ``serving_efficiency`` (Q,); the layouts are
    :func:`~planner.costcore.layouts.layout_options` of ``replica_chips``; ``options`` as
    :func:`hardware_terms`.
    """
    return grid_of(hardware_terms(models, systems, replica_chips, batch, **options), quarters,
                   usd_per_chip_hour, serving_efficiency)


def grid_of(hw: dict, quarters: Sequence[str], usd_per_chip_hour, serving_efficiency) -> Grid:
    """The :class:`Grid` of :func:`hardware_terms` ``hw`` over the quarters (its 5-D step
    array is computed only if read)."""
    terms, fields = decode_terms(hw, quarters, usd_per_chip_hour, serving_efficiency)
    return Grid(**fields, terms=terms)


def hardware_terms(models: ModelArrays, systems: SystemArrays,
                   replica_chips: Sequence[float] = DEFAULT_REPLICA_CHIPS,
                   batch: Sequence[float] = DEFAULT_BATCH, *,
                   sequence_overhead_s=None, draft_tokens=None, accepted_tokens=None,
                   prefill_attention_width=None) -> dict:
    """Everything of the grid that the quarter (its serving efficiency) does not change:
    layouts, bytes stored and read, memory fit, communication bytes, FLOPs; the input of
    :func:`decode_terms`, which a caller evaluating many efficiencies computes once.

    Options (module docs): ``sequence_overhead_s`` (S,) (default ``systems.sequence_overhead_s``);
    ``draft_tokens`` and ``accepted_tokens`` (M,) or (M, S) for MTP speculative decoding
    (default 0 and 1); ``prefill_attention_width`` (M,) (default ``attention_width``).
    """
    M, S = len(models), len(systems)
    Bt = check_batch(batch)
    lay = layout_options(replica_chips)
    width_pf = (models.attention_width if prefill_attention_width is None else
                per_model(prefill_attention_width, M, 0.0, "prefill_attention_width"))
    seq_ovh = per_model(systems.sequence_overhead_s if sequence_overhead_s is None
                         else sequence_overhead_s, S, 0.0, "sequence_overhead_s")
    draft = per_model(draft_tokens, M, 0.0, "draft_tokens", S)
    accepted = per_model(accepted_tokens, M, 1.0, "accepted_tokens", S)
    if np.any(width_pf <= 0):
        raise ValueError("prefill_attention_width must be > 0")
    if np.any(seq_ovh < 0) or np.any(draft < 0):
        raise ValueError("sequence_overhead_s and draft_tokens must be >= 0")
    if np.any(accepted < 1) or np.any(accepted > 1 + draft):
        raise ValueError("accepted_tokens must be within [1, 1 + draft_tokens]")
    mt = model_terms(models, width_pf)
    sy, a = systems, ACTIVATION_BYTES
    verify = 1.0 + draft  # (M, S) tokens through the model per sequence per step

    # ---- layout (S, R) and model x layout (M, S, R)
    N, t, g = lay.replica_chips, lay.attention_tp, lay.groups
    D = sy.chips_per_domain[:, None]
    valid = valid_layouts(sy.chips_per_domain, lay, sy.max_replica_domains)
    P = N[None, :] / np.minimum(N[None, :], D)  # domains spanned
    spans = P > 1
    inside = np.maximum(g - P, 0.0)  # pipeline sends inside domains (< 0 only where invalid)

    def ms(x):  # (M,) -> (M,1,1)
        return x[:, None, None]

    moe, L, h = ms(mt["moe"]), ms(models.layers), ms(models.hidden_size)
    read_dense = ms(mt["dense_bytes"]) / t
    store = ms(mt["dense_bytes"]) / np.where(moe, t, N) + ms(mt["expert_bytes"]) / N
    kv_share = np.where(models.kv_latent[:, None] > 0, t, 1.0) / N  # (M, R)
    up_bytes = (ms(mt["n_ar"]) * L * h * a * 2 * (t - 1)
                + 2 * L * h * a * ms(mt["a2a_k"]) * (1 - 1 / N)
                + np.where(moe, 0.0, inside[None] * h * a))
    out_bytes = np.where(moe, 2 * L * h * a * remote_domains(ms(mt["a2a_k"]), P[None]),
                         (P[None] - 1) * h * a)
    n_lat_up = (ms(mt["n_ar"]) * L * (t > 1) + 2 * L * (moe & (N > 1) & ~spans[None])
                + np.where(moe, 0.0, inside[None]))
    n_lat_out = np.where(moe, 2 * L * spans[None], (P[None] - 1))

    # ---- (M, S) FLOP time per token at peak, prefill communication (M, S, 1, R)
    pk_w = sy.peak_flops_per_s[:, models.flops_precision].T  # (M, S)
    pk_a = sy.peak_flops_per_s[:, np.minimum(models.flops_precision, 1)].T
    wt = mt["weight_flops"][:, None] / pk_w
    comm_pf = pf.prefill_comm_s_per_token(up_bytes, out_bytes, sy.scaleup_bytes_per_s,
                                          sy.scaleout_bytes_per_s)[:, :, None]
    cov_x = coverage(mt["kfrac"], mt["uncached"])
    usable = (1 - HBM_RESERVE_FRACTION) * sy.hbm_bytes[None, :, None]
    fits_prompt = valid[None] & (store + ms(mt["kv_prompt"]) * kv_share[:, None] <= usable)

    # ---- (M, S, R, B) memory fit and bytes read per step
    kv_b = kv_share[:, :, None] * Bt  # (M, R, B) KV chips-share of B sequences
    kv_full = (mt["kv_fit"][:, None, None] * kv_b)[:, None]  # (M, 1, R, B)
    fits = valid[None, :, :, None] & (store[..., None] + kv_full <= usable[..., None])
    cov_b = coverage(mt["kfrac"][:, None, None], Bt * verify[..., None])  # (M, S, B)
    mem_bytes = (read_dense[..., None]
                 + (mt["expert_bytes"][:, None, None] * cov_b)[:, :, None, :] / N[:, None]
                 + (mt["kv_dec"][:, None, None] * kv_b)[:, None])
    g_dp = np.where(mt["moe"][:, None], g[None, :], 1.0)  # (M, R)
    return dict(models=models, systems=systems, layouts=lay, batch=Bt, mt=mt, verify=verify,
                draft=draft, accepted=accepted, seq_ovh=seq_ovh, valid=valid, store=store,
                kv_share=kv_share, read_dense=read_dense, up_bytes=up_bytes,
                out_bytes=out_bytes, n_lat_up=n_lat_up, n_lat_out=n_lat_out, pk_a=pk_a, wt=wt,
                comm_pf=comm_pf, cov_x=cov_x, fits_prompt=fits_prompt, fits=fits,
                mem_bytes=mem_bytes, g_dp=g_dp)


def decode_terms(hw: dict, quarters: Sequence[str], usd_per_chip_hour, serving_efficiency
                 ) -> tuple[StepTerms, dict]:
    """The operands of the decode step (:class:`~planner.costcore.step.StepTerms`) and every
    other field of the :class:`Grid` (prefill, memory fit, layouts), without the 5-D step,
    from :func:`hardware_terms` and the quarters' prices and serving efficiencies."""
    models, sy, lay, Bt, mt = hw["models"], hw["systems"], hw["layouts"], hw["batch"], hw["mt"]
    quarters = tuple(str(q) for q in quarters)
    M, S, Q = len(models), len(sy), len(quarters)
    usd, se = check_inputs(S, Q, usd_per_chip_hour, serving_efficiency)
    N = lay.replica_chips

    def ms(x):  # (M,) -> (M,1,1)
        return x[:, None, None]

    # ---- quarter terms (S, Q) -> broadcast shapes
    def eff(x):
        return np.minimum(x[:, None] * se[None, :], 1.0)

    ce, pce, me = eff(sy.compute_eff), eff(sy.prefill_compute_eff), eff(sy.memory_eff)
    bw_up = (sy.scaleup_bytes_per_s[:, None] * eff(sy.comm_eff))[None, :, :, None]
    bw_out = (sy.scaleout_bytes_per_s[:, None] * eff(sy.scaleout_comm_eff))[None, :, :, None]
    ovh = sy.layer_overhead_s[:, None] / se[None, :]
    lat = (sy.collective_latency_s[:, None] / se[None, :])[None, :, :, None]
    lat_out = (sy.scaleout_latency_s[:, None] / se[None, :])[None, :, :, None]
    inv_bw = 1.0 / (sy.hbm_bytes_per_s[:, None] * me)  # (S, Q)

    # ---- (M, S, Q) FLOP time per token
    wt, pk_a = hw["wt"], hw["pk_a"]
    ft_dec = (wt + mt["attn_flops_dec"][:, None] / pk_a)[:, :, None] / ce[None]
    ft_pf = (wt + mt["attn_flops_pf"][:, None] / pk_a)[:, :, None] / pce[None]

    # ---- (M, S, Q, R) communication, fixed times, prefill
    comm_dec = hw["up_bytes"][:, :, None] / bw_up + hw["out_bytes"][:, :, None] / bw_out
    fixed = ((ms(models.layers) * ovh[None])[..., None] + hw["n_lat_up"][:, :, None] * lat
             + hw["n_lat_out"][:, :, None] * lat_out)
    X = mt["uncached"][:, None, None, None]
    pf_tok = np.maximum(ft_pf[..., None], hw["comm_pf"])
    input_cs = (X / models.input_tokens[:, None, None, None]) * pf_tok
    ttft_read = ((hw["read_dense"] + ms(mt["expert_bytes"] * hw["cov_x"]) / N)[:, :, None]
                 * inv_bw[None, :, :, None])
    ttft = np.maximum(X * pf_tok / N, ttft_read) + fixed
    prefill_option = pf.choose_prefill(input_cs, ttft, hw["fits_prompt"], models.max_ttft_s)

    # ---- decode step terms (M, S, Q, R)
    verify = hw["verify"]
    fixed_dec = fixed + (hw["draft"][:, :, None] * ovh[None])[..., None]  # + d draft passes
    comm_ver = comm_dec * verify[:, :, None, None]
    seq_step = ((hw["seq_ovh"][:, None] / se[None, :])[None, :, :, None]
                / hw["g_dp"][:, None, None, :])
    ft_ver = ft_dec * verify[:, :, None]  # (M, S, Q)

    terms = StepTerms(mem_bytes=hw["mem_bytes"], inv_bw=inv_bw, ft=ft_ver,
                      bn=Bt[None, :] / N[:, None], comm=comm_ver, overlap=sy.overlap > 0,
                      fixed=fixed_dec, seq=np.broadcast_to(seq_step, comm_ver.shape),
                      batch=Bt, accepted=hw["accepted"])
    fields = dict(models=models, systems=sy, quarters=quarters, layouts=lay, batch=Bt,
                  usd_per_chip_hour=usd, serving_efficiency=se, valid_replica=hw["valid"],
                  fits=hw["fits"], weight_bytes_per_chip=np.broadcast_to(hw["store"],
                                                                         (M, S, len(lay))),
                  kv_chips_per_sequence=hw["kv_share"], input_chip_s_per_token=input_cs,
                  ttft_s=ttft, prefill_option=prefill_option)
    return terms, fields
