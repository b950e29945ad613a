"""Plots: fixed pixel sizes, non-empty PNG and SVG, byte-identical renders, safe names."""
import struct

import pandas as pd
import pytest

from planner import plots
from planner.errors import InputError


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def economics(models=("a", "b"), quarters=("2026Q1", "2026Q2", "2026Q3")) -> pd.DataFrame:
    rows = []
    for i, m in enumerate(models):
        for j, q in enumerate(quarters):
            demand = 1e9 * (j + 1)
            served = demand * (0.5 if j == 1 else 1.0)
            rows.append({"model": m, "quarter": q, "demand_output_tokens_per_day": demand,
                         "served_output_tokens_per_day": served,
                         "unmet_output_tokens_per_day": demand - served,
                         "served_fraction": served / demand,
                         "cost_usd_per_m_output_all_in": 0.5 + i, "list_usd_per_m_output": 10.0,
                         "revenue_usd_per_m_output": 12.0,
                         "break_even_price_usd_per_m_output": (0.5 + i) * 10 / 12,
                         "price_at_target_margin_usd_per_m_output": 1.0 + i,
                         "achievable_price_usd_per_m_output": 2.0 + i})
    return pd.DataFrame(rows)


def utilisation(systems=("rack", "pod"), quarters=("2026Q1", "2026Q2", "2026Q3")) -> pd.DataFrame:
    return pd.DataFrame([{"system": s, "quarter": q, "capacity_chips": 100.0 * (k + 1),
                          "used_chips": 50.0, "utilisation": 0.5,
                          "shadow_price_usd_per_chip_hour": float(j)}
                         for k, s in enumerate(systems) for j, q in enumerate(quarters)])


def allocation() -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "system": s, "quarter": q, "chips": 10.0}
                         for m in ("a", "b") for s in ("rack", "pod")
                         for q in ("2026Q1", "2026Q2", "2026Q3")])


def pareto() -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame({"output_tokens_per_s_per_user": [10.0, 30.0, 100.0],
                          "usd_per_m_output": [1.0, 2.0, 20.0], "meets_slo": [False, True, True]})
    return {"rack": frame, "pod": frame * [1, 2, 1]}


FIGURES = {
    "allocation": (lambda: plots.allocation_figure(allocation(), utilisation(), "t"), 2),
    "demand": (lambda: plots.demand_figure(economics(), "t"), 2),
    "cost": (lambda: plots.cost_figure(economics(models=("a", "b", "c", "d")), "t"), 4),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_small_multiples_have_the_documented_pixel_size(name):
    make, panels = FIGURES[name]
    png = plots.render(make(), "png")
    assert len(png) > 5000
    assert png_size(png) == plots.panel_size_px(panels)


def test_panel_sizes_by_hand():
    assert plots.panel_size_px(1) == (1000, 360)   # 0.8 in title + 2.8 in per row, 100 dpi
    assert plots.panel_size_px(3) == (1000, 360)
    assert plots.panel_size_px(4) == (1000, 640)
    assert plots.grid_shape(7) == (3, 3)


def test_only_the_bottom_panel_of_each_column_has_quarter_labels():
    from planner.plots.base import has_panel_below

    # 4 panels in 3 columns: the first has the fourth below it
    assert [has_panel_below(i, 4) for i in range(4)] == [True, False, False, False]
    assert [has_panel_below(i, 7) for i in range(7)] == [True] * 4 + [False] * 3
    assert not has_panel_below(0, 1)
    fig = plots.cost_figure(economics(models=("a", "b", "c", "d")), "t")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    labelled = [any(t.get_visible() and t.get_text() for t in ax.get_xticklabels())
                for ax in axes]
    assert labelled == [False, True, True, True]
    assert [t.get_text() for t in axes[3].get_xticklabels()] == ["2026Q1", "2026Q2", "2026Q3"]
    assert len(axes[0].get_xticks()) == 3  # the ticks stay, only their labels go


def test_quarters_without_demand_are_shaded_as_one_band_per_run():
    from matplotlib.patches import Rectangle

    frame = economics(models=("a",), quarters=("2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"))
    frame.loc[frame["quarter"].isin(["2026Q1", "2026Q2", "2026Q4"]),
              "demand_output_tokens_per_day"] = 0.0
    ax = plots.cost_figure(frame, "t").axes[0]
    bands = sorted(p.get_x() for p in ax.patches if isinstance(p, Rectangle)
                   and p.get_facecolor()[:3] == (0.9, 0.9, 0.9))
    assert bands == [-0.5, 2.5]


def test_single_plots_are_1000_by_500_and_svg_is_svg():
    for fig in (plots.shadow_price_figure(utilisation(), "t"),
                plots.pareto_figure(pareto(), "a", "2026Q3", min_speed=20)):
        svg = plots.render(fig, "svg", close=False)
        png = plots.render(fig, "png")
        assert png_size(png) == (1000, 500)
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg and len(svg) > 5000


def test_renders_are_byte_identical_and_dateless():
    first = [plots.render(plots.cost_figure(economics(), "t"), f) for f in ("png", "svg")]
    second = [plots.render(plots.cost_figure(economics(), "t"), f) for f in ("png", "svg")]
    assert first == second
    assert b"<dc:date>" not in first[1]
    assert b"Software" not in first[0]


def test_names_with_dollars_and_markup_do_not_break_matplotlib():
    frame = economics(models=("$x$ <b>", "a$b"))
    png = plots.render(plots.cost_figure(frame, "cost of $5"), "png")
    assert png_size(png) == plots.panel_size_px(2)


def test_save_writes_by_extension_and_refuses_unknown(tmp_path):
    target = tmp_path / "f.svg"
    plots.plot_pareto(pareto(), "a", "2026Q3", str(target))
    assert target.read_bytes().lstrip().startswith(b"<?xml")
    with pytest.raises(InputError, match="unknown plot format"):
        plots.plot_pareto(pareto(), "a", "2026Q3", str(tmp_path / "f.txt"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.svg"]
