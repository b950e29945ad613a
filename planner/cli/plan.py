"""Planning commands: run (the main job), when, report."""
from __future__ import annotations

import click

from planner.cli.util import (ELASTIC_OPTION, SCENARIO_ARG, SET_OPTION, FiniteFloat, SafePath,
                              reports_errors)
from planner.errors import InputError, Problem


@click.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--out", "out_dir", type=SafePath(file_okay=False),
              help="Write allocation.csv, economics.csv, pnl.csv (fleet P&L), summary.json and "
                   "timings.json here.")
@click.option("--force", is_flag=True, help="Replace a non-empty --out directory.")
@click.option("--integer", "integer", flag_value="round", default=None,
              help="Whole replicas: LP relaxation rounded down and topped up greedily.")
@click.option("--exact", "integer", flag_value="exact",
              help="Whole replicas by a true MILP (with --time-limit and --gap).")
@click.option("--solver", "backend", type=click.Choice(["highs", "cbc"]), default=None,
              help="LP/MILP solver (default: the scenario's, highs).")
@click.option("--time-limit", type=FiniteFloat(min=0, min_open=True), default=None,
              help="Seconds the solver may take (MILP).")
@click.option("--gap", type=FiniteFloat(0, 1, min_open=True, max_open=True), default=None,
              help="Relative MILP gap to stop at.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary JSON instead of tables.")
@click.option("--report", "with_report", is_flag=True,
              help="With --out: also write report.html (one self-contained page), plots/ (PNG "
                   "and SVG) and pareto.csv.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["csv", "parquet", "xlsx"]),
              help="With --out: also write the tables as CSV (utilisation.csv), Parquet "
                   "(*.parquet) or Excel (tables.xlsx); repeatable.")
@click.option("--wide", is_flag=True,
              help="Print tables as wide as they come instead of fitting them to the terminal "
                   "width ($COLUMNS, default 120).")
@click.option("--model", "models", multiple=True, metavar="MODEL",
              help="Show only this model's rows in the tables (repeatable; the summary and the "
                   "files keep every model).")
@click.option("--quarter", "quarter_texts", multiple=True, metavar="QUARTER",
              help="Show only this quarter's rows in the tables, e.g. 2026Q3 (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="Show no progress on stderr.")
@click.option("--buy", is_flag=True,
              help="Let the plan buy chips: the scenario's `procurement` section, or the "
                   "embedded vendor allocations when it has none (purchases.csv).")
@ELASTIC_OPTION
@reports_errors
def run(scenario, overrides, allow_extends, out_dir, force, integer, backend, time_limit, gap,
        as_json, with_report, formats, wide, models, quarter_texts, quiet, buy, elastic):
    """Plan the fleet quarter by quarter: allocation, served demand, cost, margin, scarcity.

    \b
    The terminal output starts with a summary (unmet demand and lost revenue, the bottleneck
    system, the capacity gap, idle chips and their cost, operating profit by year), then the
    tables: economics per model and quarter, allocation, utilisation and shadow prices.
    Warnings about implausible inputs or results go to stderr (and summary.json "warnings").
    \b
    Examples:
      planner run                                  the embedded default scenario
      planner run my.yaml --out results/           also write CSV/JSON files
      planner run --model flagship --quarter 2026Q3 --quarter 2026Q4
      planner run --set economics.target_margin=0.5 --integer
      planner run --set economics.migration_penalty_usd_per_chip=0   plans free to move
      planner run --out results/ --report --format xlsx   report.html and tables.xlsx too
      planner run --buy                            what to buy from the vendor allocations
    """
    from planner.cli.util import pick, quarters_option
    from planner.output.atomic import check_destination
    from planner.output.exports import describe
    from planner.output.files import summary, write_run
    from planner.output.progress import Stages
    from planner.output.tables import json_text, terminal_width
    from planner.output.terminal import render
    from planner.report.figures import warm_workers
    from planner.run.plan import make_plan
    from planner.scenario.loaded import load_scenario

    if (with_report or formats) and out_dir is None:
        flag = "--report" if with_report else "--format"
        raise InputError([Problem(flag, None, "", "needs --out DIR to write into")])
    with warm_workers(with_report), Stages(3 if out_dir else 2, quiet) as stage:
        with stage("loading scenario"):
            loaded = load_scenario(scenario, overrides, allow_extends, buy=buy, elastic=elastic)
            if models:
                pick(loaded, "models", models)
            shown_quarters = tuple(str(q) for q in quarters_option(loaded.scenario, quarter_texts))
            if out_dir is not None:  # refuse a bad destination before the work, not after
                check_destination(out_dir, force, loaded.doc.files())
        with stage("planning: cost core and solver"):
            plan = make_plan(loaded, integer=integer, backend=backend, time_limit_s=time_limit,
                             gap=gap)
        for warning in plan.warnings:
            click.echo(f"warning: {warning}", err=True)
        if out_dir:
            with stage("writing files" + (", plots and report" if with_report else "")):
                files = write_run(plan, out_dir, force=force,
                                  extra=_run_extras(plan, formats, with_report))
    if as_json:
        click.echo(json_text(summary(plan)))
    else:
        click.echo(render(plan, None if wide else terminal_width(), models, shown_quarters))
    if out_dir:
        click.echo(f"wrote {describe(files)} to {out_dir}", err=True)


def _run_extras(plan, formats: tuple[str, ...], report: bool):
    """The ``extra`` writer of ``write_run`` for `planner run --out`: the table exports of
    ``formats``, then pareto.csv and the report when ``report``."""

    def write(directory: str) -> list[str]:
        from planner.output.exports import run_tables, write_tables
        from planner.output.files import provenance

        names = write_tables(run_tables(plan), provenance(plan), directory, formats) if formats else []
        if report:
            from planner.report import write_report
            from planner.report.rundata import write_pareto

            names += write_pareto(plan, directory)
            names += write_report(directory, fresh=True)
        return names

    return write


@click.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--model", required=True, help="Model to serve (a key of the scenario's demand).")
@click.option("--price-output", type=FiniteFloat(min=0), default=None,
              help="Price per M output tokens. Alone it scales the model's whole list rate "
                   "card (input and cached input too) to it. Omit to print the lowest price "
                   "per quarter.")
@click.option("--price-input", type=FiniteFloat(min=0), default=None,
              help="Price per M input tokens (default: the list price). Alone it keeps the "
                   "list cache discount: the cached-input price moves in proportion.")
@click.option("--price-cached", type=FiniteFloat(min=0), default=None,
              help="Price per M cached input tokens (default: the list's, or scaled with "
                   "--price-input).")
@click.option("--margin", type=FiniteFloat(0, 1, max_open=True), default=None,
              help="Gross margin to hold (default: economics.target_margin).")
@click.option("--share", type=FiniteFloat(0, 1, min_open=True), default=1.0, show_default=True,
              help="Share of the model's demand that must be served, within 0.1 %: 1 means at "
                   "least 99.9 % (the rule the report and the sweep use too).")
@click.option("--per-task", "task", metavar="TASK", default=None,
              help="Also report tokens, cost, price, margin and lowest price per task of "
                   "family TASK (the model's tokens_per_task); the answer is unchanged.")
@click.option("--price-per-task", type=FiniteFloat(min=0, min_open=True), default=None,
              help="With --per-task: sell MODEL at this $ per task instead of per-token prices "
                   "(its rate card is scaled so one task costs this); the margin is then held "
                   "on the task.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--buy", is_flag=True,
              help="Allow purchases: the scenario's `procurement` section, or the embedded "
                   "vendor allocations when it has none; the answer lists what the plan buys, "
                   "what MODEL adds to those orders (against the same plan without its "
                   "demand; one more solve) and the NVL72-class share of the fleet.")
@ELASTIC_OPTION
@reports_errors
def when(scenario, overrides, allow_extends, model, price_output, price_input, price_cached,
         margin, share, task, price_per_task, as_json, buy, elastic):
    """When can MODEL's demand be served at a price with the target margin?

    \b
    Re-plans the fleet with MODEL sold at --price-output, so it competes with the other
    models for capacity, and reports per quarter the cost, margin, served fraction and what
    binds (no system fits, not enough capacity, cost too high). With price-responsive
    demand (the default scenario's; --inelastic for fixed demand) the demand is the
    curve's at that price and clearing_out is the price at which it equals what is served.
    Per task: --price-output/--price-input stay $ per M tokens; --per-task TASK adds
    cost_usd_per_task (input tokens x cost per M input + output tokens x cost per M output,
    on the systems used), price_usd_per_task (the same with the prices, input at the
    model's cache mix), margin_per_task and lowest_price_usd_per_task (cost / (1 - margin)).
    --price-per-task P instead scales the whole rate card (input, cached input, output) in
    every price period so one TASK costs $P, and holds the margin on the task.
    Examples: planner when --model mythos-class --price-output 50 --margin 0.5
              planner when --model mythos-class --per-task coding-agent --price-per-task 1
              planner when --model mythos-class --price-output 25 --buy
    """
    import textwrap

    from planner.output.tables import format_fitted, json_text, terminal_width
    from planner.queries.when import terminal_view
    from planner.queries.when import when as answer_when
    from planner.scenario.loaded import load_scenario

    loaded = load_scenario(scenario, overrides, allow_extends, buy=buy, elastic=elastic)
    answer = answer_when(loaded, model, price_output, price_input, margin, share, task=task,
                         price_per_task=price_per_task, price_cached=price_cached)
    if as_json:
        click.echo(json_text(answer.to_json()))
        return
    price = (f"${price_output:g}/M output" if price_output is not None
             else f"${price_per_task:g} per {task} task" if price_per_task is not None
             else "the lowest price per quarter")
    click.echo(f"{model} at {price}, margin >= {answer.margin:.0%}, share >= {share:.0%}:")
    if price_per_task is None:
        last = answer.quarters.iloc[-1]
        how = ("the list rate card scaled to that output price in each quarter"
               if price_output is not None and price_input is None and price_cached is None
               else "the list's" if price_output is None and price_input is None
               and price_cached is None else "as given; unset parts from the list")
        click.echo(textwrap.fill(f"price vector ({how}), {last['quarter']}: "
                                 f"${last['price_usd_per_m_input']:g} input, "
                                 f"${last['price_usd_per_m_cached_input']:g} cached input, "
                                 f"${last['price_usd_per_m_output']:g} output per M tokens",
                                 terminal_width()))
    if price_output is not None or price_per_task is not None:
        if answer.earliest_quarter:
            click.echo(f"earliest quarter: {answer.earliest_quarter} (and every quarter after it)")
        else:
            click.echo("earliest quarter: none in the horizon"
                       + (f" (last failing quarter {answer.reason})" if answer.reason else ""))
        if answer.first_quarter and not answer.sustained:
            click.echo(f"first qualifying quarter: {answer.first_quarter}, but not sustained")
    view = answer.quarters
    if task:
        click.echo(f"tokens per {task} task: {view['input_tokens_per_task'].iloc[0]:,.0f} in / "
                   f"{view['output_tokens_per_task'].iloc[0]:,.0f} out")
    click.echo(format_fitted(terminal_view(view, per_task=task is not None),
                             "Per quarter: demand in B output tokens a day; prices in, cached, "
                             "out and lowest_out in $ per M tokens; cost_all_in and revenue in "
                             "$ per M output tokens with their input tokens (margin = 1 - "
                             "cost_all_in / revenue)",
                             ["quarter"], terminal_width()))
    if answer.purchases is not None:
        from planner.run.procurement import purchase_lines

        click.echo("Purchases of this plan (all models; purchases.csv via planner run --buy --out):")
        for line in purchase_lines(answer.purchases) + added_lines(answer):
            click.echo(textwrap.fill(line, terminal_width(), subsequent_indent="    "))


def added_lines(answer) -> list[str]:
    """`when --buy`: the orders the model adds and the NVL72-class share they leave."""
    added = answer.orders_added
    moved = added[added["chips_added"].abs() >= 0.5]
    def usd(x: float) -> str:
        return f"{'-' if x < 0 else '+'}${abs(x) / 1e9:,.2f}B"

    parts = [f"{r.system} {r.chips_added:+,.0f} chips"
             + (f" ({usd(r.capex_added_usd)})" if abs(r.capex_added_usd) >= 5e5 else "")
             for r in moved.itertuples()]
    lines = [f"  orders {answer.model} adds (this plan minus the same plan without its demand): "
             + (", ".join(parts) + f"; capex {usd(moved['capex_added_usd'].sum())}"
                if parts else "none (the plan buys the same without it)")]
    share = answer.nvl72_share.set_index("quarter")
    at = [q for q in dict.fromkeys([answer.earliest_quarter, share.index[-1]]) if q]
    lines.append("  NVL72-class share of available chips (GB200/GB300/Rubin racks; without "
                 f"{answer.model}'s demand): " + ", ".join(
                     f"{q} {share.at[q, 'with_model']:.1%} ({share.at[q, 'without_model']:.1%})"
                     for q in at) + " (per quarter in --json nvl72_class_share)")
    return lines


@click.command()
@click.argument("directory", type=SafePath(file_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing report.html and plots/.")
@click.option("--quiet", "-q", is_flag=True, help="Show no progress on stderr.")
@reports_errors
def report(directory, force, quiet):
    """Write DIRECTORY/report.html and DIRECTORY/plots/ from a run directory's files.

    \b
    The report is one self-contained HTML page (inline images, CSS and JS; no network) with
    the scenario's provenance, key findings (when each model is servable at its list price
    and target margin, biggest shortages, scarcest hardware), plots and sortable tables.
    It reads summary.json (and pareto.csv, written by `planner run --out DIR --report`).
    Example: planner run my.yaml --out results/ && planner report results/
    """
    from planner.output.exports import describe
    from planner.output.progress import Stages
    from planner.report import write_report

    with Stages(1, quiet) as stage:
        with stage("rendering plots and report"):
            files = write_report(directory, force=force)
    click.echo(f"wrote {describe(files)} to {directory}", err=True)
