"""The `planner` command line: the group and its commands (one module per family of commands).

Heavy libraries are imported inside the commands, so `planner --help` starts fast.
"""
from __future__ import annotations

import click

from planner.cli.cost import calibrate, cost, pareto, size
from planner.cli.plan import report, run, when
from planner.cli.price import price
from planner.cli.scenario import catalog, diff, init, schema, show, validate
from planner.cli.sweep import sweep


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
      planner price --model M            M's volume, revenue and profit by list price
      planner validate / show / diff     review a scenario YAML change
      planner sweep                      P10/P50/P90 over uncertain inputs (seeded, Dask-ready)
      planner cost / pareto / size       cost per token and per task, speed frontiers, and
                                         the largest model a price allows on a system
      planner calibrate                  the cost model against measured throughput
    With no SCENARIO, commands use the embedded default scenario (see `planner show`).
    Exit codes: 0 success, 1 a run that could not complete, 2 bad input or usage.
    """


for _command in (validate, show, schema, catalog, init, diff, run, when, price, report, cost,
                 pareto, size, calibrate, sweep):
    main.add_command(_command)
