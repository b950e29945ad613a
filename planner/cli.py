"""The `planner` command line. Heavy libraries are imported inside commands, not at start-up."""
from __future__ import annotations

import functools
import sys

import click

from planner.errors import InputError, RunError

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
