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
@reports_errors
def run(scenario, overrides, out_dir, force, integer, backend, time_limit, gap, as_json):
    """Plan the fleet quarter by quarter: allocation, served demand, cost, margin, scarcity.

    \b
    Examples:
      planner run                                  the embedded default scenario
      planner run my.yaml --out results/           also write CSV/JSON files
      planner run --set economics.target_margin=0.5 --integer
    """
    import json

    from planner.plan import make_plan
    from planner.runfiles import summary, write_run
    from planner.runview import render
    from planner.scenario import load_scenario

    loaded = load_scenario(scenario, overrides)
    plan = make_plan(loaded, integer=integer, backend=backend, time_limit_s=time_limit, gap=gap)
    if out_dir:
        files = write_run(plan, out_dir, force=force)
    if as_json:
        click.echo(json.dumps(summary(plan), indent=1))
    else:
        click.echo(render(plan))
    if out_dir:
        click.echo(f"wrote {', '.join(files)} to {out_dir}", err=True)


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def when(scenario, overrides, model, price_output, price_input, margin, share, as_json):
    """When can MODEL's demand be served at a price with the target margin?

    \b
    Re-plans the fleet with MODEL sold at --price-output, so it competes with the other
    models for capacity, and reports per quarter the cost, margin, served fraction and what
    binds (no system fits, not enough capacity, cost too high).
    Example: planner when --model mythos-class --price-output 50 --margin 0.5
    """
    import json

    from planner.scenario import load_scenario
    from planner.tables import format_table
    from planner.when import when as answer_when

    loaded = load_scenario(scenario, overrides)
    answer = answer_when(loaded, model, price_output, price_input, margin, share)
    if as_json:
        click.echo(json.dumps(answer.to_json(), indent=1))
        return
    price = (f"${price_output:g}/M output" if price_output is not None
             else "the lowest price per quarter")
    click.echo(f"{model} at {price}, margin >= {answer.margin:.0%}, share >= {share:.0%}:")
    if price_output is not None:
        click.echo(f"earliest quarter: {answer.earliest_quarter or 'none in the horizon'}"
                   + (f" (last quarter {answer.reason})" if answer.reason else ""))
    view = answer.quarters.drop(columns=["ok"])
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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per row.")
@reports_errors
def cost(scenario, overrides, models, systems, quarters, as_json):
    """Cost and speed of the cheapest configuration per (model, system, quarter).

    \b
    The configuration (replica size, batch) is the cheapest per output token, input
    included, that meets the model's speed targets; infeasible pairs say why.
    Example: planner cost --model mythos-class --quarter 2026Q4
    """
    import json

    from planner.plan import cost_table
    from planner.quarters import Quarter
    from planner.scenario import load_scenario
    from planner.tables import format_table, to_records
    from planner.timeline import horizon_quarters

    loaded = load_scenario(scenario, overrides)
    models, systems = _pick(loaded, "models", models), _pick(loaded, "systems", systems)
    try:
        wanted = [Quarter.parse(q) for q in quarters] or horizon_quarters(loaded.scenario)
    except ValueError as exc:
        raise InputError([Problem("--quarter", None, "", str(exc))]) from None
    table, _ = cost_table(loaded, wanted)
    rows = table.table
    rows = rows[rows["model"].isin(models) & rows["system"].isin(systems)]
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
