"""Uncertainty command: sweep."""
from __future__ import annotations

import click

from planner.cli.util import ELASTIC_OPTION, SCENARIO_ARG, SET_OPTION, SafePath, reports_errors


@click.command()
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
@click.option("--out", "out_dir", type=SafePath(file_okay=False),
              help="Write samples.csv, quantiles.csv, when.csv, tornado.csv, failures.csv, "
                   "sample_economics.csv, summary.json (byte-identical for the same inputs), "
                   "timings.json and tornado.png/svg here.")
@click.option("--force", is_flag=True, help="Replace a non-empty --out directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar or notes on stderr.")
@ELASTIC_OPTION
@reports_errors
def sweep(scenario, overrides, allow_extends, varies, samples, seed, workers, dask_address, focus,
          out_dir, force, as_json, quiet, elastic):
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
    Each sample solves the cost core and the LP (with price-responsive demand, its demand
    curves at the sample's list prices); a sample that fails (e.g. a negative
    price) is reported with its values and the sweep goes on. Same seed, same results,
    whatever the workers or executor.
    Examples:
      planner sweep my.yaml --out sweep/
      planner sweep --vary economics.target_margin=0.3,0.4,0.5 \\
                    --vary 'fleet.gb300-nvl72.deliveries:slip_quarters=0,1,2'
    """
    from planner.sweep.command import sweep_command

    sweep_command(scenario, overrides, allow_extends, varies, samples, seed, workers, dask_address,
                  focus, out_dir, force, as_json, quiet, elastic)
