"""Summaries of a sweep: P10/P50/P90 per model-quarter, `when` quantiles, and a tornado.

Quantiles are over the samples that ran (failed ones are listed apart). Per model-quarter
they use numpy's default (linear) method, ignoring NaN (a margin without list revenue, a cost
without any system). The `when` quarter is discrete: its quantiles are observed quarters
(``inverted_cdf``), and a model that never qualifies within the horizon counts as the quarter
after the horizon end, shown as "never".

Tornado (no extra solves): for each varied input, the samples whose value is at or below the
input's 10th percentile form the low group and those at or above its 90th percentile the high
group; the bar runs from the mean output of the low group to that of the high group. With a
grid (or a discrete input) the groups are the samples at the input's lowest and highest values.
A group of fewer than MIN_TORNADO_SAMPLES ok samples gives no direction: the row's means and
swing are NaN and its ``note`` says how many samples each group had.
Outputs: each model's `when` quarter (position in the horizon; never = one past the end), each
model's gross margin over the horizon, and the fleet's (``all``).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.sweep.execute import Chunk
from planner.sweep.spec import SweepSpec

QUANTILES = (0.1, 0.5, 0.9)
MIN_TORNADO_SAMPLES = 10  # per tornado group (low and high), for a mean worth a direction


@dataclass
class SweepResult:
    spec: SweepSpec
    models: tuple[str, ...]
    quarters: tuple[str, ...]
    values: np.ndarray  # (N, inputs)
    ok: np.ndarray  # (N,)
    served_fraction: np.ndarray  # (N, M, Q)
    cost: np.ndarray
    margin: np.ndarray
    when: np.ndarray  # (N, M): position in the horizon, -1 never
    served_share: np.ndarray  # (N, M)
    horizon_margin: np.ndarray  # (N, M)
    fleet_margin: np.ndarray  # (N,)
    errors: dict[int, str]
    timings: dict[str, float]
    counts: dict[str, int]
    info: dict

    @property
    def n(self) -> int:
        return len(self.ok)

    @property
    def when_rank(self) -> np.ndarray:
        """`when` as a number for statistics: never (-1) -> one past the horizon end."""
        return np.where(self.when < 0, len(self.quarters), self.when)


def combine(spec: SweepSpec, models, quarters, chunks: list[Chunk], info: dict) -> SweepResult:
    cat = lambda name: np.concatenate([getattr(c, name) for c in chunks])  # noqa: E731
    errors, timings, counts = {}, {}, {}
    for c in chunks:
        errors.update(c.errors)
        for k, v in c.timings.items():
            timings[k] = timings.get(k, 0.0) + v
        for k, v in c.counts.items():
            counts[k] = counts.get(k, 0) + v
    return SweepResult(spec, tuple(models), tuple(quarters), cat("values"), cat("ok"),
                       cat("served_fraction"), cat("cost"), cat("margin"), cat("when"),
                       cat("served_share"), cat("horizon_margin"), cat("fleet_margin"),
                       dict(sorted(errors.items())), timings, counts, info)


def _nanquantile(x: np.ndarray, axis: int = 0, method: str = "linear") -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
        return np.nanquantile(x, QUANTILES, axis=axis, method=method)


def quantile_table(res: SweepResult) -> pd.DataFrame:
    """One row per (model, quarter): P10/P50/P90 of served share, cost and gross margin."""
    M, Q = len(res.models), len(res.quarters)
    ok = res.ok
    out = pd.DataFrame({"model": np.repeat(res.models, Q), "quarter": np.tile(res.quarters, M)})
    for name, arr in (("served_fraction", res.served_fraction),
                      ("cost_usd_per_m_output_all_in", res.cost), ("gross_margin", res.margin)):
        if ok.any():
            q = _nanquantile(arr[ok].reshape(int(ok.sum()), M * Q))
        else:
            q = np.full((3, M * Q), np.nan)
        for k, p in enumerate(("p10", "p50", "p90")):
            out[f"{name}_{p}"] = q[k]
    return out


def when_table(res: SweepResult) -> pd.DataFrame:
    """Per model: P10/P50/P90 of the `when` quarter and the share of samples with none."""
    rows = []
    ok = res.ok
    ranks = res.when_rank[ok]
    for k, model in enumerate(res.models):
        if ranks.size:
            q = np.quantile(ranks[:, k], QUANTILES, method="inverted_cdf").astype(int)
            never = float(np.mean(res.when[ok][:, k] < 0))
        else:
            q, never = [len(res.quarters)] * 3, np.nan
        rows.append({"model": model, **{f"when_{p}": _label(int(v), res.quarters)
                                        for p, v in zip(("p10", "p50", "p90"), q)},
                     "share_never": never})
    return pd.DataFrame(rows)


def _label(rank: int, quarters) -> str:
    return quarters[rank] if rank < len(quarters) else "never"


def metrics(res: SweepResult) -> dict[str, np.ndarray]:
    """Per-sample scalar outputs the tornado ranks inputs by (ok samples only)."""
    ok = res.ok
    out = {f"when:{m}": res.when_rank[ok][:, k].astype(float) for k, m in enumerate(res.models)}
    out.update({f"margin:{m}": res.horizon_margin[ok][:, k] for k, m in enumerate(res.models)})
    out["margin:all"] = res.fleet_margin[ok]
    return out


def tornado_table(res: SweepResult) -> pd.DataFrame:
    """Per (input, output): the low and high groups' input values and mean outputs, and swing
    (NaN, with a note, when a group has fewer than MIN_TORNADO_SAMPLES samples)."""
    cols = ["input", "output", "low_value", "high_value", "low_mean", "high_mean", "swing",
            "n_low", "n_high", "note"]
    ok = res.ok
    if not ok.any() or not res.spec.inputs:
        return pd.DataFrame(columns=cols)
    values = res.values[ok]
    outs = metrics(res)
    rows = []
    for j, inp in enumerate(res.spec.inputs):
        v = values[:, j]
        lo_cut, hi_cut = np.quantile(v, [0.1, 0.9], method="inverted_cdf")  # observed values
        low, high = v <= lo_cut, v >= hi_cut
        n_low, n_high = int(low.sum()), int(high.sum())
        few = min(n_low, n_high) < MIN_TORNADO_SAMPLES
        note = f"too few samples (n_low={n_low}, n_high={n_high})" if few else ""
        for name, y in outs.items():
            lo_mean, hi_mean = (np.nan, np.nan) if few else (_mean(y[low]), _mean(y[high]))
            rows.append({"input": inp.name, "output": name, "low_value": float(lo_cut),
                         "high_value": float(hi_cut), "low_mean": lo_mean, "high_mean": hi_mean,
                         "swing": hi_mean - lo_mean, "n_low": n_low, "n_high": n_high,
                         "note": note})
    return pd.DataFrame(rows, columns=cols)


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def focus_model(res: SweepResult, tornado: pd.DataFrame) -> str | None:
    """The model whose `when` quarter the inputs move most (the tornado chart shows it)."""
    if tornado.empty:
        return res.models[0] if res.models else None
    when = tornado[tornado["output"].str.startswith("when:")].copy()
    when["size"] = when["swing"].abs().fillna(0.0)
    best = when.groupby("output", sort=False)["size"].max()
    if best.max() <= 0:
        spread = {m: float(np.ptp(res.when_rank[res.ok][:, k])) if res.ok.any() else 0.0
                  for k, m in enumerate(res.models)}
        return max(spread, key=spread.get) if spread else None
    return best.idxmax().split(":", 1)[1]


def sample_table(res: SweepResult) -> pd.DataFrame:
    """One row per sample: status, input values and per-model key outputs over the horizon."""
    df = pd.DataFrame({"sample": np.arange(res.n), "status": np.where(res.ok, "ok", "failed")})
    for j, inp in enumerate(res.spec.inputs):
        df[inp.name] = res.values[:, j]
    for k, m in enumerate(res.models):
        df[f"when:{m}"] = [(_label(int(r), res.quarters) if ok else "")
                           for r, ok in zip(res.when_rank[:, k], res.ok)]
        df[f"served_share:{m}"] = res.served_share[:, k]
        df[f"margin:{m}"] = res.horizon_margin[:, k]
    df["margin:all"] = res.fleet_margin
    df["error"] = [res.errors.get(i, "") for i in range(res.n)]
    return df


def failure_table(res: SweepResult) -> pd.DataFrame:
    rows = []
    for i, message in res.errors.items():
        row = {"sample": i}
        row.update({inp.name: float(res.values[i, j]) for j, inp in enumerate(res.spec.inputs)})
        row["error"] = message
        rows.append(row)
    return pd.DataFrame(rows, columns=["sample", *[i.name for i in res.spec.inputs], "error"])


def detail_table(res: SweepResult) -> pd.DataFrame:
    """Long table: one row per (ok sample, model, quarter) with the three key outputs."""
    idx = np.flatnonzero(res.ok)
    M, Q = len(res.models), len(res.quarters)
    return pd.DataFrame({
        "sample": np.repeat(idx, M * Q),
        "model": np.tile(np.repeat(res.models, Q), len(idx)),
        "quarter": np.tile(res.quarters, len(idx) * M),
        "served_fraction": res.served_fraction[idx].reshape(-1),
        "cost_usd_per_m_output_all_in": res.cost[idx].reshape(-1),
        "gross_margin": res.margin[idx].reshape(-1)})
