"""The one set of per model-quarter definitions the run's economics and a sweep sample share."""
import numpy as np

from planner.run.economics import gross_margin, per_m_served, served_fraction


def test_per_m_served_divides_or_falls_back_when_nothing_is_served():
    # $120/h over 10 M/h served = $12/M; nothing served: the cheapest option's $7/M stands
    got = per_m_served(np.array([120.0, 0.0, 5.0]), np.array([10.0, 0.0, 1e-13]),
                       np.array([9.0, 7.0, 3.0]))
    assert got.tolist() == [12.0, 7.0, 3.0]


def test_served_fraction_is_nan_without_demand():
    got = served_fraction(np.array([3.0, 0.0, 0.0]), np.array([4.0, 0.0, 2.0]))
    assert got[0] == 0.75 and np.isnan(got[1]) and got[2] == 0.0


def test_gross_margin_needs_revenue_and_demand():
    # cost $6 against revenue $10: 40 %; a free tier (revenue 0) and a quarter without demand
    # have no margin
    got = gross_margin(np.array([6.0, 6.0, 6.0]), np.array([10.0, 0.0, 10.0]),
                       np.array([True, True, False]))
    assert got[0] == 0.4 and np.isnan(got[1]) and np.isnan(got[2])
