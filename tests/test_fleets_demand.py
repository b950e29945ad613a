import numpy as np
import pytest

from common.quarters import step_values
from demand.forecast import interpolate_volume, m_tokens_per_hour, revenue_usd_per_m_output
from fleets.capacity import available_chips, installed_chips
from fleets.costs import capital_recovery_factor, owned_usd_per_chip_hour


def test_installed_chips_retire_after_life():
    q = np.arange(0, 6)
    got = installed_chips(np.array([0, 2]), np.array([100.0, 50.0]), 3, q)
    assert got.tolist() == [100, 100, 150, 50, 50, 0]


def test_step_values_hold_until_next_point():
    got = step_values(np.array([3, 1]), np.array([0.2, 0.5]), np.arange(0, 5))
    assert got.tolist() == [0.0, 0.5, 0.5, 0.2, 0.2]


def test_available_after_reservation():
    assert available_chips(np.array([100.0]), np.array([0.25])).tolist() == [75.0]


def test_capex_cost_hand_computed():
    # $35,040 over 4 years straight-line = $1.0 per hour (8,766 h/yr... 35064/4/8766 = 1.0)
    capital = owned_usd_per_chip_hour(35064, 4, 0.0, 1.0, 1.5, 1.2, 0.10, 0.0)
    assert capital == pytest.approx(1.0 + 1.0 * 1.5 * 1.2 * 0.10)
    assert capital_recovery_factor(0.1, 2) == pytest.approx(0.1 * 1.21 / 0.21)


def test_volume_interpolation_launch_and_flat_tail():
    got = interpolate_volume(np.array([2, 4]), np.array([10.0, 30.0]), np.arange(0, 7))
    assert got.tolist() == [0, 0, 10, 20, 30, 30, 30]


def test_volume_growth_after_last_point():
    got = interpolate_volume(np.array([0]), np.array([100.0]), np.arange(0, 9), growth_per_year=1.0)
    assert got[4] == pytest.approx(200.0) and got[8] == pytest.approx(400.0)
    assert got[2] == pytest.approx(100 * 2 ** 0.5)


def test_units_and_revenue():
    assert m_tokens_per_hour(np.array([24e6])).tolist() == [1.0]
    # 1 M output at $10 plus 4 M input: half cached at $0.5, half at $2
    assert revenue_usd_per_m_output(2.0, 10.0, 0.5, 4.0, 0.5) == pytest.approx(10 + 4 * 1.25)
