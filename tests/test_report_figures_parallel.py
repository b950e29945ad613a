"""The report draws its figures in worker processes when it has cores (forked for the call,
or started early by warm_workers): same bytes, same order, failures named."""
import os
from functools import partial

import pytest

from planner.plots.base import panels
from planner.report import figures


def _draw(k):
    fig, axes = panels(1, f"figure {k}")
    axes[0].plot(range(k + 2), [i * k for i in range(k + 2)])
    return fig


MAKERS = [partial(_draw, k) for k in range(3)]


def _cores(monkeypatch, cores):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cores, raising=False)


@pytest.mark.skipif(not figures._can_fork(), reason="needs fork")
def test_figures_drawn_by_workers_are_the_ones_drawn_in_process(monkeypatch):
    _cores(monkeypatch, {0, 1})
    forked = figures._render_all(MAKERS)
    with figures.warm_workers():
        assert len(figures._WARM) == 1
        warm = figures._render_all(MAKERS)
    assert figures._WARM == []
    _cores(monkeypatch, {0})
    alone = figures._render_all(MAKERS)
    assert forked == warm == alone and len({png for png, _ in alone}) == 3


def test_no_warm_workers_with_one_core_or_when_not_enabled(monkeypatch):
    _cores(monkeypatch, {0, 1})
    with figures.warm_workers(enabled=False):
        assert figures._WARM == []
    _cores(monkeypatch, {0})
    with figures.warm_workers():
        assert figures._WARM == []


@pytest.mark.skipif(not figures._can_fork(), reason="needs fork")
def test_warm_workers_are_stopped_when_the_block_raises(monkeypatch):
    _cores(monkeypatch, {0, 1})
    with pytest.raises(KeyboardInterrupt):
        with figures.warm_workers():
            pool = figures._WARM[-1]
            processes = list(pool._processes.values())
            raise KeyboardInterrupt
    assert figures._WARM == [] and processes
    for process in processes:
        process.join(timeout=10)
        assert not process.is_alive()


class _Odd(Exception):
    def __init__(self, a, b):  # does not pickle back: BrokenProcessPool without the text
        super().__init__(f"{a}/{b}")


def _failing():
    raise _Odd("odd", "maker")


@pytest.mark.skipif(not figures._can_fork(), reason="needs fork")
@pytest.mark.parametrize("cores", [{0}, {0, 1}])
def test_a_failing_figure_names_its_error_in_and_out_of_process(monkeypatch, cores):
    _cores(monkeypatch, cores)
    with pytest.raises(RuntimeError, match="a report figure failed(.|\n)*_Odd: odd/maker"):
        figures._render_all([MAKERS[1], _failing])
    with pytest.raises(RuntimeError, match="a report figure failed(.|\n)*_Odd: odd/maker"):
        with figures.warm_workers():
            figures._render_all([MAKERS[1], _failing])


@pytest.mark.skipif(not figures._can_fork(), reason="needs fork")
def test_a_failing_warm_up_is_only_a_lost_head_start(monkeypatch):
    """Workers whose matplotlib warm-up fails still draw; a failing figure is still named."""
    _cores(monkeypatch, {0, 1})

    def broken():
        raise RuntimeError("no fonts")

    monkeypatch.setattr(figures.plots, "warm_up", broken)
    alone = [figures._render_one(make) for make in MAKERS]
    with figures.warm_workers():
        assert figures._render_all(MAKERS) == alone
        with pytest.raises(RuntimeError, match="a report figure failed(.|\n)*_Odd: odd/maker"):
            figures._render_all([_failing])


@pytest.mark.skipif(not figures._can_fork(), reason="needs fork")
def test_workers_draw_without_cyclic_gc_and_the_caller_keeps_it(monkeypatch):
    import gc

    _cores(monkeypatch, {0, 1})
    with figures.warm_workers():
        in_worker = figures._WARM[-1].submit(gc.isenabled).result()
    assert in_worker is False and gc.isenabled()
