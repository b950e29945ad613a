"""solver.solve_indexed_lp (the sweep's entry point) solves an IndexedProblem exactly as
solve_allocation's LP mode does: the same chips, bit for bit, polished or with price steps."""
import numpy as np
import pandas as pd
import pytest

from solver import (AllocationProblem, SolveOptions, cbc_available, index_problem, solve_allocation,
                    solve_indexed_lp)
from solver.polish import polish_lp
from solver.synthetic import random_problem


def _chips_of(problem: AllocationProblem, options: SolveOptions | None = None) -> np.ndarray:
    """solve_allocation's chips per option, in the indexed problem's option order."""
    ix = index_problem(problem)
    keys = ["model", "system", "quarter", "site"]
    table = solve_allocation(problem, options).allocation
    merged = ix.option_keys[keys].merge(table[keys + ["chips"]], on=keys, how="left")
    return merged["chips"].fillna(0.0).to_numpy()


def test_equals_solve_allocation_with_power_rows_and_minimum_service():
    problem = random_problem(4, 3, 2, 2, seed=5)
    ix = index_problem(problem)
    assert ix.has_power_caps and (ix.min_served_fraction > 0).any()
    solution = solve_indexed_lp(ix)
    assert solution.chips.shape == (len(ix.tput_m_per_chip_hour),)
    assert solution.chips.sum() > 0 and solution.build_s >= 0 and solution.solve_s > 0
    assert np.array_equal(solution.chips, _chips_of(problem))


def test_the_solution_is_polished():
    """Its chips are the polished vertex (what make_plan publishes), not HiGHS's raw values."""
    from solver.build import min_service_penalty
    from solver.highs_lp import solve_lp_arrays
    from solver.lp_arrays import build_arrays

    ix = index_problem(random_problem(5, 3, 3, 1, seed=11))
    model = build_arrays(ix, tie_break_usd_per_chip_hour=SolveOptions().tie_break_usd_per_chip_hour,
                         min_service_penalty_usd_per_m=min_service_penalty(ix))
    raw = solve_lp_arrays(model, time_limit_s=60.0)
    polished = polish_lp(ix, model, raw)
    assert polished.applied and not np.array_equal(polished.run.x, raw.x)  # last bits differ
    x = polished.run.x.copy()
    x[x < 1e-9] = 0.0
    assert np.array_equal(solve_indexed_lp(ix).chips, model.unit_chips * x)


def test_equals_solve_allocation_with_price_steps():
    from demand.elasticity import value_slices

    base = random_problem(3, 2, 2, 1, seed=3)
    dem = base.demand
    q, v = value_slices(dem["m_output_per_hour"].to_numpy() * 2.5,
                        dem["value_usd_per_m_output"].to_numpy(),
                        dem["value_usd_per_m_output"].to_numpy() * 2.5,
                        np.full(len(dem), -1.2), steps=4)
    steps = pd.DataFrame({"model": np.repeat(dem["model"].to_numpy(), 5),
                          "quarter": np.repeat(dem["quarter"].to_numpy(), 5),
                          "step": np.tile(np.arange(5), len(dem)),
                          "m_output_per_hour": q.ravel(), "value_usd_per_m_output": v.ravel()})
    problem = AllocationProblem(options=base.options, capacity=base.capacity,
                                demand=dem.assign(m_output_per_hour=dem["m_output_per_hour"] * 2.5),
                                power_cap=base.power_cap, demand_steps=steps)
    ix = index_problem(problem)
    assert ix.demand_steps is not None
    assert np.array_equal(solve_indexed_lp(ix).chips, _chips_of(problem))


def test_integer_options_still_solve_the_lp():
    problem = random_problem(3, 2, 2, 1, seed=2)
    ix = index_problem(problem)
    assert np.array_equal(solve_indexed_lp(ix, SolveOptions(integer="exact")).chips,
                          solve_indexed_lp(ix).chips)


@pytest.mark.skipif(not cbc_available(), reason="CBC not installed")
def test_cbc_equals_solve_allocation_with_cbc():
    problem = random_problem(3, 2, 2, 1, seed=4)
    options = SolveOptions(solver="cbc")
    assert np.array_equal(solve_indexed_lp(index_problem(problem), options).chips,
                          _chips_of(problem, options))



def test_presolve_off_reaches_the_same_vertex(monkeypatch):
    """SolveOptions(presolve=False) (what a sweep uses) reaches HiGHS and gives the same
    polished chips."""
    import highspy

    ix = index_problem(random_problem(6, 3, 3, 2, seed=21))
    with_presolve = solve_indexed_lp(ix).chips
    seen = []

    class Recording(highspy.Highs):
        def setOptionValue(self, key, value):
            seen.append((key, value))
            return super().setOptionValue(key, value)

    monkeypatch.setattr(highspy, "Highs", Recording)
    assert np.array_equal(solve_indexed_lp(ix, SolveOptions(presolve=False)).chips, with_presolve)
    assert ("presolve", "off") in seen
    seen.clear()
    solve_indexed_lp(ix)
    assert seen and all(key != "presolve" for key, _ in seen)
