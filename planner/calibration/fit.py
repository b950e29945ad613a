"""Least-squares fit of the per-family efficiencies, and cross-validation.

Each hardware family is fitted on its own points (the parameters are per family and no point
depends on two families), by :func:`scipy.optimize.least_squares` (trust-region reflective,
bounds from :mod:`planner.calibration.params`) on the log error ln(predicted / measured) of
every used point plus the weak prior residuals. The start is always the textbook values and
nothing is random, so the fit is deterministic. Families without used points keep their
textbook values.

Cross-validation refits without the held-out points, from the same textbook start, and
predicts them:

* leave-one-point-out: each point predicted by its family fitted on the others;
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


def _objective(pred: Predictor, measured: np.ndarray, x0: np.ndarray):
    sa0 = pred.system_arrays(params.table_from_families({}))
    S = len(sa0)
    lo, hi = params.bounds()

    def arrays(x: np.ndarray):
        v = np.exp(np.clip(x, lo, hi))
        sa = replace(sa0, compute_eff=np.full(S, v[0]), memory_eff=np.full(S, v[1]),
                     comm_eff=np.full(S, v[2]), layer_overhead_s=np.full(S, v[3] * 1e-6),
                     collective_latency_s=np.full(S, v[4] * 1e-6))
        return sa, np.full(S, v[5] * 1e-6)

    def residuals(x: np.ndarray) -> np.ndarray:
        got = pred.predict_arrays(*arrays(x)).tokens_per_s_per_gpu
        r = np.log(got / measured)
        r = np.where(np.isfinite(r), r, INFEASIBLE_RESIDUAL)
        return np.concatenate([r, params.prior_residuals(x, x0)])

    return residuals


def fit_family(family: str, points: Sequence[CalibrationPoint], models: Mapping[str, Model],
               systems: Mapping[str, System]) -> FamilyFit:
    """Fit one family on ``points`` (all of that family); no points -> textbook values."""
    start = params.TEXTBOOK.get(family, params.TEXTBOOK["generic"])
    if not points:
        return FamilyFit(family, params.rounded(start), (), 0, 0, "no points: textbook values")
    pred = Predictor(points, models, systems)
    measured = np.array([p.tokens_per_s_per_gpu for p in points])
    x0 = params.to_vector(start)
    lo, hi = params.bounds()
    sol = least_squares(_objective(pred, measured, x0), x0, bounds=(lo, hi), method="trf",
                        diff_step=1e-4, x_scale=1.0, max_nfev=400)
    return FamilyFit(family, params.rounded(params.from_vector(sol.x)),
                     tuple(p.id for p in points), int(sol.nfev), int(sol.status), str(sol.message))


def _by_family(points: Sequence[CalibrationPoint], systems) -> dict[str, list[CalibrationPoint]]:
    out: dict[str, list[CalibrationPoint]] = {}
    for p in points:
        if p.use:
            out.setdefault(family_of(p, systems), []).append(p)
    return dict(sorted(out.items()))


def fit(points: Sequence[CalibrationPoint], models: Mapping[str, Model],
        systems: Mapping[str, System]) -> dict[str, FamilyFit]:
    """Fit every family that has used points; {family: FamilyFit}, sorted by family."""
    return {f: fit_family(f, pts, models, systems)
            for f, pts in _by_family(points, systems).items()}


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
    families = _by_family(points, systems)
    index = {id(p): i for i, p in enumerate(points)}
    for family, members in families.items():
        if by == "point":
            folds = [[p] for p in members]
        else:
            groups: dict[str, list[CalibrationPoint]] = {}
            for p in members:
                groups.setdefault(p.source, []).append(p)
            folds = list(groups.values())
        for held in folds:
            keep = [p for p in members if all(p is not h for h in held)]
            result = fit_family(family, keep, models, systems)
            table = params.table_from_families({family: result.values})
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
