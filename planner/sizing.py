"""Inverse sizing: given a price, a margin and a system, which model sizes can be served?

``size(systems, query, ...)`` evaluates a grid of synthetic models with the cost core
(:func:`planner.costcore.physics.evaluate_grid`, vectorised over every model, replica size and
batch) and reports, per system, total-parameter count and expert routing ("sparsity"), the
largest active-parameter count whose cost allows the price.

Price to allowed cost: ``allowed $/M = price x (1 - margin) / allowance`` for input and output
tokens alike; the allowance (>= 1) keeps room for what the cost core does not see (idle
capacity, peak hours, serving trade-offs). Without an output price, output is priced at
``OUTPUT_PRICE_RATIO`` x the input price (the rate cards of market.md: $25/$125, $10/$50,
$5/$25, $3/$15, $1/$5).

The answer is built as a cascade; each step adds a constraint, so each bound is <= the last:

1. ``prefill``: some replica size processes input at <= the allowed $/M input (decode, memory
   and speed ignored: "if prefill were the whole cost");
2. ``memory``: such a replica also holds the weights and the KV cache of at least one
   sequence in HBM (a replica of at most ``MAX_REPLICA_CHIPS`` chips);
3. ``decode``: one configuration (replica, batch) that fits also generates output at <= the
   allowed $/M output: decode is memory-bound, and the batches that fit decide its cost;
4. ``speed``: it also meets the per-user tokens/s and time-to-first-token targets (the answer).

A bound is the largest grid active count that passes; ``binds`` names the step with the
largest cut (``none`` when even the answer is the top of the row's range). Since each bound is a
maximum over a set of grid points and a higher price (or a faster system, which never costs
more per configuration) only enlarges that set, the answer is monotone in both.

Synthetic models (``architecture``): active counts on a log grid of ``steps_per_decade`` per
decade; dense rows have active = total; a top-k of E MoE row spans k/E x total <= active <
total. Width and depth follow a dense transformer's ~12 x layers x hidden^2 parameters with
hidden / layers = ``ASPECT`` (70B -> hidden ~9k, 71 layers; 500B -> ~17k, 137 layers, close to
the catalog's frontier stand-ins); attention is MLA-style as in the catalog (query-key width
4.5 x hidden, a 576-element latent KV cache per layer at 1 byte, 2 bytes for 16-bit weights).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from planner import schema
from planner.costcore import physics
from planner.costcore.arrays import ModelArrays, SystemArrays, system_arrays
from planner.costcore.efficiency import EfficiencyTable
from planner.errors import InputError, Problem

DEFAULT_TOTALS_B = (100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)
DEFAULT_EXPERTS = ("dense", "8/64", "8/256", "8/1024")
STEPS_PER_DECADE = 48
MIN_ACTIVE = 1e8
OUTPUT_PRICE_RATIO = 5.0
ASPECT = 128.0  # hidden size / layers of the synthetic architecture
MLA_ATTENTION_PER_HIDDEN = 4.5  # q_heads x (512 + 64) with q_heads x 128 = hidden
MLA_KV_ELEMENTS = 576  # latent + rope elements cached per layer and token
STEPS = ("prefill", "memory", "decode", "speed")
_PRECISION = {16: 0, 8: 1, 4: 2}
_TOL = 1 + 1e-12


@dataclass(frozen=True)
class SizeQuery:
    """Price, margin and the workload and speed target the sizes must meet."""

    price_input: float  # $ per M input tokens
    margin: float
    price_output: Optional[float] = None  # $ per M output tokens; default 5 x input
    allowance: float = 1.0
    input_tokens: float = 2000.0
    output_tokens: float = 500.0
    cache_hit: float = 0.0
    min_output_tokens_per_s: float = 30.0
    max_ttft_s: float = 10.0
    weight_bits: int = 8
    totals_b: tuple[float, ...] = DEFAULT_TOTALS_B
    experts: tuple[str, ...] = DEFAULT_EXPERTS
    steps_per_decade: int = STEPS_PER_DECADE

    @property
    def output_price(self) -> float:
        return (self.price_output if self.price_output is not None
                else OUTPUT_PRICE_RATIO * self.price_input)

    @property
    def allowed_usd_per_m_input(self) -> float:
        return self.price_input * (1 - self.margin) / self.allowance

    @property
    def allowed_usd_per_m_output(self) -> float:
        return self.output_price * (1 - self.margin) / self.allowance


def check_query(q: SizeQuery) -> None:
    """Raise InputError listing every out-of-range field of ``q``."""
    problems = []

    def bad(option: str, message: str) -> None:
        problems.append(Problem(option, None, "", message))

    if not (math.isfinite(q.price_input) and q.price_input > 0):
        bad("--price-input", f"must be a positive number, got {q.price_input:g}")
    if q.price_output is not None and not (math.isfinite(q.price_output) and q.price_output > 0):
        bad("--price-output", f"must be a positive number, got {q.price_output:g}")
    if not 0 <= q.margin < 1:
        bad("--margin", f"must be in [0, 1), got {q.margin:g}")
    if not (math.isfinite(q.allowance) and q.allowance >= 1):
        bad("--allowance", f"must be >= 1 (1 = no allowance), got {q.allowance:g}")
    for name, value in (("--input-tokens", q.input_tokens), ("--output-tokens", q.output_tokens),
                        ("--min-tokens-per-s", q.min_output_tokens_per_s),
                        ("--max-ttft", q.max_ttft_s)):
        if not (math.isfinite(value) and value > 0):
            bad(name, f"must be a positive number, got {value:g}")
    if not 0 <= q.cache_hit <= 1:
        bad("--cache-hit", f"must be in [0, 1], got {q.cache_hit:g}")
    if q.weight_bits not in _PRECISION:
        bad("--weight-bits", f"must be 4, 8 or 16, got {q.weight_bits}")
    if not q.totals_b or any(not (math.isfinite(t) and t > 0) for t in q.totals_b):
        bad("--total-b", "every total must be a positive number of billions")
    for text in q.experts:
        try:
            parse_experts(text)
        except ValueError as exc:
            bad("--experts", str(exc))
    if not q.experts:
        bad("--experts", "give at least one routing, e.g. dense or 8/256")
    if not 1 <= q.steps_per_decade <= 200:
        bad("--steps-per-decade", f"must be in 1..200, got {q.steps_per_decade}")
    if problems:
        raise InputError(problems)


def parse_experts(text: str) -> tuple[int, int]:
    """``dense`` -> (1, 1); ``K/E`` -> (K, E) top-K of E routed experts, 1 <= K < E."""
    if text.strip().lower() == "dense":
        return 1, 1
    try:
        k, e = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"'{text}' is not dense or K/E (e.g. 8/256)") from None
    if not 1 <= k < e:
        raise ValueError(f"'{text}': need 1 <= K < E active of total experts")
    return k, e


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
                    query: SizeQuery) -> schema.Model:
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
    return schema.Model.model_validate(data)


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
        from planner.tables import to_records

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


def size(systems: Mapping[str, schema.System], query: SizeQuery, usd_per_chip_hour: Sequence[float],
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
    cost_in = grid.input_chip_s_per_token[:, :, 0, :] * per_m          # (M, S, R)
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
    chosen["ttft_s"][g_i, s_i] = grid.ttft_s[m_i, s_i, 0, r_i]
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


def params_label(count: float) -> str:
    """1.2e13 -> '12T', 9.5e11 -> '950B', NaN -> '-'."""
    if count is None or not np.isfinite(count):
        return "-"
    if count >= 1e12:
        return f"{count / 1e12:.3g}T"
    return f"{count / 1e9:.3g}B"


def size_view(table: pd.DataFrame) -> pd.DataFrame:
    """Terminal view of one system's rows: parameter counts as labels, bounds in cascade order."""
    labels = {"prefill_bound_active_params": "prefill", "memory_bound_active_params": "+memory",
              "decode_bound_active_params": "+decode", "max_active_params": "+speed=answer"}
    out = pd.DataFrame({"total": table["total_params"].map(params_label),
                        "experts": table["experts"],
                        "min_active": table["min_active_params"].map(params_label)})
    for column, label in labels.items():
        out[label] = table[column].map(params_label)
    out["binds"] = table["binds"]
    out["replica_chips"] = table["replica_chips"]
    out["batch"] = table["batch"]
    out["tok_s_user"] = table["output_tokens_per_s_per_user"]
    out["usd_per_m_in"] = table["usd_per_m_input"]
    out["usd_per_m_out"] = table["usd_per_m_output"]
    return out


def render(answer: SizeAnswer) -> str:
    """The text report of `planner size`."""
    from planner.tables import format_table

    q = answer.query
    given = "" if q.price_output is not None else (
        f" ({OUTPUT_PRICE_RATIO:g} x input, the usual rate-card ratio; set --price-output)")
    lines = [
        f"Price ${q.price_input:g}/M input, ${q.output_price:g}/M output{given}; margin "
        f"{q.margin:.0%}, allowance {q.allowance:g}x -> cost allowed "
        f"${q.allowed_usd_per_m_input:.4g}/M input, ${q.allowed_usd_per_m_output:.4g}/M output.",
        f"Workload {q.input_tokens:,.0f} in / {q.output_tokens:,.0f} out tokens per request "
        f"(cache hits {q.cache_hit:.0%}); speed >= {q.min_output_tokens_per_s:g} tokens/s per "
        f"user, TTFT <= {q.max_ttft_s:g} s; {q.weight_bits}-bit weights.",
        "Largest active parameters per total and routing, adding one constraint at a time: "
        "prefill (input cost only), +memory (a replica that holds the model), +decode (output "
        "cost at a batch that fits), +speed (both speed targets: the answer). binds = the "
        f"step that cuts most; active counts on a grid of {q.steps_per_decade} per decade.",
    ]
    for row in answer.systems.itertuples(index=False):
        rows = answer.table[answer.table["system"] == row.system]
        title = (f"{row.system}, {row.quarter}: ${row.usd_per_chip_hour:.2f}/chip-hour; "
                 f"prefill-only bound {params_label(row.prefill_only_active_params)} active "
                 f"(2 x active FLOP per input token, attention ignored)")
        lines += ["", format_table(size_view(rows), title)]
    return "\n".join(lines)


def feasible_figure(answer: SizeAnswer):
    """Feasible region (total vs active parameters), one panel per system, log axes.

    Per routing, the band from the smallest active count (k/E x total) up to the answer is
    shaded; the dashed line is the prefill-only bound; the grey diagonal is active = total.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from planner.plots import colours, text

    systems = list(answer.systems["system"])
    cols = min(3, len(systems))
    rows_n = -(-len(systems) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.6 * rows_n + 0.6),
                             squeeze=False, layout="constrained")
    table = answer.table
    colour = colours(list(answer.query.experts))
    lo, hi = table["total_params"].min(), table["total_params"].max()
    for ax in list(axes.flat)[len(systems):]:
        ax.set_visible(False)
    prefill_bounds = answer.systems["prefill_only_active_params"]
    for ax, system, prefill in zip(axes.flat, systems, prefill_bounds):
        rows = table[table["system"] == system]
        ax.plot([lo, hi], [lo, hi], color="0.6", linewidth=1, label="active = total")
        ax.axhline(prefill, color="0.3", linestyle="--", linewidth=1, label="prefill-only bound")
        for experts, part in rows.groupby("experts", sort=False):
            ok = part["max_active_params"].notna()
            ax.plot(part["total_params"][ok], part["max_active_params"][ok], marker="o",
                    markersize=3, color=colour[experts], label=text(experts))
            ax.fill_between(part["total_params"], part["min_active_params"],
                            part["max_active_params"].where(ok, part["min_active_params"]),
                            where=ok.to_numpy(), color=colour[experts], alpha=0.15, linewidth=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("total parameters")
        ax.set_ylabel("largest active parameters")
        ax.set_title(text(f"{system}, {answer.quarter}"), fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    q = answer.query
    fig.suptitle(text(f"Servable model sizes at ${q.price_input:g}/M input, ${q.output_price:g}/M "
                      f"output, margin {q.margin:.0%}, allowance {q.allowance:g}x"), fontsize=10)
    return fig


def plot_feasible(answer: SizeAnswer, path: str) -> None:
    """Write :func:`feasible_figure` to ``path`` (PNG, SVG or PDF by extension), atomically."""
    from planner.plots import save

    save(feasible_figure(answer), path)


def size_in_scenario(scenario: schema.Scenario, system_names: Sequence[str], query: SizeQuery,
                     quarter=None) -> SizeAnswer:
    """:func:`size` with the scenario's systems, cost per chip-hour and serving efficiency.

    ``quarter`` (a Quarter) defaults to the later of the horizon start and the systems'
    ``available_from``; it sets the serving efficiency.
    """
    from planner.timeline import serving_efficiency, system_usd_per_chip_hour

    systems = {name: scenario.systems[name] for name in system_names}
    if quarter is None:
        quarter = max([scenario.horizon.start, *(s.available_from for s in systems.values())])
    usd = [system_usd_per_chip_hour(s) for s in systems.values()]
    se = float(serving_efficiency(scenario, [quarter])[0])
    return size(systems, query, usd, str(quarter), se)
