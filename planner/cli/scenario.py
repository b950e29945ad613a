"""Scenario review commands: validate, show, schema, catalog, init, diff."""
from __future__ import annotations

import click

from planner.cli.util import (ALLOW_EXTENDS_OPTION, ELASTIC_OPTION, SCENARIO_ARG, SET_OPTION,
                              FiniteFloat, SafePath, reports_errors)
from planner.errors import InputError


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=SafePath(dir_okay=False))
@SET_OPTION
@reports_errors
def validate(scenarios, overrides, allow_extends):
    """Check scenario files without planning; report every problem at once.

    Problems (exit 2) stop a run. Warnings (stderr, exit 0) flag what is legal but
    implausible: chip figures far outside the catalog's span, models priced $0 with no
    imputed value, models that fit on no system (the cost core runs for this check).
    """
    from planner.run.plan import cost_table
    from planner.run.plausibility import fit_warnings, input_warnings
    from planner.scenario.loaded import load_scenario

    problems = []
    for path in scenarios:
        try:
            loaded = load_scenario(path, overrides, allow_extends)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        s = loaded.scenario
        for warning in input_warnings(s, loaded.doc) + fit_warnings(s, cost_table(loaded)[0].table):
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"{path}: ok ({len(s.systems)} systems, {len(s.models)} models, "
                   f"{len(s.demand)} demand series, {s.horizon.start}-{s.horizon.end})")
    if problems:
        raise InputError(problems)


@click.command()
@SCENARIO_ARG
@SET_OPTION
@ELASTIC_OPTION
@reports_errors
def show(scenario, overrides, allow_extends, elastic):
    """Print the resolved scenario (defaults, extends and --set applied) as YAML."""
    from planner.scenario.loaded import load_scenario
    from planner.scenario.yamlload import dump_yaml

    loaded = load_scenario(scenario, overrides, allow_extends, elastic=elastic)
    data = loaded.scenario.model_dump(mode="json", exclude_none=True)
    click.echo(dump_yaml(data), nl=False)


@click.command()
def schema():
    """Print the scenario JSON Schema (for editor completion and reviews)."""
    import json

    from planner.scenario.schema import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@click.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@reports_errors
def catalog(scenario, overrides, allow_extends, as_json):
    """List the scenario's systems and models as tables."""
    from planner.output.catalog import catalog_tables
    from planner.output.tables import emit
    from planner.scenario.loaded import load_scenario

    loaded = load_scenario(scenario, overrides, allow_extends)
    emit(catalog_tables(loaded.scenario), as_json)


@click.command()
@click.argument("directory", type=SafePath(file_okay=False))
@reports_errors
def init(directory):
    """Write an editable copy of the default scenario into DIRECTORY, split into files."""
    from planner.output.scaffold import write_scaffold

    for path in write_scaffold(directory):
        click.echo(f"wrote {path}")
    click.echo(f"check it with: planner validate {directory}/scenario.yaml")


@click.command()
@click.argument("base", type=SafePath(dir_okay=False))
@click.argument("proposed", type=SafePath(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a value of PROPOSED (repeatable), e.g. to preview a change.")
@ALLOW_EXTENDS_OPTION
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True,
              help="Markdown (for a code review) or JSON.")
@click.option("--served-threshold", type=FiniteFloat(0, 1), default=0.01, show_default=True,
              help="Report a model-quarter whose served share (or served/unmet tokens, as a "
                   "share of demand) moved this much.")
@click.option("--cost-threshold", type=FiniteFloat(min=0), default=0.05, show_default=True,
              help="Report a relative change of cost per M output tokens this large.")
@click.option("--margin-threshold", type=FiniteFloat(min=0), default=0.01, show_default=True,
              help="Report a gross-margin change this large (0.01 = one point).")
@click.option("--shadow-threshold", type=FiniteFloat(min=0), default=0.05, show_default=True,
              help="Report a relative shadow-price change this large (and at least $0.01/chip-hour).")
@click.option("--quiet", "-q", is_flag=True, help="Show no progress on stderr.")
@ELASTIC_OPTION
@reports_errors
def diff(base, proposed, overrides, allow_extends, fmt, served_threshold, cost_threshold,
         margin_threshold, shadow_threshold, quiet, elastic):
    """What changes from BASE to PROPOSED: inputs, and the plan's outcome.

    \b
    Headline: unmet output tokens, revenue and operating profit over the horizon, and the
    installed and available chips of each system whose count changed at the last quarter.
    Input changes: every key whose resolved value differs (defaults and extends applied),
    old -> new, with file:line. Outcome changes beyond the thresholds: served and unmet
    demand, cost and margin per model-quarter, the first quarter each model is servable at
    its list price and target margin, and shadow prices. Both scenarios are re-planned.
    Exit code 0 whether or not there are differences (2 for bad input).
    Example: planner diff main.yaml proposed.yaml > review.md
    """
    from planner.output.progress import Stages
    from planner.output.tables import json_text
    from planner.review import scenario_diff
    from planner.review.outcomes import Thresholds
    from planner.review.render import to_json, to_markdown

    thresholds = Thresholds(served=served_threshold, cost=cost_threshold, margin=margin_threshold,
                            shadow=shadow_threshold)
    with Stages(4, quiet) as stage:
        result = scenario_diff(base, proposed, overrides, thresholds, stages=stage,
                               allow_extends=allow_extends, elastic=elastic)
    if fmt == "json":
        click.echo(json_text(to_json(result)))
    else:
        click.echo(to_markdown(result), nl=False)
