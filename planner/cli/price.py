"""`planner price`: what charging a different list price does to a model's volume and profit."""
from __future__ import annotations

import click

from planner.cli.util import (ELASTIC_OPTION, SCENARIO_ARG, SET_OPTION, PlotFile, quarters_option,
                              reports_errors)


def _prices(ctx, param, value):
    """--prices 10,25,50 -> [10.0, 25.0, 50.0] (exit 2 on anything else)."""
    if value is None:
        return None
    try:
        prices = [float(p) for p in value.split(",") if p.strip()]
    except ValueError:
        raise click.BadParameter("expected prices separated by commas, e.g. 10,25,50") from None
    if not prices or any(not (p > 0 and p < float("inf")) for p in prices):
        raise click.BadParameter("every price must be a finite number > 0, e.g. 10,25,50")
    return sorted(set(prices))


@click.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--model", required=True, help="Model to price (a key of the scenario's demand).")
@click.option("--quarter", default=None,
              help="Report this quarter only (default: the whole horizon). The plan is still "
                   "re-solved over the horizon at each price.")
@click.option("--prices", callback=_prices, default=None, metavar="P1,P2,...",
              help="List output prices to try, $ per M (default: nine from 1/4 to 4x the "
                   "model's list output price in --quarter, or its first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", "plot_file", type=PlotFile(),
              help="Write revenue and profit against price (PNG, SVG or PDF).")
@click.option("--quiet", "-q", is_flag=True, help="Show no progress on stderr.")
@ELASTIC_OPTION
@reports_errors
def price(scenario, overrides, allow_extends, model, quarter, prices, as_json, plot_file, quiet,
          elastic):
    """Revenue and profit of MODEL as a function of its list price.

    \b
    Each price re-plans the fleet with MODEL's whole rate card scaled to that output price
    (input prices in proportion) and every other model at its list prices, so MODEL
    competes for capacity at that price; with price-responsive demand (the default
    scenario's, or demand.MODEL.elasticity < 0) its demand also moves along its curve.
    Per price: demand and served tokens, revenue (served x list revenue), serving cost (its
    chip-hours), model profit = revenue - serving cost, and the fleet's operating profit
    (all installed chips).
    Examples: planner price --model flagship --quarter 2027Q1
              planner price --model mythos-class --prices 10,25,50,100 --plot price.png
    """
    from planner.output.progress import Stages
    from planner.output.tables import format_table, json_text, to_records
    from planner.queries.pricing import price_curve, price_grid
    from planner.queries.when import check_model
    from planner.scenario.loaded import load_scenario

    loaded = load_scenario(scenario, overrides, allow_extends, elastic=elastic)
    check_model(loaded, model)
    q = quarters_option(loaded.scenario, [quarter])[0] if quarter else None
    grid = prices if prices is not None else list(price_grid(loaded, model, q))
    with Stages(len(grid), quiet) as stage:
        curve = price_curve(loaded, model, grid, str(q) if q else None,
                            on_point=lambda: stage.bar.update(1))
    scope = str(q) if q else (f"{loaded.scenario.horizon.start}-"
                              f"{loaded.scenario.horizon.end}")
    if plot_file:
        from planner.plots import price_figure, save

        save(price_figure(curve, model, scope), plot_file)
    best = curve.loc[curve["model_profit_usd"].idxmax()]
    if as_json:
        click.echo(json_text({"model": model, "quarter": str(q) if q else None,
                              "points": to_records(curve),
                              "best_price_usd_per_m_output": float(
                                  best["price_usd_per_m_output"])}))
        return
    view = curve.assign(**{
        "demand_T": curve["demand_output_tokens"] / 1e12,
        "served_T": curve["served_output_tokens"] / 1e12,
        "served": curve["served_fraction"].map(lambda f: "no demand" if f != f else f"{f:.0%}"),
        "revenue_$B": curve["revenue_usd"] / 1e9,
        "serving_cost_$B": curve["serving_cost_usd"] / 1e9,
        "model_profit_$B": curve["model_profit_usd"] / 1e9,
        "fleet_profit_$B": curve["fleet_profit_usd"] / 1e9,
    })[["price_usd_per_m_output", "demand_T", "served_T", "served", "revenue_$B",
        "serving_cost_$B", "model_profit_$B", "fleet_profit_$B"]].rename(
        columns={"price_usd_per_m_output": "price_out"})
    click.echo(format_table(view, f"{model} by list output price ($ per M; input prices in "
                                  f"proportion), {scope}; tokens in T, money in $B"))
    click.echo(f"most model profit at ${best['price_usd_per_m_output']:,.4g}/M output "
               f"(${best['model_profit_usd'] / 1e9:,.2f}B)"
               + ("; at the edge of the prices tried, widen --prices"
                  if best.name in (curve.index[0], curve.index[-1]) and len(curve) > 1 else ""))
