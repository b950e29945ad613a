"""solver.ReusableProblem: an updated problem solves exactly as a fresh build of the instance."""
from dataclasses import replace

import numpy as np
import pytest

from solver import ReusableProblem, index_problem, structure_key
from solver.synthetic import random_problem


def _scaled(ix, factor):
    """The same structure with every coefficient and right-hand side changed."""
    return replace(ix, tput_m_per_chip_hour=ix.tput_m_per_chip_hour * factor,
                   usd_per_chip_hour=ix.usd_per_chip_hour * (2.0 - factor),
                   kw_per_chip=ix.kw_per_chip * factor,
                   capacity_chips=ix.capacity_chips * (2.0 - factor),
                   demand_m_per_hour=ix.demand_m_per_hour * factor,
                   power_mw=ix.power_mw * (2.0 - factor),
                   min_served_fraction=np.where(ix.min_served_fraction > 0, 0.25, 0.0))


def test_update_equals_fresh_build_with_power_rows():
    ix = index_problem(random_problem(4, 3, 2, 2, seed=5))
    assert ix.has_power_caps and (ix.min_served_fraction > 0).any()
    other = _scaled(ix, 1.3)
    assert structure_key(other) == structure_key(ix)
    lp = ReusableProblem(ix)
    first = lp.chips(lp.solve())
    lp.update(other)
    run = lp.solve()
    fresh = ReusableProblem(other)
    fresh_run = fresh.solve()
    assert np.array_equal(lp.chips(run), fresh.chips(fresh_run))
    assert np.array_equal(run.pow_pi, fresh_run.pow_pi)
    assert np.array_equal(run.cap_pi, fresh_run.cap_pi)
    assert lp.lp.offset == fresh.lp.offset
    assert not np.array_equal(first, lp.chips(run))
    lp.update(ix)
    assert np.array_equal(lp.chips(lp.solve()), first)


def test_update_refuses_another_structure():
    lp = ReusableProblem(index_problem(random_problem(3, 2, 2, 1, seed=1)))
    with pytest.raises(ValueError, match="same structure"):
        lp.update(index_problem(random_problem(3, 3, 2, 1, seed=1)))


def test_update_with_price_steps_equals_a_fresh_build():
    """Price-responsive demand rows: new quantities and values of the steps, as built fresh."""
    import pandas as pd

    from demand.elasticity import value_slices
    from solver import AllocationProblem

    base = random_problem(3, 2, 2, 1, seed=3)
    dem = base.demand

    def with_steps(scale):
        q, v = value_slices(dem["m_output_per_hour"].to_numpy() * scale,
                            dem["value_usd_per_m_output"].to_numpy(),
                            dem["value_usd_per_m_output"].to_numpy() * scale,
                            np.full(len(dem), -1.2), steps=4)
        steps = pd.DataFrame({"model": np.repeat(dem["model"].to_numpy(), 5),
                              "quarter": np.repeat(dem["quarter"].to_numpy(), 5),
                              "step": np.tile(np.arange(5), len(dem)),
                              "m_output_per_hour": q.ravel(), "value_usd_per_m_output": v.ravel()})
        return index_problem(AllocationProblem(
            options=base.options, capacity=base.capacity,
            demand=dem.assign(m_output_per_hour=dem["m_output_per_hour"] * scale),
            power_cap=base.power_cap, demand_steps=steps))

    ix, other = with_steps(1.0), with_steps(2.5)
    assert structure_key(ix) == structure_key(other)
    assert structure_key(ix) != structure_key(index_problem(base))
    lp = ReusableProblem(ix)
    first = lp.chips(lp.solve())
    lp.update(other)
    fresh = ReusableProblem(other)
    assert np.array_equal(lp.chips(lp.solve()), fresh.chips(fresh.solve()))
    assert lp.lp.offset == fresh.lp.offset
    assert not np.array_equal(first, lp.chips(lp.solve()))
