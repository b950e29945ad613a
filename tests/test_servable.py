"""The sustained-servable rule shared by `when`, the report's findings, `diff` and the sweep."""
import numpy as np
import pytest

from planner.queries.servable import first_and_sustained


@pytest.mark.parametrize("ok, demand, first, sustained", [
    ([0, 1, 1, 1], [1, 1, 1, 1], 1, 1),
    ([0, 1, 0, 0, 1, 1], [1] * 6, 1, 4),     # served, rationed again, then for good
    ([1, 1, 0], [1, 1, 1], 0, -1),           # first, but not sustained
    ([0, 0, 1, 0], [0, 0, 1, 0], 2, 2),      # a later quarter without demand does not count
    ([0, 0, 0], [1, 1, 1], -1, -1),
])
def test_first_and_sustained(ok, demand, first, sustained):
    f, s = first_and_sustained(np.array(ok), np.array(demand))
    assert (int(f[0]), int(s[0])) == (first, sustained)


def test_rows_are_independent():
    ok = np.array([[0, 1, 1], [1, 0, 1]], dtype=bool)
    f, s = first_and_sustained(ok, np.ones_like(ok))
    assert f.tolist() == [1, 0] and s.tolist() == [1, 2]
