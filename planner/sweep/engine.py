"""One sample, end to end: values -> scenario -> fleet, demand, cost core -> LP -> key outputs.

An :class:`Engine` holds what every sample of a job shares, built once per process: the base
scenario, the sorted key layout of the LP, the efficiency table, and the cost core's result
and its quarter-independent terms for the base. Per sample it re-runs only what the sample's
values can change:

* the cost core when the sample changes a demand model, a system's hardware or the serving
  efficiency (compared with the base: untouched parts of a sample are the base's own objects);
  otherwise the base result is used (prices do not enter the cost core's choice). When only
  the serving efficiency moved (and the same systems have chips), the base's
  quarter-independent terms (:func:`planner.costcore.api.hardware`) are re-used and only the
  quarter terms and the batch search run (:func:`planner.costcore.api.cheapest_choice`);
* the LP is built and solved afresh (building it takes under a millisecond on the default;
  see :mod:`.lp`), without presolve (``SolveOptions.presolve``).

Each sample's cost core runs on its own (a sample's numbers do not depend on which samples
share a process or a chunk), on the demand models and the systems that have chips.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from demand.timeline import DemandArrays, demand_arrays
from fleets.timeline import fleet_arrays, power_caps
from planner.costcore.efficiency import EfficiencyTable
from planner.run.elastic import elasticity_terms, list_price_factor, step_slices
from planner.run.plan import m_output_per_chip_hour, migration_usd_per_chip_hour
from planner.scenario.horizon import horizon_quarters
from planner.scenario.schema import Scenario
from planner.sweep.apply import SampleError, apply_values, validate_sample
from planner.sweep.econ import SampleEconomics, sample_economics
from planner.sweep.lp import Layout, PowerRows, Solved, indexed_problem
from planner.sweep.spec import SweepSpec
from planner.sweep.tables import hardware_of, physics
from solver import SolveOptions, solve_indexed_lp

# System fields that only set the price of a chip-hour, not what a chip can do.
_COST_FIELDS = ("usd_per_chip_hour", "capex", "name", "vendor", "status", "source", "notes")
STAGES = ("apply_s", "cost_core_s", "lp_build_s", "lp_solve_s", "economics_s")


@dataclass(frozen=True)
class SweepJob:
    """Everything a worker needs: plain, picklable data (sent once per worker or task)."""

    key: str  # identifies the job (engine cache)
    scenario: dict  # the resolved base scenario, JSON-like, without `uncertainty`
    spec: SweepSpec
    efficiency: EfficiencyTable  # read once by the caller: every worker uses the same table
    backend: str = "highs"
    time_limit_s: float = 60.0


@dataclass
class SampleResult:
    index: int
    values: np.ndarray
    economics: SampleEconomics | None = None
    error: str | None = None
    timings: dict = field(default_factory=dict)
    cost_core_reused: bool = False  # the base's cost-core result
    hardware_reused: bool = False  # the base's quarter-independent cost-core terms


class Engine:
    """Per-process state of one job; :meth:`run` evaluates one sample."""

    def __init__(self, job: SweepJob):
        from solver.solve import solver_version

        self.job = job
        self.base_data = job.scenario
        base = Scenario.model_validate(job.scenario)
        self.base = base
        self.qlist = horizon_quarters(base)
        self.quarters = tuple(str(q) for q in self.qlist)
        self.qidx = np.array([q.index for q in self.qlist], dtype=np.int64)
        self.horizon_end = base.horizon.end
        self.models = tuple(base.demand)
        self.systems = tuple(base.systems)
        self.layout = Layout.of(self.models, self.systems, self.quarters)
        self.efficiency = job.efficiency
        self.base_physics = physics(base, self.quarters, self.qlist, self.efficiency)
        self.base_fleet = fleet_arrays(base, self.qidx)
        self.base_demand = demand_arrays(base, self.qidx)
        self.base_used = (self.base_fleet.available_chips > 0).any(axis=1)
        self.base_hardware = hardware_of(base, self.efficiency, self.base_used)
        # no presolve: a sample's LP is small (SolveOptions.presolve) and a sweep reads primal
        # values only
        self.solve_options = SolveOptions(solver=job.backend, time_limit_s=job.time_limit_s,
                                          presolve=False)
        self.check_semantics = any(_needs_semantic_checks(inp) for inp in job.spec.inputs)
        solver_version(job.backend)  # highspy's first-use banner, once, before any thread

    def run(self, index: int, values: np.ndarray) -> SampleResult:
        """Evaluate sample ``index``; failures are returned with their message, never raised."""
        result = SampleResult(index, values)
        try:
            self._run(result)
        except SampleError as exc:
            result.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one bad sample must not sink the sweep
            result.error = f"{type(exc).__name__}: {exc}"
        return result

    def _run(self, result: SampleResult) -> None:
        t = [time.perf_counter()]
        timings = result.timings

        def lap(name: str) -> None:
            t.append(time.perf_counter())
            timings[name] = t[-1] - t[-2]

        data = apply_values(self.base_data, self.job.spec.inputs, result.values, self.horizon_end)
        scenario = validate_sample(data, self.check_semantics, (self.base_data, self.base)) \
            if data is not self.base_data else self.base
        fleet = fleet_arrays(scenario, self.qidx, (self.base, self.base_fleet))
        demand, elasticity = _at_list_prices(
            demand_arrays(scenario, self.qidx, (self.base, self.base_demand)), scenario)
        lap("apply_s")

        same_hardware = self._same_hardware(data)
        result.cost_core_reused = same_hardware and self._same_efficiency(data)
        has_chips = fleet.available_chips > 0  # (S, Q)
        used = has_chips.any(axis=1)
        if result.cost_core_reused:
            phys = self.base_physics
        else:  # the base's quarter-independent terms when only the serving efficiency moved
            result.hardware_reused = same_hardware and np.array_equal(used, self.base_used)
            phys = physics(scenario, self.quarters, self.qlist, self.efficiency,
                           systems_used=used,
                           hw=self.base_hardware if result.hardware_reused else None,
                           with_chips=has_chips)
        lap("cost_core_s")

        M, S, Q = len(self.models), len(self.systems), len(self.quarters)
        avail = fleet.available_chips  # (S, Q)
        mask = phys.feasible & has_chips[None]
        order = self.layout.option_order
        ids = order[mask.reshape(-1)[order]]
        m, s = ids // (S * Q), ids // Q % S
        tput = m_output_per_chip_hour(phys.output_tokens_per_s_per_chip.reshape(-1)[ids],
                                      phys.input_tokens_per_s_per_chip.reshape(-1)[ids],
                                      demand.input_per_output[m], demand.peak_to_average[m])
        ix = indexed_problem(
            self.layout, ids, tput, fleet.usd_per_chip_hour[s],
            np.round(phys.replica_chips.reshape(-1)[ids]).astype(int).astype(float),
            fleet.kw_per_chip[s], avail.reshape(-1), demand.m_output_per_hour.reshape(-1),
            demand.value.reshape(-1), demand.penalty.reshape(-1),
            np.repeat(demand.min_served_fraction, Q), self._power(scenario, fleet.sites),
            migration_usd_per_chip_hour(scenario),
            steps=step_slices(demand.m_output_per_hour.reshape(-1), demand.price_output.reshape(-1),
                              demand.value.reshape(-1), np.repeat(elasticity, Q)))
        lp = solve_indexed_lp(ix, self.solve_options)
        timings["lp_build_s"], timings["lp_solve_s"] = lp.build_s, lp.solve_s
        solved = Solved(ix, ids, lp.chips)
        t.append(time.perf_counter())

        result.economics = sample_economics(solved, demand, M, S, Q,
                                            scenario.economics.target_margin)
        lap("economics_s")

    def _power(self, scenario: Scenario, sites: tuple[str, ...]) -> PowerRows | None:
        """The sample's site power caps as LP rows (None without caps); ``sites[s]``: the
        site of system s."""
        if not any(site.power_mw for site in scenario.sites.values()):
            return None
        return PowerRows.of(power_caps(scenario, self.qlist), sites, self.quarters)

    def _same_efficiency(self, data: dict) -> bool:
        """True when the sample has the base scenario's serving-efficiency curve."""
        return (data["economics"]["serving_efficiency"]
                == self.base_data["economics"]["serving_efficiency"])

    def _same_hardware(self, data: dict) -> bool:
        """True when the sample's models and the physics of its systems are the base's (the
        cost core's quarter-independent part is then the base's)."""
        base = self.base_data
        for key in self.models:
            if data["models"][key] is not base["models"][key] \
                    and data["models"][key] != base["models"][key]:
                return False
        for key in self.systems:
            new, old = data["systems"][key], base["systems"][key]
            if new is not old and any(new[f] != old[f] for f in new if f not in _COST_FIELDS):
                return False
        return True


def _at_list_prices(demand: DemandArrays, scenario: Scenario) -> tuple[DemandArrays, np.ndarray]:
    """The demand at each quarter's list price (price-responsive series moved along their
    curves, as ``planner run`` does) and the elasticity per series."""
    e, ref, is_list = elasticity_terms(scenario)
    if not (e < 0).any():
        return demand, e
    listed = demand.price_output
    factor = list_price_factor(e[:, None], listed, np.where(is_list[:, None], listed, ref[:, None]))
    return replace(demand, m_output_per_hour=demand.m_output_per_hour * factor), e


def _needs_semantic_checks(inp) -> bool:
    """Can this input break a cross-field check (model sizes; deliveries moved earlier)?"""
    if inp.path[0] == "models":
        return True
    if inp.op == "slip_quarters":
        low = min(inp.values) if inp.values is not None else min(inp.dist[1])
        return low < 0
    return False

