"""Map each measured point to cost-core configurations and predict its throughput.

For every point the catalog model is copied with the point's weight precision (fp8 -> 8 bits,
fp4 -> 4, fp16/bf16 -> 16) and workload (input = isl, output = osl, no prefix cache), and the
cost core's :func:`~planner.costcore.physics.evaluate_grid` runs on the point's system with
serving efficiency 1.0. Nothing else about the physics lives here.

Throughput of a configuration (replica of N chips, batch B), steady state
-------------------------------------------------------------------------
Chip-seconds per request = isl x prefill chip-s per input token + osl x N x step / B, so
output tokens/s per GPU = osl / that, and the ``total`` basis counts (isl + osl) / that; the
``decode`` basis (decode GPUs of a disaggregated deployment) counts osl / (osl x N x step / B).
A point's ``overlap`` sets the system's two-micro-batch decode overlap for its prediction.
Per-user speed (1 / time per output token) depends on the serving mode
(:func:`planner.costcore.physics.Grid.user_step_s`):

* ``aggregated``: prefill chunks ride in the decode steps, so every step also prefills
  isl / osl tokens per sequence: step + isl / osl x B / N x prefill chip-s per token;
* ``disaggregated``: prefill runs on its own GPUs (the cheapest layout that fits), the
  per-user step is the decode step alone.

The MLA prefill attention width comes from the model catalog (``prefill_attention_width``),
as in the planner.

Kinds of points
---------------
* ``fixed``: exactly N = gpus with attention TP min(gpus, 8), B = concurrency.
* ``best-of``: the configuration with the highest throughput per GPU whose per-user speed is
  at least the measured one, over every layout (attention TP 1-8) of the replica sizes from
  ``min_replica_chips`` to ``max_replica_chips`` (default: 1 to gpus, else to the system's
  scale-up domain: one 8-GPU node for HGX and MI300-class systems).
* ``max-throughput``: the same with no speed limit (MLPerf offline).

For best-of rows the batch is continuous: on each replica size the largest batch that meets
the speed target (interpolated log-log on a fine batch grid where the step time is monotone)
and that fits in HBM (exact, from the memory-fit formula). This keeps predictions continuous
in the efficiency parameters, which the least-squares fit needs.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Mapping, Sequence

import numpy as np

from demand.schema import Model, Slo, Workload
from fleets.schema import System
from planner.calibration.points import CalibrationPoint
from planner.costcore import physics
from planner.costcore.architecture import model_shape
from planner.costcore.arrays import SystemArrays, model_arrays, system_arrays
from planner.costcore.efficiency import EfficiencyTable, infer_family

BATCH_GRID = tuple(float(x) for x in np.unique(np.round(np.geomspace(1, 65536, 193), 6)))


def load_catalog() -> tuple[dict[str, Model], dict[str, System]]:
    """The project's model and system catalogs (the embedded default scenario)."""
    from planner.scenario.loaded import load_scenario

    scenario = load_scenario().scenario
    return dict(scenario.models), dict(scenario.systems)


def point_model(point: CalibrationPoint, model: Model) -> Model:
    """The catalog model at the point's precision and workload (no cache, no speed target)."""
    workload = Workload(input_tokens=point.isl, output_tokens=point.osl, cache_hit=0.0)
    slo = Slo(min_output_tokens_per_s=1e-6, max_ttft_s=1e9)
    return model.model_copy(update=dict(weight_bits=point.weight_bits, workload=workload, slo=slo))


def replica_limit(point: CalibrationPoint, system: System) -> int:
    """Largest replica a best-of / max-throughput point may use."""
    if point.max_replica_chips is not None:
        return point.max_replica_chips
    if point.gpus is not None:
        return point.gpus
    return system.chips_per_domain


@dataclass(frozen=True)
class Prediction:
    """Per-point predictions, arrays in the order of the points (NaN where infeasible)."""

    tokens_per_s_per_gpu: np.ndarray  # in the point's basis
    tokens_per_s_per_user: np.ndarray
    replica_chips: np.ndarray
    batch: np.ndarray
    fits: np.ndarray  # bool


def _take(systems: SystemArrays, idx: Sequence[int]) -> SystemArrays:
    idx = list(idx)
    return SystemArrays(names=tuple(systems.names[i] for i in idx),
                        **{f.name: getattr(systems, f.name)[idx]
                           for f in fields(SystemArrays) if f.name != "names"})


@dataclass
class _Group:
    """Points sharing one model variant: one grid evaluation per parameter set."""

    models: object  # ModelArrays with one entry
    prefill_width: float
    draft: float  # MTP draft tokens and accepted tokens per step of the variant
    accepted: float
    overlap: bool
    systems: list[str]
    replica_chips: np.ndarray
    batch: np.ndarray
    members: list[tuple[int, int]]  # (point index, system index in `systems`)


class Predictor:
    """Built once for a set of points and catalogs; call it with an efficiency table.

    Points sharing a model variant (model, precision, workload, MTP setting) share one grid
    evaluation. :meth:`predict_arrays` takes the systems' arrays and per-sequence overheads
    directly, so the fit can vary them without rebuilding anything.
    """

    def __init__(self, points: Sequence[CalibrationPoint], models: Mapping[str, Model],
                 systems: Mapping[str, System], batch_grid: Sequence[float] = BATCH_GRID):
        self.points = list(points)
        self.system_names = sorted({p.system for p in self.points})
        self.systems = {name: systems[name] for name in self.system_names}
        self._sys_index = {name: i for i, name in enumerate(self.system_names)}
        variants: dict[tuple, list[int]] = {}
        for i, p in enumerate(self.points):
            key = (p.model, p.weight_bits, p.isl, p.osl, p.draft_tokens, p.accepted_tokens,
                   p.overlap)
            variants.setdefault(key, []).append(i)
        self.groups: list[_Group] = []
        for (model, *_), idx in variants.items():
            first = self.points[idx[0]]
            arrays = model_arrays({f"{first.model}@{first.precision}": point_model(first, models[model])})
            names = sorted({self.points[i].system for i in idx})
            n = set()
            b = set(batch_grid)
            for i in idx:
                p = self.points[i]
                if p.kind == "fixed":
                    n.add(float(p.gpus))
                    b.add(float(p.concurrency))
                else:
                    limit = replica_limit(p, systems[p.system])
                    n.update(float(x) for x in physics.DEFAULT_REPLICA_CHIPS
                             if p.min_replica_chips <= x <= limit)
                    if p.gpus is not None and p.min_replica_chips <= p.gpus <= limit:
                        n.add(float(p.gpus))
            width = models[model].prefill_attention_width or model_shape(models[model]).attention_width
            self.groups.append(_Group(
                models=arrays, prefill_width=float(width), draft=float(first.draft_tokens),
                accepted=float(first.accepted_tokens), overlap=first.overlap,
                systems=names, replica_chips=np.array(sorted(n)),
                batch=np.array(sorted(b)),
                members=[(i, names.index(self.points[i].system)) for i in idx]))

    def system_arrays(self, table: EfficiencyTable) -> SystemArrays:
        """The used systems with the table's family efficiencies (own overrides ignored)."""
        plain = {k: s.model_copy(update={"efficiency": None}) for k, s in self.systems.items()}
        return system_arrays(plain, table)

    def sequence_overhead(self, table: EfficiencyTable) -> np.ndarray:
        """(S,) per-sequence step overhead of the used systems' families, seconds."""
        return np.array([table.family(infer_family(self.systems[s])).sequence_overhead_s
                         for s in self.system_names])

    def __call__(self, table: EfficiencyTable) -> Prediction:
        return self.predict_arrays(self.system_arrays(table), self.sequence_overhead(table))

    def predict_arrays(self, sa: SystemArrays, sequence_overhead_s: np.ndarray) -> Prediction:
        """Predictions for systems given as arrays (the fit varies their efficiency fields)."""
        n_pts = len(self.points)
        out = {k: np.full(n_pts, np.nan) for k in ("tps", "user", "n", "b")}
        fits = np.zeros(n_pts, dtype=bool)
        for g in self.groups:
            sub = _take(sa, [self._sys_index[s] for s in g.systems])
            sub = replace(sub, overlap=np.full(len(g.systems), float(g.overlap)))
            grid = physics.evaluate_grid(
                g.models, sub, ("cal",), np.ones((len(g.systems), 1)), np.ones(1),
                replica_chips=g.replica_chips, batch=g.batch,
                sequence_overhead_s=sequence_overhead_s[[self._sys_index[s] for s in g.systems]],
                draft_tokens=[g.draft], accepted_tokens=[g.accepted],
                prefill_attention_width=[g.prefill_width])
            user = {True: grid.user_step_s(True), False: grid.step_s}
            for i, s in g.members:
                res = _predict_point(self.points[i], grid, user, s,
                                     replica_limit(self.points[i], self.systems[self.points[i].system]))
                if res is not None:
                    out["tps"][i], out["user"][i], out["n"][i], out["b"][i], fits[i] = res
        return Prediction(out["tps"], out["user"], out["n"], out["b"], fits)


def _predict_point(p: CalibrationPoint, grid: physics.Grid, user_steps: dict, s: int, limit: int):
    """(throughput per GPU in the point's basis, per-user speed, N, B, fits) or None."""
    N, Bt, tp = grid.replica_chips, grid.batch, grid.layouts.attention_tp
    isl, osl = p.isl, p.osl
    factor = (isl + osl) / osl if p.basis == "total" else 1.0
    if p.basis == "decode":  # decode GPUs only: the prefill replica is not counted
        isl = 0.0
    inp = grid.input_chip_s_per_token[0, s, 0]  # (R,)
    step = grid.step_s[0, s, 0]  # (R, B)
    aggregated = p.serving == "aggregated"
    user_step = user_steps[aggregated][0, s, 0]  # (R, B)
    if p.basis == "decode":
        prefill = np.zeros_like(inp)
    elif aggregated:
        prefill = inp
    else:  # the cheapest prefill layout that holds the weights
        ok = grid.fits[0, s, :, 0] & (N <= limit) & (N >= p.min_replica_chips)
        prefill = np.full_like(inp, np.min(np.where(ok, inp, np.inf)))
    if p.kind == "fixed":
        r = int(np.flatnonzero((N == p.gpus) & (tp == min(p.gpus, 8)))[0])
        b = int(np.flatnonzero(Bt == p.concurrency)[0])
        if not grid.valid_replica[s, r]:
            return None
        chip_s = isl * prefill[r] + osl * N[r] * step[r, b] / Bt[b]
        return (factor * osl / chip_s, 1.0 / user_step[r, b], N[r], Bt[b],
                bool(grid.fits[0, s, r, b]))

    mo, sy = grid.models, grid.systems
    usable = (1 - physics.HBM_RESERVE_FRACTION) * sy.hbm_bytes[s]
    kv_fit = mo.kv_bytes_per_token[0] * (isl + osl)
    log_b = np.log(Bt)
    best = None
    for r in range(len(N)):
        if not grid.valid_replica[s, r] or not p.min_replica_chips <= N[r] <= limit:
            continue
        kv_chip = kv_fit * grid.kv_chips_per_sequence[0, r]  # one sequence's KV per chip
        b_fit = (usable - grid.weight_bytes_per_chip[0, s, r]) / kv_chip
        if b_fit < 1.0:
            continue
        log_step = np.log(step[r])
        user = np.maximum.accumulate(np.log(user_step[r]))
        log_b_max = log_b[-1]
        if p.tokens_per_s_per_user is not None:
            target = -np.log(p.tokens_per_s_per_user)
            if user[0] > target:
                continue
            k = int(np.searchsorted(user, target, side="right")) - 1
            if k < len(Bt) - 1:
                rise = user[k + 1] - user[k]
                frac = (target - user[k]) / rise if rise > 0 else 0.0
                log_b_max = log_b[k] + frac * (log_b[k + 1] - log_b[k])
        b_star = min(np.exp(log_b_max), b_fit)
        if b_star < 1.0:
            continue
        lb = np.log(b_star)
        st = float(np.exp(np.interp(lb, log_b, log_step)))
        chip_s = isl * prefill[r] + osl * N[r] * st / b_star
        tps = factor * osl / chip_s
        if best is None or tps > best[0]:
            us = float(np.exp(np.interp(lb, log_b, user)))
            best = (tps, 1.0 / us, N[r], b_star, True)
    return best
