import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.quarters import Quarter, quarter_range


def test_parse_and_format():
    q = Quarter.parse("2026Q3")
    assert (q.year, q.q) == (2026, 3)
    assert str(q) == "2026Q3"
    assert Quarter.parse(" 2026q1 ") == Quarter(2026, 1)


@pytest.mark.parametrize("bad", ["2026Q5", "2026Q0", "26Q1", "2026-Q1", "", "Q1 2026", None, 3.5])
def test_parse_rejects(bad):
    with pytest.raises(ValueError, match="write it like 2026Q3"):
        Quarter.parse(bad)


def test_arithmetic_across_years():
    assert Quarter(2025, 4) + 1 == Quarter(2026, 1)
    assert Quarter(2026, 1) - 1 == Quarter(2025, 4)
    assert Quarter(2028, 4) - Quarter(2025, 1) == 15


def test_range_and_order():
    qs = quarter_range(Quarter(2025, 3), Quarter(2026, 2))
    assert [str(q) for q in qs] == ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    assert quarter_range(Quarter(2026, 1), Quarter(2025, 1)) == []
    assert sorted([Quarter(2026, 1), Quarter(2025, 4)]) == [Quarter(2025, 4), Quarter(2026, 1)]


@given(st.integers(1900 * 4, 2200 * 4), st.integers(-400, 400))
def test_index_roundtrip(index, step):
    q = Quarter.from_index(index)
    assert q.index == index
    assert (q + step) - q == step
    assert Quarter.parse(str(q)) == q
