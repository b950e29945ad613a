"""The sweep as one call: a loaded scenario and a spec in, a :class:`SweepResult` out."""
from __future__ import annotations

import hashlib
import pickle

from planner.errors import RunError
from planner.scenario.horizon import horizon_quarters
from planner.scenario.loaded import Loaded
from planner.sweep.aggregate import SweepResult, combine
from planner.sweep.engine import SweepJob
from planner.sweep.execute import run_job
from planner.sweep.spec import SweepSpec, base_data


def make_job(loaded: Loaded, spec: SweepSpec) -> SweepJob:
    """The picklable job: the resolved base scenario, the spec and the solver settings.

    Samples solve the LP (continuous chips) with the scenario's solver backend; integer modes
    are not used in a sweep.
    """
    from dataclasses import replace

    from planner.costcore import load_efficiency_table

    data = base_data(loaded)
    settings = loaded.scenario.solver
    efficiency = load_efficiency_table()
    if getattr(efficiency, "calibration", None):  # the fit's report: not used, not shipped
        efficiency = replace(efficiency, calibration={})
    key = hashlib.sha256(loaded.input_sha256.encode()
                         + pickle.dumps((spec, efficiency))).hexdigest()
    return SweepJob(key, data, spec, efficiency, settings.backend, settings.time_limit_s)


def run_sweep(loaded: Loaded, spec: SweepSpec, workers: int | None = None,
              dask: str | object | None = None, quiet: bool = True,
              progress_stream=None) -> SweepResult:
    """Run every sample of ``spec`` on ``loaded`` and combine them (see execute.run_job)."""
    from planner.errors import InputError, Problem

    scenario = loaded.scenario
    if not scenario.demand:
        raise InputError([Problem(loaded.doc.where(("name",))[0], None, "demand",
                                  "the scenario has no demand series: nothing to sweep")])
    job = make_job(loaded, spec)
    chunks, info = run_job(job, workers=workers, dask=dask, quiet=quiet,
                           progress_stream=progress_stream)
    quarters = tuple(str(q) for q in horizon_quarters(scenario))
    result = combine(spec, tuple(scenario.demand), quarters, chunks, info)
    if result.n and not result.ok.any():
        first = next(iter(result.errors.items()))
        raise RunError(f"all {result.n} samples failed; sample {first[0]}: {first[1]}")
    return result
