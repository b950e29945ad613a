"""The report draws its figures in forked workers when it has cores: same bytes, same order."""
import os

import pytest

from planner.plots.base import panels
from planner.report import figures


def _maker(k):
    def make():
        fig, axes = panels(1, f"figure {k}")
        axes[0].plot(range(k + 2), [i * k for i in range(k + 2)])
        return fig
    return make


@pytest.mark.skipif(not figures._can_fork(), reason="needs fork")
def test_forked_figures_are_the_ones_drawn_in_process(monkeypatch):
    makers = [_maker(k) for k in range(3)]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    forked = figures._render_all(makers)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    alone = figures._render_all(makers)
    assert forked == alone and len({png for png, _ in forked}) == 3
    assert figures._MAKERS == []


class _Odd(Exception):
    def __init__(self, a, b):  # does not pickle back: BrokenProcessPool without the text
        super().__init__(f"{a}/{b}")


def _failing():
    raise _Odd("odd", "maker")


@pytest.mark.skipif(not figures._can_fork(), reason="needs fork")
@pytest.mark.parametrize("cores", [{0}, {0, 1}])
def test_a_failing_figure_names_its_error_in_and_out_of_process(monkeypatch, cores):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cores, raising=False)
    with pytest.raises(RuntimeError, match="a report figure failed(.|\n)*_Odd: odd/maker"):
        figures._render_all([_maker(1), _failing])
    assert figures._MAKERS == []
