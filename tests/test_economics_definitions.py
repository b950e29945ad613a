"""The one set of per model-quarter definitions the run's economics and a sweep sample share."""
import numpy as np

from planner.run.economics import (gross_margin, output_price_scale, per_m_served,
                                   price_at_margin, served_fraction)


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


def test_output_price_scale_is_list_output_price_per_dollar_of_revenue():
    # a $15 output price in $21 of revenue per M output (input tokens included): R $42 is
    # shown as a $30 output price; a free tier (no revenue) shows R as it is
    scale = output_price_scale(np.array([15.0, 0.0]), np.array([21.0, 0.0]))
    assert scale.tolist() == [15.0 / 21.0, 1.0]
    assert price_at_margin(42.0, 0.0, scale[0]) == 15.0 / 21.0 * 42.0


def test_price_at_margin_is_cost_over_one_minus_margin():
    # $6 cost at 40 %: $10; at 0 %: the cost (break-even), bit for bit
    assert price_at_margin(6.0, 0.4) == 6.0 / 0.6
    assert price_at_margin(np.array([6.0, 0.1]), 0.0).tolist() == [6.0, 0.1]
    assert price_at_margin(6.0, 0.5, 2.0) == 24.0
