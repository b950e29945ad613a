"""Run a built model through HiGHS (in-process) or CBC and read values and duals as arrays.

Rules from pulp-notes (sections 6-8): solvers are always passed explicitly with ``msg=False``;
the highspy banner is swallowed once per process; success is judged by ``prob.sol_status``,
never by ``prob.status`` alone, and variable values are not read after a failed solve; HiGHS's
``threads`` is never set (a change within one process breaks later solves).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pulp

from .build import BuiltModel
from .problem import SolverError
from .pulp_fast import FastHiGHS


@dataclass
class SolverRun:
    """Values of one solver call, in the model's own (minimisation) sense."""

    status: str                 # "optimal", or "feasible" for a MILP stopped with an incumbent
    x: np.ndarray
    u: np.ndarray
    z: np.ndarray
    w: np.ndarray               # chips moved per migration row
    cap_pi: np.ndarray          # raw duals of the capacity rows (LP solves only, else NaN)
    pow_pi: np.ndarray
    seconds: float
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))       # chips bought per slot
    buy_pi: np.ndarray = field(default_factory=lambda: np.zeros(0))  # supply-limit duals
    bud_pi: np.ndarray = field(default_factory=lambda: np.zeros(0))  # budget duals
    row_pi: np.ndarray = field(default_factory=lambda: np.zeros(0))  # every row, in row order
    col_values: np.ndarray = field(default_factory=lambda: np.zeros(0))  # every column


def solve_model(model: BuiltModel, solver: str, *, mip: bool, time_limit_s: float,
                gap: float, start: np.ndarray | None = None, fast: bool = True) -> SolverRun:
    """Solve ``model`` (as an LP relaxation unless ``mip``); raise SolverError without a solution.

    ``start``: values of ``model.columns`` handed to HiGHS as a MILP start (ignored by CBC).
    ``fast=False`` uses plain ``pulp.HiGHS`` instead of ``FastHiGHS`` (tests compare the two).
    """
    columns = model.columns if fast else None
    options = PURCHASE_HIGHS_OPTIONS if len(model.y) else {}
    engine = make_solver(solver, mip=mip, time_limit_s=time_limit_s, gap=gap, columns=columns,
                         start=start, highs_options=options)
    prob = model.prob
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            prob.solve(engine)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{solver} failed: {exc}") from None
    seconds = time.perf_counter() - t0
    highs_status = _highs_status(prob)
    prob.solverModel = None  # release HiGHS's copy of the model

    sol = prob.sol_status
    if sol == pulp.LpSolutionOptimal:
        status = "optimal"
    elif sol == pulp.LpSolutionIntegerFeasible and mip:
        status = "feasible"
    else:
        detail = highs_status or (f"{pulp.LpStatus.get(prob.status, prob.status)} / "
                                  f"{pulp.LpSolution.get(prob.sol_status, prob.sol_status)}")
        raise SolverError(failure_message(solver, mip, detail, seconds, time_limit_s))

    def values(variables: np.ndarray) -> np.ndarray:
        vals = [v.varValue for v in variables.tolist()]
        if any(v is None for v in vals):
            raise SolverError(f"{solver} returned no value for some variables")
        return np.asarray(vals, dtype=float)

    def duals(cons: list[pulp.LpConstraint]) -> np.ndarray:
        if mip:
            return np.full(len(cons), np.nan)
        return np.asarray([np.nan if c.pi is None else c.pi for c in cons], dtype=float)

    return SolverRun(status, values(model.x), values(model.u), values(model.z), values(model.w),
                     duals(model.cap_cons), duals(model.pow_cons), seconds, values(model.y),
                     duals(model.buy_cons), duals(model.bud_cons),
                     row_pi=duals(list(prob._constraints.values())),
                     col_values=values(np.asarray(model.columns, dtype=object)))


def shadow_prices(pi: np.ndarray) -> np.ndarray:
    """Value of one more unit of a ``<=`` row's right-hand side, from a minimisation's duals.

    PuLP reports pi <= 0 for a binding ``<=`` row of a minimisation with both HiGHS and CBC,
    and the objective (a cost) falls by -pi per unit; so the gain in the maximised economic
    objective is -pi. Solver noise below 1e-9 is clipped, so the result is >= 0.
    """
    out = -np.asarray(pi, dtype=float)
    out[np.abs(out) < 1e-9] = 0.0
    return np.maximum(out, 0.0)


# Max-value simplex scaling for models with purchase columns: their capex coefficients
# (~1e4-1e5 $ per chip) next to token rates and chip counts defeat HiGHS' default scaling
# (34 s on the 160k-variable benchmark instance; 3.9 s with this; strategies 2, 3, 5 did not
# help). Models without purchases keep the default: their LP is degenerate, and another
# scaling picks another (equally optimal) dual vertex, so every shadow price would move.
PURCHASE_HIGHS_OPTIONS = {"simplex_scale_strategy": 4}


def make_solver(solver: str, *, mip: bool, time_limit_s: float, gap: float,
                columns: list | None = None, start: np.ndarray | None = None,
                highs_options: dict | None = None):
    """The PuLP solver object for ``"highs"`` or ``"cbc"``, silent, with limits set.

    With ``columns`` (every variable of the model, in order) HiGHS runs as ``FastHiGHS``;
    ``highs_options`` are passed to HiGHS as named options (CBC ignores them).
    """
    options = highs_options or {}
    gap_rel = gap if mip else None
    if solver == "highs":
        _swallow_highs_banner()
        if columns is not None:
            return FastHiGHS(columns, start, mip=mip, msg=False, timeLimit=time_limit_s,
                             gapRel=gap_rel, **options)
        return pulp.HiGHS(mip=mip, msg=False, timeLimit=time_limit_s, gapRel=gap_rel,
                          **options)
    if solver == "cbc":
        cbc = _cbc_class()
        if cbc is None:
            raise SolverError("CBC is not available (no cbc executable and no bundled CBC)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            # one thread: CBC with threads > 1 is non-deterministic (pulp-notes 8.1)
            return cbc(mip=mip, msg=False, timeLimit=time_limit_s, gapRel=gap_rel, threads=1)
    raise ValueError(f"unknown solver {solver!r}")


def cbc_available() -> bool:
    """True when a CBC executable can be used (COIN_CMD on PATH, or PuLP's bundled binary)."""
    return _cbc_class() is not None


@functools.lru_cache(maxsize=None)
def solver_version(solver: str) -> str:
    """Version string of the solver's engine, e.g. ``"1.16.0"``; ``"unknown"`` if not found."""
    if solver == "highs":
        return _swallow_highs_banner()
    cbc = _cbc_class()
    if cbc is None:
        return "unavailable"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        path = cbc(msg=False).path
    try:
        out = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=20,
                             stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    m = re.search(r"Version:\s*(\S+)", out)
    return m.group(1) if m else "unknown"


@functools.lru_cache(maxsize=None)
def _cbc_class():
    """COIN_CMD when a cbc executable is on PATH, else PuLP's bundled PULP_CBC_CMD, else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if pulp.COIN_CMD(msg=False).available():
            return pulp.COIN_CMD
        if pulp.PULP_CBC_CMD(msg=False).available():
            return pulp.PULP_CBC_CMD
    return None


@functools.lru_cache(maxsize=None)
def _swallow_highs_banner() -> str:
    """Construct the first ``highspy.Highs()`` of the process with fd 1 sent to /dev/null.

    highspy prints a two-line banner on stdout the first time a Highs object is built, before
    PuLP can set ``output_flag`` (HiGHS issues #1702, #2749). Returns the HiGHS version.
    With stdout closed (``planner run >&-``) there is no banner to hide.
    """
    import highspy

    if sys.stdout is not None:
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all (closed): nothing to keep the banner out of
        return highspy.Highs().version()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
            version = highs.version()
            _flush_c_stdout()
        finally:
            os.close(devnull)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return version


def _flush_c_stdout() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError, TypeError):  # no libc handle on this platform
        pass


def _highs_status(prob: pulp.LpProblem) -> str | None:
    """HiGHS's model status text when the last solve ran in HiGHS, else None."""
    highs = getattr(prob, "solverModel", None)
    if highs is None or not hasattr(highs, "getModelStatus"):
        return None
    try:
        return highs.modelStatusToString(highs.getModelStatus())
    except Exception:  # diagnostics only; never mask the real outcome
        return None


def failure_message(solver: str, mip: bool, detail: str, seconds: float,
                    time_limit_s: float) -> str:
    """The SolverError text of a solve without a usable solution; ``detail`` is HiGHS's model
    status (or PuLP's status / solution status for CBC)."""
    kind = "MILP" if mip else "LP"
    timed_out = "time limit" in detail.lower() or seconds >= 0.98 * time_limit_s
    if timed_out:
        return (f"{solver}: the {kind} reached the time limit of {time_limit_s:g} s without "
                f"{'an optimal' if not mip else 'any integer'} solution ({detail}); "
                f"raise the time limit{' or the gap' if mip else ''}")
    return f"{solver}: the {kind} could not be solved: {detail}"
