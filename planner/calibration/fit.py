"""Least-squares fit of the per-family efficiencies, and cross-validation.

Each fit group (one family, or the NVIDIA families together: they share ``SHARED_KEYS``,
params.py) is fitted on its points by :func:`scipy.optimize.least_squares` (trust-region
reflective, bounds from :mod:`planner.calibration.params`) on the log error
ln(predicted / measured) of every used point plus the weak prior residuals; each family keeps
its other parameters, which only its own points see. The start is always the textbook values
and nothing is random, so the fit is deterministic. Families without used points keep their
textbook values.

Cross-validation refits without the held-out points, from the same textbook start, and
predicts them:

* leave-one-point-out: each point predicted by its group fitted on the others;
* leave-one-source-out: every point of one source (one benchmark page / one file) held out at
  once; a family left with no points falls back to its textbook values, which is the honest
  error for hardware we have not measured.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import least_squares

from demand.schema import Model
from fleets.schema import System
from planner.calibration import params
from planner.calibration.points import CalibrationPoint
from planner.calibration.predict import Predictor
from planner.costcore.efficiency import EfficiencyTable, infer_family

INFEASIBLE_RESIDUAL = 10.0  # ln error charged to a point no configuration can serve


def family_of(point: CalibrationPoint, systems: Mapping[str, System]) -> str:
    return infer_family(systems[point.system])


@dataclass(frozen=True)
class FamilyFit:
    """Fitted values of one family (rounded as written to the file) and the solver's report."""

    family: str
    values: dict[str, float]
    points: tuple[str, ...]
    nfev: int
    status: int
    message: str


def _residual_fn(points: Sequence[CalibrationPoint], models, systems):
    """x (log KEYS of one family) -> ln(predicted / measured) of ``points``."""
    pred = Predictor(points, models, systems)
    measured = np.array([p.tokens_per_s_per_gpu for p in points])
    sa0 = pred.system_arrays(params.table_from_families({}))
    S = len(sa0)
    lo, hi = params.bounds()

    def residuals(x: np.ndarray) -> np.ndarray:
        v = dict(zip(params.KEYS, np.exp(np.clip(x, lo, hi))))
        sa = replace(sa0, compute_eff=np.full(S, v["compute"]), memory_eff=np.full(S, v["memory"]),
                     comm_eff=np.full(S, v["comm"]),
                     prefill_compute_eff=np.full(S, v["prefill_compute"]),
                     layer_overhead_s=np.full(S, v["layer_overhead_us"] * 1e-6),
                     collective_latency_s=np.full(S, v["collective_latency_us"] * 1e-6))
        seq = np.full(S, v["sequence_overhead_us"] * 1e-6)
        got = pred.predict_arrays(sa, seq).tokens_per_s_per_gpu
        r = np.log(got / measured)
        return np.where(np.isfinite(r), r, INFEASIBLE_RESIDUAL)

    return residuals


def fit_group(members: Mapping[str, Sequence[CalibrationPoint]], models: Mapping[str, Model],
              systems: Mapping[str, System]) -> dict[str, FamilyFit]:
    """Fit the families of one group jointly: own parameters per family, ``SHARED_KEYS`` once
    for the NVIDIA group. Families without points keep their textbook values."""
    names = sorted(f for f, pts in members.items() if pts)
    out = {f: FamilyFit(f, params.rounded(params.TEXTBOOK.get(f, params.TEXTBOOK["generic"])),
                        (), 0, 0, "no points: textbook values") for f in members if f not in names}
    if not names:
        return out
    shared = params.SHARED_KEYS if params.group_of(names[0]) == "nvidia" else ()
    own = [k for k in params.KEYS if k not in shared]
    book = {f: params.TEXTBOOK.get(f, params.TEXTBOOK["generic"]) for f in names}
    x0 = np.concatenate([np.log([book[f][k] for k in own]) for f in names]
                        + [np.log([np.mean([book[f][k] for f in names]) for k in shared])])
    fns = [_residual_fn(members[f], models, systems) for f in names]
    n_own, idx_shared = len(own), np.arange(len(names) * len(own), x0.size)
    order = [params.KEYS.index(k) for k in own + list(shared)]

    def family_x(x: np.ndarray, i: int) -> np.ndarray:
        full = np.empty(len(params.KEYS))
        full[order] = np.concatenate([x[i * n_own:(i + 1) * n_own], x[idx_shared]])
        return full

    def point_residuals(x: np.ndarray) -> list[np.ndarray]:
        return [fn(family_x(x, i)) for i, fn in enumerate(fns)]

    def residuals(x: np.ndarray) -> np.ndarray:
        return np.concatenate(point_residuals(x) + [params.prior_residuals(x, x0)])

    def jacobian(x: np.ndarray) -> np.ndarray:
        """Forward differences, one evaluation per own parameter for all families at once
        (each family's points depend on its own parameters only) and one per shared one."""
        base = point_residuals(x)
        rows = np.cumsum([0] + [r.size for r in base])
        jac = np.zeros((rows[-1] + x.size, x.size))
        step = 1e-4 * np.maximum(1.0, np.abs(x))
        for j in range(n_own):
            cols = np.arange(len(names)) * n_own + j
            xp = x.copy()
            xp[cols] += step[cols]
            for i, r in enumerate(point_residuals(xp)):
                jac[rows[i]:rows[i + 1], cols[i]] = (r - base[i]) / step[cols[i]]
        for c in idx_shared:
            xp = x.copy()
            xp[c] += step[c]
            moved = np.concatenate(point_residuals(xp)) - np.concatenate(base)
            jac[:rows[-1], c] = moved / step[c]
        jac[rows[-1]:, :] = np.eye(x.size) * params.PRIOR_WEIGHT / np.log(10.0)
        return jac

    lo1, hi1 = params.bounds(own)
    los, his = params.bounds(shared)
    lo = np.concatenate([np.tile(lo1, len(names)), los])
    hi = np.concatenate([np.tile(hi1, len(names)), his])
    sol = least_squares(residuals, x0, jac=jacobian, bounds=(lo, hi), method="trf",
                        x_scale=1.0, max_nfev=400)
    for i, f in enumerate(names):
        out[f] = FamilyFit(f, params.rounded(params.from_vector(family_x(sol.x, i))),
                           tuple(p.id for p in members[f]), int(sol.nfev), int(sol.status),
                           str(sol.message))
    return out


def fit_family(family: str, points: Sequence[CalibrationPoint], models: Mapping[str, Model],
               systems: Mapping[str, System]) -> FamilyFit:
    """Fit one family alone on ``points`` (all of that family); no points -> textbook values."""
    return fit_group({family: list(points)}, models, systems)[family]


def _by_family(points: Sequence[CalibrationPoint], systems) -> dict[str, list[CalibrationPoint]]:
    out: dict[str, list[CalibrationPoint]] = {}
    for p in points:
        if p.use:
            out.setdefault(family_of(p, systems), []).append(p)
    return dict(sorted(out.items()))


def _by_group(points, systems) -> dict[str, dict[str, list[CalibrationPoint]]]:
    out: dict[str, dict[str, list[CalibrationPoint]]] = {}
    for family, pts in _by_family(points, systems).items():
        out.setdefault(params.group_of(family), {})[family] = pts
    return out


def fit(points: Sequence[CalibrationPoint], models: Mapping[str, Model],
        systems: Mapping[str, System]) -> dict[str, FamilyFit]:
    """Fit every group that has used points; {family: FamilyFit}, sorted by family."""
    out: dict[str, FamilyFit] = {}
    for members in _by_group(points, systems).values():
        out.update(fit_group(members, models, systems))
    return dict(sorted(out.items()))


def table_of(fits: Mapping[str, FamilyFit], **meta) -> EfficiencyTable:
    return params.table_from_families({f: r.values for f, r in fits.items()}, **meta)


def predict(points: Sequence[CalibrationPoint], models, systems, table: EfficiencyTable):
    """Predictions for ``points`` with ``table`` (see :class:`~planner.calibration.predict.Prediction`)."""
    return Predictor(points, models, systems)(table)


def cross_validate(points: Sequence[CalibrationPoint], models: Mapping[str, Model],
                   systems: Mapping[str, System], by: str = "point") -> np.ndarray:
    """Held-out predictions (tokens/s per GPU in each point's basis), NaN for unused points.

    ``by``: ``point`` (leave one point out) or ``source`` (leave one source out).
    """
    if by not in ("point", "source"):
        raise ValueError("by must be 'point' or 'source'")
    out = np.full(len(points), np.nan)
    index = {id(p): i for i, p in enumerate(points)}
    for members in _by_group(points, systems).values():
        everyone = [p for pts in members.values() for p in pts]
        if by == "point":
            folds = [[p] for p in everyone]
        else:
            groups: dict[str, list[CalibrationPoint]] = {}
            for p in everyone:
                groups.setdefault(p.source, []).append(p)
            folds = list(groups.values())
        for held in folds:
            keep = {f: [p for p in pts if all(p is not h for h in held)]
                    for f, pts in members.items()}
            result = fit_group(keep, models, systems)
            table = params.table_from_families({f: r.values for f, r in result.items()})
            got = Predictor(held, models, systems)(table).tokens_per_s_per_gpu
            for p, value in zip(held, got):
                out[index[id(p)]] = value
    return out


def factors(predicted, measured, ids) -> dict:
    """Median and worst error factor exp|ln(predicted / measured)| (>= 1) over the points.

    A point with no prediction (NaN: no configuration reaches its speed) counts as an
    infinite error: it is in ``infeasible``, makes ``worst_factor`` infinite and sorts last
    for the median.
    """
    predicted, measured = np.asarray(predicted, float), np.asarray(measured, float)
    err = np.abs(np.log(predicted / measured))
    err = np.where(np.isfinite(err), err, np.inf)
    if err.size == 0:
        return {"points": 0, "median_factor": float("nan"), "worst_factor": float("nan"),
                "worst_point": None, "infeasible": []}
    worst = int(np.argmax(err))
    return {"points": int(err.size), "median_factor": float(np.exp(np.median(err))),
            "worst_factor": float(np.exp(err[worst])), "worst_point": str(ids[worst]),
            "infeasible": [str(ids[i]) for i in np.flatnonzero(~np.isfinite(err))]}
