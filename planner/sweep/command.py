"""The body of ``planner sweep`` (the click declaration lives in planner/cli/sweep.py)."""
from __future__ import annotations

import click

from planner.errors import InputError, Problem


def sweep_command(scenario: str | None, overrides, allow_extends, varies, samples: int | None,
                  seed: int | None,
                  workers: int | None, dask: str | None, focus: str | None, out_dir: str | None,
                  force: bool, as_json: bool, quiet: bool, elastic: bool | None = None) -> None:
    from planner.output.tables import json_text
    from planner.scenario.loaded import load_scenario
    from planner.sweep.report import Summary
    from planner.sweep.run import run_sweep
    from planner.sweep.spec import spec_from_scenario, spec_from_vary

    loaded = load_scenario(scenario, overrides, allow_extends, elastic=elastic)
    if loaded.scenario.procurement is not None:
        file, line = loaded.doc.where(("procurement",))
        raise InputError([Problem(file, line, "procurement", "a sweep does not model purchases "
                                  "yet (its samples keep the fleet fixed); remove the section "
                                  "or pass --set procurement=null, or use `planner run --buy`")])
    if varies:
        if samples is not None or seed is not None:
            raise InputError([Problem("--samples/--seed", None, "", "a --vary grid runs every "
                                      "combination once; --samples and --seed apply to the "
                                      "scenario's `uncertainty:` draws only")])
        spec = spec_from_vary(loaded, varies)
        if loaded.scenario.uncertainty is not None and not quiet:
            click.echo("note: --vary runs a grid; the scenario's `uncertainty:` draws are not "
                       "used in this sweep", err=True)
    else:
        spec = spec_from_scenario(loaded, samples=samples, seed=seed)
    if focus is not None and focus not in loaded.scenario.demand:
        import difflib

        known = list(loaded.scenario.demand)
        close = difflib.get_close_matches(focus, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(known)}"
        raise InputError([Problem("--model", None, focus,
                                  f"no demand series for this model{hint}")])
    if out_dir is not None:  # refuse a bad destination before the work, not after
        from planner.output.atomic import check_destination

        check_destination(out_dir, force, loaded.doc.files())
    if loaded.scenario.solver.integer != "off" and not quiet:
        click.echo(f"note: samples solve the LP (continuous chips); solver.integer="
                   f"{loaded.scenario.solver.integer} is not used in a sweep", err=True)

    result = run_sweep(loaded, spec, workers=workers, dask=dask, quiet=quiet)
    summary = Summary(result, loaded.scenario.name, focus)
    files = summary.write(out_dir, force=force, inputs=loaded.doc.files()) \
        if out_dir is not None else []
    if as_json:
        click.echo(json_text(summary.to_json()))
    else:
        click.echo(summary.render())
    if result.errors and not quiet:
        click.echo(f"warning: {len(result.errors)} of {result.n} samples failed; the summaries "
                   "use the others", err=True)
    if out_dir and not quiet:
        click.echo(f"wrote {', '.join(files)} to {out_dir}", err=True)
