"""The `planner` command line. Heavy libraries are imported inside commands, not at start-up."""
from __future__ import annotations

import functools
import sys

import click

from planner.errors import InputError, Problem, RunError

SCENARIO_ARG = click.argument("scenario", required=False, type=click.Path(dir_okay=False))
SET_OPTION = click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE",
    help="Override one scenario value, e.g. --set economics.target_margin=0.5 (repeatable; "
         "applied last).")


def reports_errors(command):
    """Map input errors to exit 2 and run failures to exit 1, as messages, never tracebacks."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            n = len(exc.problems)
            click.echo(f"{n} problem{'s' if n != 1 else ''} found; nothing was run or written.",
                       err=True)
            sys.exit(2)
        except RunError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            # --out results are written atomically: an interrupted run leaves nothing behind
            click.echo("interrupted; nothing written", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="fleet-planner")
def main():
    """Fleet capacity and economics planner for large-model inference.

    \b
    It answers, quarter by quarter through 2028:
      planner run                        which model runs on which hardware, served and unmet
                                         demand, cost per M tokens, margins, scarcity prices
      planner when --model M --price-output P
                                         the earliest quarter M can be served at price P
      planner validate / show / diff     review a scenario YAML change
      planner sweep                      P10/P50/P90 over uncertain inputs (seeded, Dask-ready)
      planner cost / pareto / size       cost per token and per task, speed frontiers, and
                                         the largest model a price allows on a system
      planner calibrate                  the cost model against measured throughput
    With no SCENARIO, commands use the embedded default scenario (see `planner show`).
    Exit codes: 0 success, 1 a run that could not complete, 2 bad input or usage.
    """


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@SET_OPTION
@reports_errors
def validate(scenarios, overrides):
    """Check scenario files without running anything; report every problem at once."""
    from planner.scenario import load_scenario

    problems = []
    for path in scenarios:
        try:
            loaded = load_scenario(path, overrides)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        s = loaded.scenario
        click.echo(f"{path}: ok ({len(s.systems)} systems, {len(s.models)} models, "
                   f"{len(s.demand)} demand series, {s.horizon.start}-{s.horizon.end})")
    if problems:
        raise InputError(problems)


@main.command()
@SCENARIO_ARG
@SET_OPTION
@reports_errors
def show(scenario, overrides):
    """Print the resolved scenario (defaults, extends and --set applied) as YAML."""
    import yaml

    from planner.scenario import load_scenario

    loaded = load_scenario(scenario, overrides)
    data = loaded.scenario.model_dump(mode="json", exclude_none=True)
    click.echo(yaml.safe_dump(data, sort_keys=False, width=100), nl=False)


@main.command()
def schema():
    """Print the scenario JSON Schema (for editor completion and reviews)."""
    import json

    from planner.schema import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@main.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@reports_errors
def catalog(scenario, overrides, as_json):
    """List the scenario's systems and models as tables."""
    from planner.catalog import catalog_tables
    from planner.scenario import load_scenario
    from planner.tables import emit

    loaded = load_scenario(scenario, overrides)
    emit(catalog_tables(loaded.scenario), as_json)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@reports_errors
def init(directory):
    """Write an editable copy of the default scenario into DIRECTORY, split into files."""
    from planner.scaffold import write_scaffold

    for path in write_scaffold(directory):
        click.echo(f"wrote {path}")
    click.echo(f"check it with: planner validate {directory}/scenario.yaml")


@main.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write allocation.csv, economics.csv, summary.json, timings.json here.")
@click.option("--force", is_flag=True, help="Replace a non-empty --out directory.")
@click.option("--integer", "integer", flag_value="round", default=None,
              help="Whole replicas: LP relaxation rounded down and topped up greedily.")
@click.option("--exact", "integer", flag_value="exact",
              help="Whole replicas by a true MILP (with --time-limit and --gap).")
@click.option("--solver", "backend", type=click.Choice(["highs", "cbc"]), default=None,
              help="LP/MILP solver (default: the scenario's, highs).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds the solver may take (MILP).")
@click.option("--gap", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Relative MILP gap to stop at.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary JSON instead of tables.")
@click.option("--report", "with_report", is_flag=True,
              help="With --out: also write report.html (one self-contained page), plots/ (PNG "
                   "and SVG) and pareto.csv.")
@click.option("--format", "formats", multiple=True, type=click.Choice(["csv", "parquet", "xlsx"]),
              help="With --out: also write the tables as CSV (utilisation.csv), Parquet "
                   "(*.parquet) or Excel (tables.xlsx); repeatable.")
@click.option("--quiet", "-q", is_flag=True, help="Show no progress on stderr.")
@reports_errors
def run(scenario, overrides, out_dir, force, integer, backend, time_limit, gap, as_json,
        with_report, formats, quiet):
    """Plan the fleet quarter by quarter: allocation, served demand, cost, margin, scarcity.

    \b
    Examples:
      planner run                                  the embedded default scenario
      planner run my.yaml --out results/           also write CSV/JSON files
      planner run --set economics.target_margin=0.5 --integer
      planner run --out results/ --report --format xlsx   report.html and tables.xlsx too
    """
    import json

    from planner.exports import describe, run_extras
    from planner.plan import make_plan
    from planner.progress import Stages
    from planner.runfiles import summary, write_run
    from planner.runview import render
    from planner.scenario import load_scenario

    if (with_report or formats) and not out_dir:
        flag = "--report" if with_report else "--format"
        raise InputError([Problem(flag, None, "", "needs --out DIR to write into")])
    with Stages(3 if out_dir else 2, quiet) as stage:
        with stage("loading scenario"):
            loaded = load_scenario(scenario, overrides)
        with stage("planning: cost core and solver"):
            plan = make_plan(loaded, integer=integer, backend=backend, time_limit_s=time_limit,
                             gap=gap)
        for warning in plan.solver_info.get("warnings", ()):
            click.echo(f"warning: {warning}", err=True)
        if out_dir:
            with stage("writing files" + (", plots and report" if with_report else "")):
                files = write_run(plan, out_dir, force=force,
                                  extra=run_extras(plan, formats, with_report))
    if as_json:
        click.echo(json.dumps(summary(plan), indent=1))
    else:
        click.echo(render(plan))
    if out_dir:
        click.echo(f"wrote {describe(files)} to {out_dir}", err=True)


@main.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--model", required=True, help="Model to serve (a key of the scenario's demand).")
@click.option("--price-output", type=click.FloatRange(min=0), default=None,
              help="Price per M output tokens. Omit to print the lowest price per quarter.")
@click.option("--price-input", type=click.FloatRange(min=0), default=None,
              help="Price per M input tokens (default: the list price).")
@click.option("--margin", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Gross margin to hold (default: economics.target_margin).")
@click.option("--share", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="Share of the model's demand that must be served.")
@click.option("--per-task", "task", metavar="TASK", default=None,
              help="Also report tokens, cost, price, margin and lowest price per task of "
                   "family TASK (the model's tokens_per_task); the answer is unchanged.")
@click.option("--price-per-task", type=click.FloatRange(min=0, min_open=True), default=None,
              help="With --per-task: sell MODEL at this $ per task instead of per-token prices "
                   "(its rate card is scaled so one task costs this); the margin is then held "
                   "on the task.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def when(scenario, overrides, model, price_output, price_input, margin, share, task,
         price_per_task, as_json):
    """When can MODEL's demand be served at a price with the target margin?

    \b
    Re-plans the fleet with MODEL sold at --price-output, so it competes with the other
    models for capacity, and reports per quarter the cost, margin, served fraction and what
    binds (no system fits, not enough capacity, cost too high).
    Per task: --price-output/--price-input stay $ per M tokens; --per-task TASK adds
    cost_usd_per_task (input tokens x cost per M input + output tokens x cost per M output,
    on the systems used), price_usd_per_task (the same with the prices, input at the
    model's cache mix), margin_per_task and lowest_price_usd_per_task (cost / (1 - margin)).
    --price-per-task P instead scales the whole rate card (input, cached input, output) in
    every price period so one TASK costs $P, and holds the margin on the task.
    Examples: planner when --model mythos-class --price-output 50 --margin 0.5
              planner when --model mythos-class --per-task coding-agent --price-per-task 1
    """
    import json

    from planner.scenario import load_scenario
    from planner.tables import format_table
    from planner.when import when as answer_when

    loaded = load_scenario(scenario, overrides)
    answer = answer_when(loaded, model, price_output, price_input, margin, share, task=task,
                         price_per_task=price_per_task)
    if as_json:
        click.echo(json.dumps(answer.to_json(), indent=1))
        return
    price = (f"${price_output:g}/M output" if price_output is not None
             else f"${price_per_task:g} per {task} task" if price_per_task is not None
             else "the lowest price per quarter")
    click.echo(f"{model} at {price}, margin >= {answer.margin:.0%}, share >= {share:.0%}:")
    if price_output is not None or price_per_task is not None:
        click.echo(f"earliest quarter: {answer.earliest_quarter or 'none in the horizon'}"
                   + (f" (last quarter {answer.reason})" if answer.reason else ""))
    view = answer.quarters.drop(columns=["ok"])
    if task:
        from planner.when import per_task_view

        click.echo(f"tokens per {task} task: {view['input_tokens_per_task'].iloc[0]:,.0f} in / "
                   f"{view['output_tokens_per_task'].iloc[0]:,.0f} out")
        view = per_task_view(view)
    click.echo(format_table(view))


COST_JSON_KEYS = ("model", "system", "quarter", "feasible", "reason", "replica_chips", "batch",
                  "output_tokens_per_s_per_user", "output_tokens_per_s_per_chip",
                  "input_tokens_per_s_per_chip", "ttft_s", "usd_per_m_input", "usd_per_m_output",
                  "usd_per_m_blended", "m_output_per_chip_hour", "usd_per_chip_hour")


def _pick(loaded, kind: str, names: tuple[str, ...]) -> list[str]:
    """Validate --model/--system names against the scenario (exit 2 with suggestions)."""
    import difflib

    known = getattr(loaded.scenario, kind)
    problems = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(known)}"
            problems.append(Problem(f"--{kind[:-1]}", None, name, f"unknown {kind[:-1]}{hint}"))
    if problems:
        raise InputError(problems)
    return list(names) or list(known)


@main.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--model", "models", multiple=True, help="Only this model (repeatable).")
@click.option("--system", "systems", multiple=True, help="Only this system (repeatable).")
@click.option("--quarter", "quarters", multiple=True, help="Only this quarter, e.g. 2026Q3.")
@click.option("--per-task", "per_task", metavar="TASK", default=None,
              help="Cost per task of family TASK (models.<m>.tokens_per_task): a table of "
                   "models x systems by quarter, with the list price per task (default "
                   "quarters: the horizon's last of each year).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per row.")
@reports_errors
def cost(scenario, overrides, models, systems, quarters, per_task, as_json):
    """Cost and speed of the cheapest configuration per (model, system, quarter).

    \b
    The configuration (replica size, batch) is the cheapest per output token, input
    included, that meets the model's speed targets; infeasible pairs say why.
    With --per-task TASK: $ per task = (input tokens x $/M input + output tokens x
    $/M output) / 1e6 with the task's tokens on each model; --json adds task,
    input/output_tokens_per_task, usd_per_task and list_usd_per_task to each row.
    Examples: planner cost --model mythos-class --quarter 2026Q4
              planner cost --per-task coding-agent --quarter 2027Q4
    """
    import json

    from planner.plan import cost_table
    from planner.quarters import Quarter
    from planner.scenario import load_scenario
    from planner.tables import format_table, to_records
    from planner.timeline import horizon_quarters

    loaded = load_scenario(scenario, overrides)
    models, systems = _pick(loaded, "models", models), _pick(loaded, "systems", systems)
    if per_task:
        from planner.tasks import check_task, task_cost_report, task_quarters

        check_task(loaded.scenario, per_task)
    try:
        wanted = ([Quarter.parse(q) for q in quarters]
                  or (task_quarters if per_task else horizon_quarters)(loaded.scenario))
    except ValueError as exc:
        raise InputError([Problem("--quarter", None, "", str(exc))]) from None
    table, _ = cost_table(loaded, wanted)
    rows = table.table
    rows = rows[rows["model"].isin(models) & rows["system"].isin(systems)]
    if per_task:
        records, text = task_cost_report(loaded.scenario, rows, per_task, wanted, COST_JSON_KEYS)
        click.echo(json.dumps(records, indent=1) if as_json else text)
        return
    if as_json:
        click.echo(json.dumps(to_records(rows[list(COST_JSON_KEYS)]), indent=1))
        return
    view = rows[["model", "system", "quarter", "replica_chips", "batch",
                 "output_tokens_per_s_per_user", "output_tokens_per_s_per_chip", "ttft_s",
                 "usd_per_m_input", "usd_per_m_output", "usd_per_chip_hour", "reason"]]
    click.echo(format_table(view.rename(columns={
        "output_tokens_per_s_per_user": "tok_s_user", "output_tokens_per_s_per_chip": "tok_s_chip"})))


@main.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--model", required=True, help="Model.")
@click.option("--system", "systems", multiple=True, help="System (repeatable; default: all).")
@click.option("--quarter", default=None, help="Quarter (default: the horizon's last).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
              help="Write a log-log plot of the frontiers (PNG or SVG).")
@reports_errors
def pareto(scenario, overrides, model, systems, quarter, as_json, plot_file):
    """Cost-versus-speed Pareto frontier of a model on each system.

    Bigger batches are cheaper per token but slower per user; each point is a
    configuration no other beats on both. Example: planner pareto --model flagship --plot f.png
    """
    import json

    from planner.plan import cost_table
    from planner.quarters import Quarter
    from planner.scenario import load_scenario
    from planner.tables import format_table, to_records

    loaded = load_scenario(scenario, overrides)
    _pick(loaded, "models", (model,))
    systems = _pick(loaded, "systems", systems)
    try:
        q = Quarter.parse(quarter) if quarter else loaded.scenario.horizon.end
    except ValueError as exc:
        raise InputError([Problem("--quarter", None, "", str(exc))]) from None
    table, _ = cost_table(loaded, [q])
    frames = {s: table.pareto(model, s, q) for s in systems}
    frames = {s: f for s, f in frames.items() if not f.empty}
    if plot_file:
        from planner.plots import plot_pareto

        plot_pareto(frames, model, str(q), plot_file)
    if as_json:
        click.echo(json.dumps({s: to_records(f) for s, f in frames.items()}, indent=1))
    else:
        for s, f in frames.items():
            click.echo(format_table(f, f"{model} on {s}, {q}") + "\n")
        if not frames:
            click.echo(f"{model} fits none of the systems in {q}.")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
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
    from planner.exports import describe
    from planner.progress import Stages
    from planner.report import write_report

    with Stages(1, quiet) as stage:
        with stage("rendering plots and report"):
            files = write_report(directory, force=force)
    click.echo(f"wrote {describe(files)} to {directory}", err=True)


@main.command()
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("proposed", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a value of PROPOSED (repeatable), e.g. to preview a change.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="Markdown (for a code review) or JSON.")
@click.option("--served-threshold", type=click.FloatRange(0, 1), default=0.01, show_default=True,
              help="Report a model-quarter whose served share (or served/unmet tokens, as a "
                   "share of demand) moved this much.")
@click.option("--cost-threshold", type=click.FloatRange(min=0), default=0.05, show_default=True,
              help="Report a relative change of cost per M output tokens this large.")
@click.option("--margin-threshold", type=click.FloatRange(min=0), default=0.01, show_default=True,
              help="Report a gross-margin change this large (0.01 = one point).")
@click.option("--shadow-threshold", type=click.FloatRange(min=0), default=0.05, show_default=True,
              help="Report a relative shadow-price change this large (and at least $0.01/chip-hour).")
@click.option("--quiet", "-q", is_flag=True, help="Show no progress on stderr.")
@reports_errors
def diff(base, proposed, overrides, fmt, served_threshold, cost_threshold, margin_threshold,
         shadow_threshold, quiet):
    """What changes from BASE to PROPOSED: inputs, and the plan's outcome.

    \b
    Input changes: every key whose resolved value differs (defaults and extends applied),
    old -> new, with file:line. Outcome changes beyond the thresholds: served and unmet
    demand, cost and margin per model-quarter, the first quarter each model is servable at
    its list price and target margin, and shadow prices. Both scenarios are re-planned.
    Exit code 0 whether or not there are differences (2 for bad input).
    Example: planner diff main.yaml proposed.yaml > review.md
    """
    import json

    from planner.progress import Stages
    from planner.review import scenario_diff
    from planner.review.outcomes import Thresholds
    from planner.review.render import to_json, to_markdown

    thresholds = Thresholds(served=served_threshold, cost=cost_threshold, margin=margin_threshold,
                            shadow=shadow_threshold)
    with Stages(4, quiet) as stage:
        result = scenario_diff(base, proposed, overrides, thresholds, stages=stage)
    if fmt == "json":
        click.echo(json.dumps(to_json(result), indent=1, default=str))
    else:
        click.echo(to_markdown(result), nl=False)


@main.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--system", "systems", multiple=True, required=True,
              help="System of the scenario (repeatable).")
@click.option("--price-input", type=float, required=True, help="List price, $ per M input tokens.")
@click.option("--price-output", type=float, default=None,
              help="List price, $ per M output tokens (default: 5 x --price-input).")
@click.option("--margin", type=float, default=None,
              help="Gross margin to keep (default: economics.target_margin).")
@click.option("--allowance", type=float, default=1.0, show_default=True,
              help="Divide the allowed cost by this (>= 1) to leave room for serving trade-offs "
                   "the cost core does not see (idle hours, peak load).")
@click.option("--quarter", default=None,
              help="Quarter for the serving efficiency (default: the later of the horizon start "
                   "and the systems' available_from).")
@click.option("--input-tokens", type=float, default=2000, show_default=True,
              help="Prompt tokens per request.")
@click.option("--output-tokens", type=float, default=500, show_default=True,
              help="Output tokens per request.")
@click.option("--cache-hit", type=float, default=0.0, show_default=True,
              help="Share of input tokens served from the prefix cache.")
@click.option("--min-tokens-per-s", type=float, default=30, show_default=True,
              help="Speed target: output tokens/s per user.")
@click.option("--max-ttft", type=float, default=10, show_default=True,
              help="Speed target: time to first token, s.")
@click.option("--weight-bits", type=click.Choice(["4", "8", "16"]), default="8", show_default=True,
              help="Weight precision (picks the FLOP rate and bytes per parameter).")
@click.option("--total-b", "totals_b", type=float, multiple=True,
              help="Total parameters in billions (repeatable; default 100 300 1000 3000 10000 "
                   "30000 100000).")
@click.option("--experts", "experts", multiple=True,
              help="Routing: dense or K/E, top-K of E experts (repeatable; default dense 8/64 "
                   "8/256 8/1024).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
              help="Write the feasible region (total vs active parameters) per system (PNG/SVG).")
@reports_errors
def size(scenario, overrides, systems, price_input, price_output, margin, allowance, quarter,
         input_tokens, output_tokens, cache_hit, min_tokens_per_s, max_ttft, weight_bits,
         totals_b, experts, as_json, plot_file):
    """Inverse sizing: the largest models a system can serve at a price and margin.

    \b
    Allowed cost = price x (1 - margin) / allowance, per M input and per M output tokens.
    For each total-parameter count and expert routing, prints the largest active-parameter
    count whose cheapest configuration costs no more than that, built up one constraint at
    a time so the table shows what cuts it: prefill alone (input cost), + memory fit,
    + decode (output cost at a batch that fits), + speed targets (the answer).
    Example: planner size --system gb300-nvl72 --price-input 25 --margin 0.5 --allowance 2
    """
    import json

    from planner.quarters import Quarter
    from planner.scenario import load_scenario
    from planner.sizing import (DEFAULT_EXPERTS, DEFAULT_TOTALS_B, SizeQuery, plot_feasible,
                                render, size_in_scenario)

    loaded = load_scenario(scenario, overrides)
    names = _pick(loaded, "systems", systems)
    try:
        q = Quarter.parse(quarter) if quarter else None
    except ValueError as exc:
        raise InputError([Problem("--quarter", None, "", str(exc))]) from None
    query = SizeQuery(
        price_input=price_input, price_output=price_output,
        margin=loaded.scenario.economics.target_margin if margin is None else margin,
        allowance=allowance, input_tokens=input_tokens, output_tokens=output_tokens,
        cache_hit=cache_hit, min_output_tokens_per_s=min_tokens_per_s, max_ttft_s=max_ttft,
        weight_bits=int(weight_bits), totals_b=tuple(totals_b) or DEFAULT_TOTALS_B,
        experts=tuple(experts) or DEFAULT_EXPERTS)
    answer = size_in_scenario(loaded.scenario, names, query, q)
    if plot_file:
        plot_feasible(answer, plot_file)
    if as_json:
        click.echo(json.dumps(answer.to_json(), indent=1))
    else:
        click.echo(render(answer))


@main.command()
@click.option("--fit", "do_fit", is_flag=True,
              help="Refit the parameters, cross-validate, and rewrite the parameter file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False),
              help="Write predicted versus measured (log-log, y = x, 2x band); PNG or SVG.")
@click.option("--points", "points_file", type=click.Path(dir_okay=False),
              help="Calibration points CSV (default: the shipped planner/data/calibration_points.csv).")
@click.option("--params", "params_file", type=click.Path(dir_okay=False),
              help="Efficiency parameter file to score, or with --fit to write (default: the "
                   "shipped planner/data/efficiency.yaml the planner uses).")
@reports_errors
def calibrate(do_fit, as_json, plot_file, points_file, params_file):
    """Measured versus predicted serving throughput, and the cost core's error.

    \b
    Every calibration point with its measured and predicted tokens/s per GPU and their
    ratio; then the median and worst error (as a factor) in-sample and in cross-validation
    (leave one point out, leave one source out), computed when the parameters were fitted.
    --fit refits the per-family efficiencies (least squares on log error) and rewrites the
    parameter file with today's date and the points used.
    Example: planner calibrate --plot calibration.png
    """
    import json

    import os

    from planner.calibration import report

    if plot_file and os.path.splitext(plot_file)[1].lower() not in (".png", ".svg"):
        raise InputError([Problem("--plot", None, plot_file, "use a .png or .svg file name")])
    if do_fit:
        target = params_file or str(report.shipped_params_path())
        fits, fresh = report.refit(points_file)
        text = report.params_text(fits, fresh, report.next_version(target))
        try:
            report.write_params(text, target)
        except OSError as exc:
            raise RunError(f"cannot write {target}: {exc}") from None
        click.echo(f"wrote {params_file or report.PARAMS_NAME}", err=True)
    cal = report.evaluate(points_file, params_file)
    if plot_file:
        report.plot(cal, plot_file)
    if as_json:
        click.echo(json.dumps(report.json_report(cal), indent=1))
    else:
        click.echo(report.text_report(cal))


@main.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--vary", "varies", multiple=True, metavar="PATH[:OP]=V1,V2,...",
              help="Run a grid instead of the scenario's random draws: every combination of "
                   "the given values (repeatable). OP: set (default), multiply, add, "
                   "slip_quarters; paths as --set.")
@click.option("--samples", type=click.IntRange(1, 1_000_000), default=None,
              help="Number of random samples (default: uncertainty.samples).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed of the random draws (default: uncertainty.seed).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: the number of cores; results do not "
                   "depend on it).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Run the samples on an existing Dask distributed cluster, e.g. "
                   "tcp://scheduler:8786 (needs the dask extra here and fleet-planner on the "
                   "workers).")
@click.option("--model", "focus", default=None,
              help="Model whose `when` quarter the tornado shows (default: the one the inputs "
                   "move most).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write samples.csv, quantiles.csv, when.csv, tornado.csv, failures.csv, "
                   "sample_economics.csv, summary.json and tornado.png/svg here.")
@click.option("--force", is_flag=True, help="Replace a non-empty --out directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar or notes on stderr.")
@reports_errors
def sweep(scenario, overrides, varies, samples, seed, workers, dask_address, focus, out_dir,
          force, as_json, quiet):
    """Plan many times over uncertain inputs; report P10/P50/P90 and what moves the outcome.

    \b
    Random draws come from the scenario's `uncertainty:` section, e.g.
      uncertainty:
        seed: 7
        samples: 200
        vary:
          - path: fleet.gb300-nvl72.deliveries
            slip_quarters: {uniform_int: [0, 2]}
          - path: demand.flagship.output_tokens_per_day
            multiply: {lognormal: {median: 1.0, sigma: 0.3}}
          - path: systems.tpu-v7-ironwood.usd_per_chip_hour
            set: {triangular: [1.3, 1.6, 2.2]}
          - path: economics.serving_efficiency
            multiply: {normal: {mean: 1.0, sd: 0.1}}
    Distributions: normal {mean, sd}, lognormal {median, sigma}, uniform [low, high],
    triangular [low, mode, high], uniform_int [low, high], choice [values].
    Each sample solves the cost core and the LP; a sample that fails (e.g. a negative
    price) is reported with its values and the sweep goes on. Same seed, same results,
    whatever the workers or executor.
    Examples:
      planner sweep my.yaml --out sweep/
      planner sweep --vary economics.target_margin=0.3,0.4,0.5 \\
                    --vary 'fleet.gb300-nvl72.deliveries:slip_quarters=0,1,2'
    """
    from planner.sweep.command import sweep_command

    sweep_command(scenario, overrides, varies, samples, seed, workers, dask_address, focus,
                  out_dir, force, as_json, quiet)
