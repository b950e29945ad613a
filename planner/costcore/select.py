"""Pick configurations from an evaluated :class:`~planner.costcore.physics.Grid`.

``cheapest(grid)`` gives one row per (model, system, quarter): the configuration meeting both
speed targets (per-user output tokens/s and TTFT) with the lowest cost per output token
including the prefill of its input (= the most output per chip-hour, ``m_output_per_chip_hour``).

Infeasible rows (``feasible`` False) say why in ``reason``:
* ``does not fit in the HBM of up to N chips (...)``: no replica size holds the weights and the
  KV cache of even one sequence. Nothing can be reported: ``replica_chips``, ``batch``,
  the per-chip throughputs and ``m_output_per_chip_hour`` are 0 (zero capacity); per-user speed,
  TTFT and the $ columns are NaN (no meaning). These rows are the only place NaN appears.
* ``cannot reach X tok/s per user (best Y)``: the row describes the fastest configuration.
* ``TTFT X s over Y s target``: the prefill regime's quickest replica misses the TTFT
  target; the row describes the cheapest decode configuration fast enough.
In the last two cases every column is finite and describes a real, if too slow, configuration.

The layout columns: ``attention_tp`` (TP of the attention groups), ``expert_parallel`` (chips
the routed experts spread over: the replica for MoE models, 1 for dense), ``pipeline_stages``
(N / t for dense models, 1 for MoE), and the prefill regime's own replica
(``prefill_replica_chips``, ``prefill_attention_tp``); input cost and TTFT are the prefill
regime's.

``pareto(grid, model, system, quarter)`` gives the cost-versus-speed frontier of one triple.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planner.costcore.physics import HBM_RESERVE_FRACTION, Grid
from planner.costcore.search import best_per_row

UNITS = {
    "replica_chips": "chips", "batch": "sequences",
    "attention_tp": "chips", "expert_parallel": "chips", "pipeline_stages": "stages",
    "prefill_replica_chips": "chips", "prefill_attention_tp": "chips",
    "output_tokens_per_s_per_user": "tokens/s", "output_tokens_per_s_per_chip": "tokens/s",
    "input_tokens_per_s_per_chip": "tokens/s", "ttft_s": "s",
    "usd_per_m_input": "$/1e6 input tokens", "usd_per_m_output": "$/1e6 output tokens",
    "usd_per_m_blended": "$/1e6 tokens (workload mix)",
    "usd_per_m_output_incl_input": "$/1e6 output tokens incl. their input",
    "m_output_per_chip_hour": "1e6 output tokens/chip-hour", "usd_per_chip_hour": "$/chip-hour",
}
COLUMNS = ["model", "system", "quarter", "feasible", "reason", *UNITS]
_INT_COLUMNS = ("replica_chips", "attention_tp", "expert_parallel", "pipeline_stages",
                "prefill_replica_chips", "prefill_attention_tp")
_NAN_WHEN_NO_FIT = ("output_tokens_per_s_per_user", "ttft_s", "usd_per_m_input",
                    "usd_per_m_output", "usd_per_m_blended", "usd_per_m_output_incl_input")


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _metrics(grid: Grid, m, s, q, r, b, step=None) -> dict[str, np.ndarray]:
    """Metric columns for configurations given by index arrays of equal shape (``step``:
    their step times when the caller has them)."""
    mo, lay = grid.models, grid.layouts
    n, bt = grid.replica_chips[r], grid.batch[b]
    step = grid.step_at(m, s, q, r, b) if step is None else step
    moe = (mo.experts_total > 1) & (mo.experts_active < mo.experts_total)  # (M,)
    pr = grid.prefill_option[m, s, q]
    input_cs = grid.input_chip_s_per_token[m, s, q, pr]
    usd = grid.usd_per_chip_hour[s, q]
    inp, out = mo.input_tokens[m], mo.output_tokens[m]
    out_cs = n * step / bt
    total_cs = out_cs + inp / out * input_cs
    usd_in = usd * input_cs / 3600 * 1e6
    usd_out = usd * out_cs / 3600 * 1e6
    return {
        "replica_chips": n, "batch": bt,
        "attention_tp": lay.attention_tp[r],
        "expert_parallel": lay.expert_parallel(moe)[m, r],
        "pipeline_stages": lay.pipeline_stages(moe)[m, r],
        "prefill_replica_chips": lay.replica_chips[pr],
        "prefill_attention_tp": lay.attention_tp[pr],
        "output_tokens_per_s_per_user": 1.0 / step,
        "output_tokens_per_s_per_chip": bt / (n * step),
        "input_tokens_per_s_per_chip": 1.0 / input_cs,
        "ttft_s": grid.ttft_s[m, s, q, pr],
        "usd_per_m_input": usd_in, "usd_per_m_output": usd_out,
        "usd_per_m_blended": (inp * usd_in + out * usd_out) / (inp + out),
        "usd_per_m_output_incl_input": usd * total_cs / 3600 * 1e6,
        "m_output_per_chip_hour": 3600 / total_cs / 1e6,
        "usd_per_chip_hour": usd,
    }


def _argmin_rows(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.argmin(np.where(mask, values, np.inf), axis=-1)


def best_configurations(grid: Grid, wanted: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(best flat (R*B) index, feasible) per (model, system, quarter) row: the configuration
    meeting the targets with the least :meth:`Grid.total_chip_s_per_output`, found by the
    batch search of :mod:`planner.costcore.search` on the grid's step times. ``wanted``
    (S, Q) bool: only these (system, quarter) rows are searched (the others: not feasible)."""
    mo = grid.models
    ratio = mo.input_tokens / mo.output_tokens
    ttft_ok = grid.prefill_ttft_s() <= mo.max_ttft_s[:, None, None]
    return best_per_row(grid.terms.cells, grid.fits,
                        ratio[:, None, None] * grid.prefill_chip_s_per_token(),
                        ttft_ok if wanted is None else ttft_ok & wanted[None],
                        1.0 / mo.min_output_tokens_per_s, grid.replica_chips, grid.batch)


def cheapest(grid: Grid) -> pd.DataFrame:
    """One row per (model, system, quarter): the cheapest configuration meeting the targets."""
    M, S, Q, R, B = grid.shape
    rows = M * S * Q
    best, feasible = best_configurations(grid)
    m_i, s_i, q_i = np.unravel_index(np.arange(rows), (M, S, Q))
    fits = grid.fits[m_i, s_i].reshape(rows, R * B)
    any_fit = fits.any(axis=1)
    bad = np.flatnonzero(~feasible & any_fit)

    # best-effort configurations for the rows that miss a target
    reason = np.full(rows, "", dtype=object)
    if bad.size:
        cell_m, cell_s, cell_q = (np.repeat(x[bad], R) for x in (m_i, s_i, q_i))
        step = grid.terms.cells(cell_m, cell_s, cell_q, np.tile(np.arange(R), bad.size)).step(
            np.arange(B)[None, :]).reshape(bad.size, R * B)
        fits_bad = fits[bad]
        ratio = (grid.models.input_tokens / grid.models.output_tokens)[m_i[bad]]
        total_bad = (step.reshape(bad.size, R, B) * (grid.replica_chips[:, None] / grid.batch)
                     ).reshape(bad.size, R * B)
        prefill_bad = grid.prefill_chip_s_per_token()[m_i[bad], s_i[bad], q_i[bad]]
        total_bad += (ratio * prefill_bad)[:, None]
        max_step = 1.0 / grid.models.min_output_tokens_per_s[m_i[bad]]
        fast = fits_bad & (step <= max_step[:, None])
        min_ttft = grid.prefill_ttft_s()[m_i[bad], s_i[bad], q_i[bad]]
        speed_miss = ~fast.any(axis=1)
        fastest = _argmin_rows(step, fits_bad)
        best[bad] = np.where(speed_miss, fastest, _argmin_rows(total_bad, fast))
        top_speed = 1.0 / step[np.arange(bad.size), fastest]
        target_speed = grid.models.min_output_tokens_per_s[m_i[bad]]
        target_ttft = grid.models.max_ttft_s[m_i[bad]]
        for j, row in enumerate(bad):
            if speed_miss[j]:
                reason[row] = (f"cannot reach {_fmt(target_speed[j])} tok/s per user "
                               f"(best {_fmt(top_speed[j])})")
            else:
                reason[row] = f"TTFT {_fmt(min_ttft[j])} s over {_fmt(target_ttft[j])} s target"
    r_i, b_i = np.unravel_index(best, (R, B))
    cols = _metrics(grid, m_i, s_i, q_i, r_i, b_i)

    no_fit = np.flatnonzero(~any_fit)
    if no_fit.size:
        for key in ("replica_chips", "batch", "attention_tp", "expert_parallel",
                    "pipeline_stages", "prefill_replica_chips", "prefill_attention_tp",
                    "output_tokens_per_s_per_chip",
                    "input_tokens_per_s_per_chip", "m_output_per_chip_hour"):
            cols[key][no_fit] = 0.0
        for key in _NAN_WHEN_NO_FIT:
            cols[key][no_fit] = np.nan
        mo, mi, si = grid.models, m_i[no_fit], s_i[no_fit]
        n_max = np.max(np.where(grid.valid_replica, grid.replica_chips, 0.0), axis=1)[si]
        weights_tb = mo.total_params[mi] * mo.weight_bytes_per_param[mi] / 1e12
        kv_gb = mo.kv_bytes_per_token[mi] * (mo.input_tokens[mi] + mo.output_tokens[mi]) / 1e9
        usable_tb = n_max * grid.systems.hbm_bytes[si] * (1 - HBM_RESERVE_FRACTION) / 1e12
        for j, row in enumerate(no_fit):
            reason[row] = (f"does not fit in the HBM of up to {n_max[j]:.0f} chips (weights "
                           f"{_fmt(weights_tb[j])} TB + KV {_fmt(kv_gb[j])} GB per sequence; "
                           f"{_fmt(usable_tb[j])} TB usable)")

    df = pd.DataFrame({
        "model": np.array(grid.models.names, dtype=object)[m_i],
        "system": np.array(grid.systems.names, dtype=object)[s_i],
        "quarter": np.array(grid.quarters, dtype=object)[q_i],
        "feasible": feasible,
        "reason": reason,
        **cols,
    })
    for key in _INT_COLUMNS:
        df[key] = df[key].astype(np.int64)
    if np.all(grid.batch == np.round(grid.batch)):
        df["batch"] = df["batch"].astype(np.int64)
    df.attrs["units"] = dict(UNITS)
    return df[COLUMNS]


def pareto_columns(grid: Grid, model: str, system: str, quarter: str,
                   cost: str = "usd_per_m_output") -> dict[str, np.ndarray]:
    """The columns of :func:`pareto` as arrays (empty when nothing fits): what a caller
    stacking many frontiers needs, without a DataFrame per triple."""
    m = grid.models.names.index(model)
    s = grid.systems.names.index(system)
    q = grid.quarters.index(str(quarter))
    r, b = np.nonzero(grid.fits[m, s])
    if r.size == 0:
        return {}
    zero = np.zeros(grid.shape[3], dtype=np.intp)  # every layout of the triple, then the
    step = grid.terms.cells(zero + m, zero + s, zero + q, np.arange(zero.size)).step(  # fits
        np.arange(len(grid.batch))[None, :])[r, b]
    full = np.full(r.shape, 0)
    cols = _metrics(grid, full + m, full + s, full + q, r, b, step)
    cols["meets_slo"] = ((step <= 1.0 / grid.models.min_output_tokens_per_s[m])
                         & (cols["ttft_s"] <= grid.models.max_ttft_s[m]))
    if cost not in cols:
        raise ValueError(f"unknown cost column '{cost}'")
    speed, price = cols["output_tokens_per_s_per_user"], cols[cost]
    order = np.lexsort((price, -speed))  # fastest first, cheapest first among equals
    running = np.minimum.accumulate(price[order])
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = price[order][1:] < running[:-1]
    chosen = order[keep][::-1]
    return {k: (np.asarray(v)[chosen].astype(np.int64) if k in _INT_COLUMNS
                else np.asarray(v)[chosen]) for k, v in cols.items()}


def pareto(grid: Grid, model: str, system: str, quarter: str,
           cost: str = "usd_per_m_output") -> pd.DataFrame:
    """Non-dominated configurations of one triple: per-user speed up, ``cost`` down.

    Only configurations that fit are considered; ``meets_slo`` marks those meeting both targets.
    Rows are sorted by increasing speed (and so increasing cost). With
    ``cost="usd_per_m_output_incl_input"`` the frontier contains the configuration
    :func:`cheapest` picks.
    """
    cols = pareto_columns(grid, model, system, quarter, cost)
    if not cols:
        return pd.DataFrame(columns=[*UNITS, "meets_slo"])
    df = pd.DataFrame(cols)
    df.attrs["units"] = dict(UNITS)
    return df


def grid_edges(table: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """Feasible rows of :func:`cheapest` whose configuration sits at an edge of the grid rather
    than at a declared limit: the largest batch of the grid, or the largest replica size of the
    grid while the system's ``max_replica_domains`` would allow more chips. Column ``edge``
    says which ("batch", "replica")."""
    n_top = float(np.max(grid.replica_chips))
    allowed = grid.systems.chips_per_domain * grid.systems.max_replica_domains
    more = pd.Series(allowed > n_top, index=list(grid.systems.names))
    at_batch = table["feasible"] & (table["batch"] == np.max(grid.batch))
    at_replica = (table["feasible"] & (table["replica_chips"] == n_top)
                  & table["system"].map(more).astype(bool))
    edge = np.where(at_batch, "batch", np.where(at_replica, "replica", ""))
    return table.assign(edge=edge)[edge != ""]
