"""Tornado groups of fewer than MIN_TORNADO_SAMPLES samples: a note and no direction."""
import math

import numpy as np
import pytest

from planner.sweep.aggregate import MIN_TORNADO_SAMPLES, SweepResult, tornado_table
from planner.sweep.report import Summary, plot_tornado
from planner.sweep.spec import Input, SweepSpec

QUARTERS = ("2026Q1", "2026Q2")


def result(n: int) -> SweepResult:
    """``n`` samples of one input x = 0 .. n-1; model m is servable in 2026Q1 for the lower
    half of x and in 2026Q2 for the upper half; its margin and the fleet's are x / 100."""
    x = np.arange(n, dtype=float)
    spec = SweepSpec("random", (Input("x", ("a", "b"), "set", ("uniform", (0.0, 1.0))),),
                     seed=1, samples=n)
    grid = np.zeros((n, 1, len(QUARTERS)))
    return SweepResult(spec, ("m",), QUARTERS, x[:, None], np.ones(n, bool), grid, grid, grid,
                       (x >= n / 2).astype(int)[:, None], np.ones((n, 1)), (x / 100)[:, None],
                       x / 100, {}, {}, {}, {"executor": "local", "wall_s": 1.0})


def test_thirty_samples_give_groups_of_three_and_four():
    t = tornado_table(result(30)).set_index("output")
    # inverted_cdf: P10 of 0..29 is 2 (x <= 2: three samples), P90 is 26 (x >= 26: four)
    assert list(t.index) == ["when:m", "margin:m", "margin:all"]
    assert list(t["n_low"]) == [3] * 3 and list(t["n_high"]) == [4] * 3
    assert (t["note"] == "too few samples (n_low=3, n_high=4)").all()
    assert t[["low_mean", "high_mean", "swing"]].isna().all(axis=None)


@pytest.mark.parametrize("n, n_low, n_high, noted", [(90, 9, 10, True), (99, 10, 10, False)])
def test_the_threshold_is_ten_per_group(n, n_low, n_high, noted):
    assert MIN_TORNADO_SAMPLES == 10
    row = tornado_table(result(n)).set_index("output").loc["margin:all"]
    assert (row["n_low"], row["n_high"]) == (n_low, n_high)
    assert (row["note"] != "") is noted and math.isnan(row["swing"]) is noted


def test_enough_samples_give_the_direction_by_hand():
    t = tornado_table(result(100)).set_index("output")
    # x <= 9 (10 samples) against x >= 89 (11 samples)
    assert t.loc["margin:all", "low_mean"] == pytest.approx(4.5 / 100)
    assert t.loc["margin:all", "high_mean"] == pytest.approx(94 / 100)
    assert t.loc["when:m", "swing"] == 1.0 and (t["note"] == "").all()


def test_terminal_and_chart_show_the_note_and_no_direction(monkeypatch, tmp_path):
    summary = Summary(result(30), "tiny")
    text = summary.render()
    rows = [line for line in text.splitlines() if line.startswith(("when:m", "margin:all"))]
    assert len(rows) == 2
    for line in rows:
        assert line.endswith("too few samples (n_low=3, n_high=4)")
        assert line.split()[4:7] == ["-", "-", "-"]     # low mean, high mean, swing
    assert "no direction where a group has fewer than 10 samples" in text
    assert summary.to_json()["tornado"][0]["swing"] is None

    figures = []
    monkeypatch.setattr("planner.plots.save", lambda fig, path: figures.append(fig))
    plot_tornado(summary, str(tmp_path / "tornado.png"))
    for ax in figures[0].axes:
        assert all(bar.get_width() == 0 for bar in ax.patches)        # no bar, no direction
        assert [t.get_text() for t in ax.texts] == [
            " too few samples (n_low=3, n_high=4): no direction"]


def test_enough_samples_have_no_note_column_in_the_terminal():
    text = Summary(result(100), "tiny").render()
    assert "too few" not in text and "note" not in text
