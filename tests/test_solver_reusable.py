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
    assert lp.model.prob.objective.constant == fresh.model.prob.objective.constant
    assert not np.array_equal(first, lp.chips(run))
    lp.update(ix)
    assert np.array_equal(lp.chips(lp.solve()), first)


def test_update_refuses_another_structure():
    lp = ReusableProblem(index_problem(random_problem(3, 2, 2, 1, seed=1)))
    with pytest.raises(ValueError, match="same structure"):
        lp.update(index_problem(random_problem(3, 3, 2, 1, seed=1)))
