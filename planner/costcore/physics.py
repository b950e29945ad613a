"""Vectorised serving physics over model x system x quarter x replica size x batch (M,S,Q,R,B).

Units: bytes, seconds, FLOP, tokens; "chip-seconds per token" = chips x seconds / token.

Layout of one replica of N chips on a system with D chips per scale-up domain
-----------------------------------------------------------------------------
* Valid sizes: N <= D, or N a whole multiple of D up to the system's ``max_replica_domains``
  domains; N <= ``MAX_REPLICA_CHIPS``.
* Dense part (attention, dense FFN, shared experts, embeddings): tensor parallel over a group of
  ``t = min(N, D, TP_MAX)`` chips (TP beyond 8 rarely pays: GQA has ~8 KV heads, and the
  all-reduce volume per chip does not shrink with t). Across the ``g = N / t`` groups:
  - dense models: pipeline stages (weights stored once: dense / N per chip; each chip reads its
    stage's weights once per microbatch, g microbatches per step, so dense / t per step);
  - MoE models: data-parallel attention (dense part replicated per group: dense / t stored and
    read per chip); all B sequences of a step meet at every expert layer.
* Routed experts: expert parallel over all N chips (stored expert / N per chip).
  Expert / dense split from the inputs: ``expert = (total - active) / (1 - k/E)``, dense = rest.
* KV cache evenly sharded over the N chips (head/sequence sharding; MLA latents are assumed
  not duplicated across TP ranks, i.e. data-parallel attention).

Decode step (one token for each of B sequences), per chip
--------------------------------------------------------
* context ``c_dec = input + output / 2`` (mean over the generation);
  expert coverage ``cov(B) = 1 - (1 - k/E)^B`` (expected share of a layer's experts touched).
* memory time = (dense / t + expert x cov(B) / N + kv_per_token x c_dec x B / N)
  / (HBM bytes/s x memory_eff)
* compute time = B / N x (2 x active / peak_w + 4 x layers x attention_width x c_dec / peak_a)
  / compute_eff; peak_w is the FP4/FP8/BF16 rate chosen by the weight bits, peak_a the attention
  rate (FP8 for 4- and 8-bit models, BF16 for 16-bit: attention does not run in FP4).
* communication time = B / N x comm_s_per_token, where comm_s_per_token (chip-seconds per token,
  activations of ``ACTIVATION_BYTES`` per value, h = hidden size, L = layers) sums:
  - TP all-reduce (ring, inside a domain): n_ar x L x h x a x 2 (t - 1) / scale-up;
    n_ar = 2 per layer for dense models, 1 for MoE (the expert combine replaces the second);
  - MoE all-to-all, dispatch + combine, hierarchical (DeepEP-style: one copy of a token per
    destination domain over scale-out, forwarded inside that domain over scale-up):
    2 x L x h x a x (k (N - 1) / N / scale-up + r / scale-out), where r = (P - 1) x
    (1 - (1 - 1/P)^k) is the expected number of other domains among a token's k experts,
    P = N / min(N, D) the number of domains (r = 0 inside one domain);
  - pipeline sends (dense models, g > 1): (g - 1) x h x a / link, link = scale-out when the
    replica spans domains, else scale-up;
  all over comm_eff (no overlap with compute is assumed in decode).
* fixed time = L x layer_overhead + latency x (n_ar x L [t > 1] + x_f x (2 L [MoE, N > 1]
  + (g - 1) [dense])), x_f = ``SCALEOUT_LATENCY_FACTOR`` when the replica spans domains, else 1.
* step = max(memory, compute) + communication + fixed; tokens/s per user = 1 / step;
  output tokens/s per chip = B / (N x step).

Prefill
-------
* Uncached prompt tokens ``X = max((1 - cache_hit) x input, min(input, 1))`` (the last prompt
  token is always computed); they attend on average to ``c_pf = input - X / 2`` tokens.
* chip-seconds per input token (the workload's input tokens, cached ones included)
  = X / input x max(FLOP time, comm time) with FLOP time =
  (2 x active / peak_w + 4 x L x attention_width x c_pf / peak_a) / compute_eff: large prefill
  chunks are compute-bound, overlap communication and amortise weight reads and overheads.
  With N = 1, no cache and a short prompt this is exactly 2 x active / (peak x eff).
* TTFT = max(X x FLOP time / N, X x comm time / N, weights touched once / HBM rate) + fixed
  time of one pass (the prompt alone on an otherwise idle replica; no queueing).

Memory fit
----------
weights stored per chip + kv_per_token x (input + output) x B / N <= (1 - HBM_RESERVE_FRACTION)
x HBM per chip (every sequence may reach its full length; the reserve covers activations and
fragmentation).

Quarter axis
------------
serving_efficiency[q] multiplies compute, memory and comm efficiencies (each capped at 1) and
divides the fixed overheads; usd_per_chip_hour[s, q] is an input.

Explicit options (off by default; added by the calibration, planner/calibration)
---------------------------------------------------------------------------------
* Per-sequence step overhead ``sequence_overhead_s`` (S,): time per sequence per decode step
  that tensor parallelism does not split: host-side scheduling, sampling and per-sequence
  kernels. Each data-parallel group pays it for its own sequences: the step grows by
  ``sequence_overhead x B / g_dp`` with g_dp = N / t for MoE models (data-parallel attention)
  and 1 for dense models; like the other fixed times it is divided by serving_efficiency.
  Calibrated per hardware family (``sequence_overhead_us`` in planner/data/efficiency.yaml).
  Without it a roofline lets tiny-active models (gpt-oss) run batches of thousands at
  interactive speeds, which no measured stack does.
* Speculative decoding with a multi-token-prediction (MTP) draft, ``draft_tokens`` d (M,) and
  ``accepted_tokens`` a (M,) (mean tokens emitted per sequence per step, the bonus token
  included, 1 <= a <= d + 1): each step verifies (1 + d) B tokens, so compute, communication
  and expert coverage use (1 + d) B tokens, while weights and each sequence's KV cache are
  read once; the d draft passes of the one-layer MTP head add d layer overheads (their
  weights and FLOPs, one layer's worth, are neglected). The step yields a tokens per
  sequence: ``step_s`` is the time per output token, step time / a. d = 0, a = 1 is plain
  decoding. Prefill and TTFT are unchanged.
* Prefill attention width ``prefill_attention_width`` (M,): the width of the query-key
  product in prefill, when it differs from the decode ``attention_width``. Multi-head latent
  attention (MLA) decodes in the absorbed form (q_heads x (kv_lora_rank + rope_dim), e.g.
  128 x 576 for DeepSeek-V3) but prefills in the plain form, 4 x q_heads x (qk_head_dim +
  v_head_dim) / 2 FLOPs per context token (128 x (192 + 128) / 2 = 20480 for DeepSeek-V3):
  3.6x fewer attention FLOPs. Default: ``attention_width``.
* Aggregated serving (:meth:`Grid.user_step_s`): when prefill chunks share the decode steps
  (in-flight batching without disaggregation), every step also prefills input / output
  tokens per sequence, so each user waits step + input / output x B / N x prefill chip-s per
  token per output token. ``step_s`` (and so the planner's speed targets) is the
  disaggregated view: decode alone. Chip-seconds per token are the same in both views.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from planner.costcore.arrays import ModelArrays, SystemArrays

DEFAULT_REPLICA_CHIPS = (1, 2, 4, 8, 16, 32, 64, 72, 128, 144, 256, 288, 512, 576, 1024, 1152)
DEFAULT_BATCH = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768,
                 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152,
                 65536)
MAX_REPLICA_CHIPS = 1152
TP_MAX = 8
ACTIVATION_BYTES = 2.0
HBM_RESERVE_FRACTION = 0.10
SCALEOUT_LATENCY_FACTOR = 2.0
_CHUNK_CONFIGS = 1 << 17  # configurations per vectorised chunk: keeps temporaries in cache


@dataclass(frozen=True)
class Grid:
    """Evaluated configurations. Shapes: M models, S systems, Q quarters, R replica sizes, B batches.

    ``step_s`` is the decode step time per output token (M,S,Q,R,B: the step time, or with
    speculative decoding the step time over the accepted tokens); ``fits`` (M,S,R,B) includes the
    replica-size validity ``valid_replica`` (S,R); ``input_chip_s_per_token`` and ``ttft_s`` are
    (M,S,Q,R). Derived per-config metrics are methods so the grid holds one 5-D array.
    """

    models: ModelArrays
    systems: SystemArrays
    quarters: tuple[str, ...]
    replica_chips: np.ndarray  # (R,)
    batch: np.ndarray  # (B,)
    usd_per_chip_hour: np.ndarray  # (S, Q)
    serving_efficiency: np.ndarray  # (Q,)
    valid_replica: np.ndarray  # (S, R) bool
    fits: np.ndarray  # (M, S, R, B) bool
    weight_bytes_per_chip: np.ndarray  # (M, S, R) stored weights per chip
    step_s: np.ndarray  # (M, S, Q, R, B)
    input_chip_s_per_token: np.ndarray  # (M, S, Q, R)
    ttft_s: np.ndarray  # (M, S, Q, R)

    def user_step_s(self, aggregated: bool = True) -> np.ndarray:
        """Time per output token a user sees, (M,S,Q,R,B).

        ``aggregated``: prefill chunks share the decode steps, so each step also prefills
        input / output tokens per sequence: step + input / output x B / N x prefill chip-s per
        token. Otherwise (disaggregated prefill) the decode step alone, ``step_s``.
        """
        if not aggregated:
            return self.step_s
        ratio = (self.models.input_tokens / self.models.output_tokens)[:, None, None, None, None]
        per_chip = (self.batch[None, :] / self.replica_chips[:, None])[None, None, None]
        return self.step_s + ratio * per_chip * self.input_chip_s_per_token[..., None]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.step_s.shape

    @property
    def size(self) -> int:
        return int(self.step_s.size)

    def output_chip_s_per_token(self) -> np.ndarray:
        """Chip-seconds per output token of decode, N x step / B, (M,S,Q,R,B)."""
        return self.step_s * (self.replica_chips[:, None] / self.batch[None, :])

    def total_chip_s_per_output(self) -> np.ndarray:
        """Chip-seconds per output token including the prefill of its share of input."""
        ratio = self.models.input_tokens / self.models.output_tokens
        return (self.output_chip_s_per_token()
                + ratio[:, None, None, None, None] * self.input_chip_s_per_token[..., None])

    def meets_slo(self) -> np.ndarray:
        """Fits, reaches the per-user speed target and the TTFT target, (M,S,Q,R,B)."""
        max_step = 1.0 / self.models.min_output_tokens_per_s
        speed = self.step_s <= max_step[:, None, None, None, None]
        ttft = self.ttft_s <= self.models.max_ttft_s[:, None, None, None]
        return speed & ttft[..., None] & self.fits[:, :, None]


def _model_terms(m: ModelArrays, prefill_width=None) -> dict[str, np.ndarray]:
    """Per-model derived quantities, each (M,)."""
    k, e = m.experts_active, m.experts_total
    moe = (e > 1) & (k < e)
    kfrac = np.where(moe, k / e, 1.0)
    expert_params = np.where(
        moe, np.clip((m.total_params - m.active_params) / np.where(moe, 1 - kfrac, 1.0),
                     0.0, m.total_params), 0.0)
    dense_params = m.total_params - expert_params
    uncached = np.maximum((1 - m.cache_hit) * m.input_tokens, np.minimum(m.input_tokens, 1.0))
    attn = 4 * m.layers * m.attention_width
    attn_pf = attn if prefill_width is None else 4 * m.layers * prefill_width
    return dict(
        moe=moe, kfrac=kfrac,
        dense_bytes=dense_params * m.weight_bytes_per_param,
        expert_bytes=expert_params * m.weight_bytes_per_param,
        weight_flops=2 * m.active_params,
        attn_flops_dec=attn * (m.input_tokens + m.output_tokens / 2),
        attn_flops_pf=attn_pf * (m.input_tokens - uncached / 2),
        uncached=uncached,
        kv_dec=m.kv_bytes_per_token * (m.input_tokens + m.output_tokens / 2),
        kv_fit=m.kv_bytes_per_token * (m.input_tokens + m.output_tokens),
        n_ar=np.where(moe, 1.0, 2.0),
        a2a_k=np.where(moe, k, 0.0),
    )


def valid_replicas(chips_per_domain: np.ndarray, replica_chips: np.ndarray,
                   max_domains: np.ndarray | None = None) -> np.ndarray:
    """(S,R) mask: inside one domain, or up to ``max_domains`` whole domains, and at most
    MAX_REPLICA_CHIPS."""
    n, d = replica_chips[None, :], chips_per_domain[:, None]
    most = np.inf if max_domains is None else max_domains[:, None]
    return (n <= MAX_REPLICA_CHIPS) & ((n <= d) | ((np.mod(n, d) == 0) & (n <= d * most)))


def remote_domains(k: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Expected number of other domains among k uniformly placed experts over `domains` domains."""
    return (domains - 1) * (1.0 - np.power(1.0 - 1.0 / domains, k))


def coverage(kfrac: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Expected share of experts touched by `tokens` tokens: 1 - (1 - k/E)^tokens."""
    return 1.0 - np.power(1.0 - kfrac, tokens)


def _options(M: int, S: int, sequence_overhead_s, draft_tokens, accepted_tokens):
    """Validated option arrays: (S,) overhead >= 0, (M,) draft >= 0, 1 <= accepted <= 1 + draft."""
    def arr(x, n, default, name):
        out = np.full(n, default, dtype=np.float64) if x is None else np.array(x, dtype=np.float64)
        if out.shape != (n,) or not np.all(np.isfinite(out)):
            raise ValueError(f"{name}: expected {n} finite values, got {np.shape(x)}")
        return out

    seq = arr(sequence_overhead_s, S, 0.0, "sequence_overhead_s")
    d = arr(draft_tokens, M, 0.0, "draft_tokens")
    acc = arr(accepted_tokens, M, 1.0, "accepted_tokens")
    if np.any(seq < 0) or np.any(d < 0):
        raise ValueError("sequence_overhead_s and draft_tokens must be >= 0")
    if np.any(acc < 1) or np.any(acc > 1 + d):
        raise ValueError("accepted_tokens must be within [1, 1 + draft_tokens]")
    return seq, d, acc


def evaluate_grid(models: ModelArrays, systems: SystemArrays, quarters: Sequence[str],
                  usd_per_chip_hour, serving_efficiency,
                  replica_chips: Sequence[float] = DEFAULT_REPLICA_CHIPS,
                  batch: Sequence[float] = DEFAULT_BATCH, *,
                  sequence_overhead_s=None, draft_tokens=None, accepted_tokens=None,
                  prefill_attention_width=None) -> Grid:
    """Evaluate every (model, system, quarter, replica size, batch) configuration.

    ``usd_per_chip_hour`` is (S, Q), ``serving_efficiency`` (Q,). All work is array arithmetic;
    the one Python loop walks chunks of models (>= ``_CHUNK_CONFIGS`` configurations each) so
    5-D temporaries stay small and cache-resident.

    Options (module docs, "Explicit options"): ``sequence_overhead_s`` (S,) seconds per
    sequence per decode step (default: ``systems.sequence_overhead_s`` if the arrays carry
    that field, else 0); ``draft_tokens`` (M,) and ``accepted_tokens`` (M,)
    for MTP speculative decoding (default 0 and 1: plain decoding); ``prefill_attention_width``
    (M,) when prefill attention differs from decode (MLA; default: ``attention_width``).
    """
    quarters = tuple(str(q) for q in quarters)
    S, Q = len(systems), len(quarters)
    usd = np.array(usd_per_chip_hour, dtype=np.float64)
    se = np.array(serving_efficiency, dtype=np.float64)
    if usd.shape != (S, Q) or se.shape != (Q,):
        raise ValueError(f"usd_per_chip_hour must be (S, Q) = {(S, Q)} and serving_efficiency "
                         f"({Q},); got {usd.shape} and {se.shape}")
    for name, arr in (("usd_per_chip_hour", usd), ("serving_efficiency", se)):
        if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
            raise ValueError(f"{name}: every value must be positive and finite")
    N = np.array(replica_chips, dtype=np.float64)
    Bt = np.array(batch, dtype=np.float64)
    if N.ndim != 1 or Bt.ndim != 1 or np.any(N < 1) or np.any(Bt <= 0):
        raise ValueError("replica_chips must be >= 1 and batch > 0 (1-D sequences)")
    if prefill_attention_width is not None:
        prefill_attention_width = np.array(prefill_attention_width, dtype=np.float64)
        if prefill_attention_width.shape != (len(models),) or not np.all(prefill_attention_width > 0):
            raise ValueError(f"prefill_attention_width: expected {len(models)} positive values")
    mt = _model_terms(models, prefill_attention_width)
    sy = systems
    a = ACTIVATION_BYTES
    if sequence_overhead_s is None:  # a SystemArrays that carries the family value wins over 0
        sequence_overhead_s = getattr(systems, "sequence_overhead_s", None)
    seq_ovh, draft, accepted = _options(len(models), S, sequence_overhead_s, draft_tokens,
                                        accepted_tokens)
    verify = 1.0 + draft  # (M,) tokens through the model per sequence per step

    # ---- layout per (S, R)
    D = sy.chips_per_domain[:, None]
    valid = valid_replicas(sy.chips_per_domain, N, sy.max_replica_domains)
    t = np.minimum(np.minimum(N[None, :], D), TP_MAX)
    g = N[None, :] / t
    T = np.minimum(N[None, :], D)
    spans = N[None, :] > D
    P = N[None, :] / T  # domains spanned
    su, so = sy.scaleup_bytes_per_s[:, None], sy.scaleout_bytes_per_s[:, None]
    xf = np.where(spans, SCALEOUT_LATENCY_FACTOR, 1.0)

    # ---- model x layout (M, S, R)
    def ms(x):  # (M,) -> (M,1,1)
        return x[:, None, None]

    moe = ms(mt["moe"])
    L, h = ms(models.layers), ms(models.hidden_size)
    read_dense = ms(mt["dense_bytes"]) / t[None]
    store = ms(mt["dense_bytes"]) / np.where(moe, t[None], N[None, None, :]) \
        + ms(mt["expert_bytes"]) / N[None, None, :]
    comm_full = (ms(mt["n_ar"]) * L * h * a * 2 * (t[None] - 1) / su[None]
                 + 2 * L * h * a * (ms(mt["a2a_k"]) * (1 - 1 / N[None, None, :]) / su[None]
                                    + remote_domains(ms(mt["a2a_k"]), P[None]) / so[None])
                 + np.where(moe, 0.0, (g[None] - 1) * h * a / np.where(spans, so, su)[None]))
    n_lat = (ms(mt["n_ar"]) * L * (t[None] > 1)
             + xf[None] * (2 * L * (moe & (N[None, None, :] > 1)) + np.where(moe, 0.0, g[None] - 1)))

    # ---- quarter terms (S, Q)
    ce = np.minimum(sy.compute_eff[:, None] * se[None, :], 1.0)
    me = np.minimum(sy.memory_eff[:, None] * se[None, :], 1.0)
    cm = np.minimum(sy.comm_eff[:, None] * se[None, :], 1.0)
    ovh = sy.layer_overhead_s[:, None] / se[None, :]
    lat = sy.collective_latency_s[:, None] / se[None, :]
    inv_bw = 1.0 / (sy.hbm_bytes_per_s[:, None] * me)  # (S, Q)

    # ---- (M, S, Q) FLOP time per token
    pk_w = sy.peak_flops_per_s[:, models.flops_precision].T  # (M, S)
    pk_a = sy.peak_flops_per_s[:, np.minimum(models.flops_precision, 1)].T
    wt = mt["weight_flops"][:, None] / pk_w
    ft_dec = (wt + mt["attn_flops_dec"][:, None] / pk_a)[:, :, None] / ce[None]
    ft_ver = ft_dec * verify[:, None, None]  # FLOP time of one step's tokens per sequence
    ft_pf = (wt + mt["attn_flops_pf"][:, None] / pk_a)[:, :, None] / ce[None]

    # ---- (M, S, Q, R)
    comm_tok = comm_full[:, :, None, :] / cm[None, :, :, None]
    fixed = (ms(models.layers) * ovh[None])[..., None] + n_lat[:, :, None, :] * lat[None, :, :, None]
    fixed_dec = fixed + (draft[:, None, None] * ovh[None])[..., None]  # + d draft-head passes
    comm_ver = comm_tok * verify[:, None, None, None]
    # per-sequence overhead per step: each data-parallel group (MoE: N / t) pays for its own
    g_dp = np.where(moe, g[None], 1.0)  # (M, S, R)
    seq_step = (seq_ovh[:, None] / se[None, :])[None, :, :, None] / g_dp[:, :, None, :]
    X = mt["uncached"][:, None, None, None]
    input_cs = (X / models.input_tokens[:, None, None, None]) * np.maximum(ft_pf[..., None], comm_tok)
    cov_x = coverage(mt["kfrac"], mt["uncached"])
    ttft_read = (read_dense + ms(mt["expert_bytes"] * cov_x) / N[None, None, :])[:, :, None, :] \
        * inv_bw[None, :, :, None]
    ttft = np.maximum(np.maximum(X * ft_pf[..., None], X * comm_tok) / N, ttft_read) + fixed

    # ---- (M, S, R, B) memory fit and bytes read per step
    usable = (1 - HBM_RESERVE_FRACTION) * sy.hbm_bytes
    b_over_n = Bt[None, :] / N[:, None]  # (R, B)
    kv_fit = mt["kv_fit"][:, None, None, None] * b_over_n[None, None]
    fits = valid[None, :, :, None] & (store[..., None] + kv_fit <= usable[None, :, None, None])
    cov_b = coverage(mt["kfrac"][:, None], Bt[None, :] * verify[:, None])  # (M, B)
    mem_bytes = (read_dense[..., None]
                 + (mt["expert_bytes"][:, None] * cov_b)[:, None, None, :] / N[None, None, :, None]
                 + mt["kv_dec"][:, None, None, None] * b_over_n[None, None])

    # ---- (M, S, Q, R, B) decode step, chunked over models to bound temporaries
    M, R, B = len(models), len(N), len(Bt)
    step = np.empty((M, S, Q, R, B))
    per_model = max(S * Q * R * B, 1)
    chunk = max(1, _CHUNK_CONFIGS // per_model)
    inv_bw5 = inv_bw[None, :, :, None, None]
    bn5 = b_over_n[None, None, None]
    for lo in range(0, M, chunk):
        hi = min(M, lo + chunk)
        out = step[lo:hi]
        np.multiply(mem_bytes[lo:hi, :, None], inv_bw5, out=out)
        np.maximum(out, ft_ver[lo:hi, :, :, None, None] * bn5, out=out)
        out += comm_ver[lo:hi, ..., None] * bn5
        out += fixed_dec[lo:hi, ..., None]
        if seq_ovh.any():
            out += seq_step[lo:hi, ..., None] * Bt
        if np.any(accepted[lo:hi] != 1.0):
            out /= accepted[lo:hi, None, None, None, None]

    return Grid(models=models, systems=systems, quarters=quarters, replica_chips=N, batch=Bt,
                usd_per_chip_hour=usd, serving_efficiency=se, valid_replica=valid, fits=fits,
                weight_bytes_per_chip=store, step_s=step, input_chip_s_per_token=input_cs,
                ttft_s=ttft)
