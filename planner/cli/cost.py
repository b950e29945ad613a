"""Cost commands: cost, pareto, size, calibrate."""
from __future__ import annotations

import click

from planner.cli.util import (SCENARIO_ARG, SET_OPTION, FiniteFloat, PlotFile, SafePath, pick,
                              quarters_option, reports_errors)
from planner.errors import RunError

COST_JSON_KEYS = ("model", "system", "quarter", "available", "feasible", "reason",
                  "replica_chips", "batch", "attention_tp", "expert_parallel", "pipeline_stages",
                  "prefill_replica_chips", "prefill_attention_tp",
                  "output_tokens_per_s_per_user", "output_tokens_per_s_per_chip",
                  "input_tokens_per_s_per_chip", "ttft_s", "usd_per_m_input", "usd_per_m_output",
                  "usd_per_m_blended", "m_output_per_chip_hour", "usd_per_chip_hour",
                  "architecture_inferred")


def mark_unavailable(rows, scenario):
    """Add ``available`` (the system can be delivered by that quarter) and say so in
    ``reason`` where it cannot: the cost is then what it would be, not an option."""
    first = rows["system"].map({k: str(s.available_from) for k, s in scenario.systems.items()})
    rows = rows.assign(available=rows["quarter"].astype(str) >= first)
    note = "not available before " + first
    rows["reason"] = rows["reason"].where(rows["available"] | (rows["reason"] != ""), note)
    return rows


def mark_inferred(rows, scenario):
    """Add ``architecture_inferred``: the model's layers, hidden size or attention width came
    from the scaling rule (planner.costcore.architecture), not from the scenario."""
    from planner.costcore.architecture import model_shape

    inferred = {k: bool(model_shape(m).inferred) for k, m in scenario.models.items()}
    return rows.assign(architecture_inferred=rows["model"].map(inferred).astype(bool))


@click.command()
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
def cost(scenario, overrides, allow_extends, models, systems, quarters, per_task, as_json):
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
    from planner.output.tables import format_table, json_text, to_records
    from planner.run.plan import cost_table
    from planner.scenario.horizon import horizon_quarters
    from planner.scenario.loaded import load_scenario

    loaded = load_scenario(scenario, overrides, allow_extends)
    models, systems = pick(loaded, "models", models), pick(loaded, "systems", systems)
    if per_task:
        from planner.queries.tasks import task_cost_report, task_quarters
        from planner.run.tasks import check_task

        check_task(loaded.scenario, per_task)
    wanted = (quarters_option(loaded.scenario, quarters)
              or (task_quarters if per_task else horizon_quarters)(loaded.scenario))
    table, _ = cost_table(loaded, wanted)
    rows = mark_inferred(mark_unavailable(table.table, loaded.scenario), loaded.scenario)
    rows = rows[rows["model"].isin(models) & rows["system"].isin(systems)]
    from planner.costcore.architecture import inferred_warning

    for name in models:
        warning = inferred_warning(loaded.scenario.models[name])
        if warning and name in set(rows["model"]):
            click.echo(f"warning: models.{name}: {warning}", err=True)
    if per_task:
        records, text = task_cost_report(loaded.scenario, rows, per_task, wanted, COST_JSON_KEYS)
        click.echo(json_text(records) if as_json else text)
        return
    if as_json:
        click.echo(json_text(to_records(rows[list(COST_JSON_KEYS)])))
        return
    view = rows[["model", "system", "quarter", "replica_chips", "batch",
                 "output_tokens_per_s_per_user", "output_tokens_per_s_per_chip", "ttft_s",
                 "usd_per_m_input", "usd_per_m_output", "usd_per_chip_hour", "reason"]]
    click.echo(format_table(view.rename(columns={
        "output_tokens_per_s_per_user": "tok_s_user", "output_tokens_per_s_per_chip": "tok_s_chip"})))


@click.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--model", required=True, help="Model.")
@click.option("--system", "systems", multiple=True, help="System (repeatable; default: all).")
@click.option("--quarter", default=None, help="Quarter (default: the horizon's last).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", "plot_file", type=PlotFile(),
              help="Write a log-log plot of the frontiers (PNG or SVG).")
@reports_errors
def pareto(scenario, overrides, allow_extends, model, systems, quarter, as_json, plot_file):
    """Cost-versus-speed Pareto frontier of a model on each system.

    Bigger batches are cheaper per token but slower per user; each point is a
    configuration no other beats on both. Example: planner pareto --model flagship --plot f.png
    """
    from planner.output.tables import format_table, json_text, to_records
    from planner.run.plan import cost_table
    from planner.scenario.loaded import load_scenario

    loaded = load_scenario(scenario, overrides, allow_extends)
    pick(loaded, "models", (model,))
    systems = pick(loaded, "systems", systems)
    q = quarters_option(loaded.scenario, [quarter])[0] if quarter else loaded.scenario.horizon.end
    table, _ = cost_table(loaded, [q])
    frames = {s: table.pareto(model, s, q) for s in systems}
    frames = {s: f for s, f in frames.items() if not f.empty}
    if plot_file:
        from planner.plots import plot_pareto

        plot_pareto(frames, model, str(q), plot_file)
    if as_json:
        click.echo(json_text({s: to_records(f) for s, f in frames.items()}))
    else:
        for s, f in frames.items():
            click.echo(format_table(f, f"{model} on {s}, {q}") + "\n")
        if not frames:
            click.echo(f"{model} fits none of the systems in {q}.")


@click.command()
@SCENARIO_ARG
@SET_OPTION
@click.option("--system", "systems", multiple=True, required=True,
              help="System of the scenario (repeatable).")
@click.option("--price-input", type=FiniteFloat(), required=True, help="List price, $ per M input tokens.")
@click.option("--price-output", type=FiniteFloat(), default=None,
              help="List price, $ per M output tokens (default: 5 x --price-input).")
@click.option("--margin", type=FiniteFloat(), default=None,
              help="Gross margin to keep (default: economics.target_margin).")
@click.option("--allowance", type=FiniteFloat(), default=1.0, show_default=True,
              help="Divide the allowed cost by this (>= 1) to leave room for serving trade-offs "
                   "the cost core does not see (idle hours, peak load).")
@click.option("--quarter", default=None,
              help="Quarter for the serving efficiency (default: the later of the horizon start "
                   "and the systems' available_from).")
@click.option("--input-tokens", type=FiniteFloat(), default=2000, show_default=True,
              help="Prompt tokens per request.")
@click.option("--output-tokens", type=FiniteFloat(), default=500, show_default=True,
              help="Output tokens per request.")
@click.option("--cache-hit", type=FiniteFloat(), default=0.0, show_default=True,
              help="Share of input tokens served from the prefix cache.")
@click.option("--min-tokens-per-s", type=FiniteFloat(), default=30, show_default=True,
              help="Speed target: output tokens/s per user.")
@click.option("--max-ttft", type=FiniteFloat(), default=10, show_default=True,
              help="Speed target: time to first token, s.")
@click.option("--weight-bits", type=click.Choice(["4", "8", "16"]), default="8", show_default=True,
              help="Weight precision (picks the FLOP rate and bytes per parameter).")
@click.option("--total-b", "totals_b", type=FiniteFloat(), multiple=True,
              help="Total parameters in billions (repeatable; default 100 300 1000 3000 10000 "
                   "30000 100000).")
@click.option("--experts", "experts", multiple=True,
              help="Routing: dense or K/E, top-K of E experts (repeatable; default dense 8/64 "
                   "8/256 8/1024).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", "plot_file", type=PlotFile(),
              help="Write the feasible region (total vs active parameters) per system (PNG/SVG).")
@reports_errors
def size(scenario, overrides, allow_extends, systems, price_input, price_output, margin,
         allowance, quarter,
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
    from planner.output.tables import json_text
    from planner.queries.sizing import (DEFAULT_EXPERTS, DEFAULT_TOTALS_B, SizeQuery, plot_feasible,
                                        render, size_in_scenario)
    from planner.scenario.loaded import load_scenario

    loaded = load_scenario(scenario, overrides, allow_extends)
    names = pick(loaded, "systems", systems)
    q = quarters_option(loaded.scenario, [quarter])[0] if quarter else None
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
        click.echo(json_text(answer.to_json()))
    else:
        click.echo(render(answer))


@click.command()
@click.option("--fit", "do_fit", is_flag=True,
              help="Refit the parameters, cross-validate, and rewrite the parameter file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--plot", "plot_file", type=PlotFile(),
              help="Write predicted versus measured (log-log, y = x, 2x band); PNG or SVG.")
@click.option("--points", "points_file", type=SafePath(dir_okay=False),
              help="Calibration points CSV (default: the shipped planner/data/calibration_points.csv).")
@click.option("--params", "params_file", type=SafePath(dir_okay=False),
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
    from planner.calibration import paramfile, render, report
    from planner.output.tables import json_text

    if do_fit:
        target = params_file or str(report.shipped_params_path())
        fits, fresh = report.refit(points_file)
        text = paramfile.params_text(fits, fresh, paramfile.next_version(target))
        try:
            paramfile.write_params(text, target)
        except OSError as exc:
            raise RunError(f"cannot write {target}: {exc}") from None
        click.echo(f"wrote {params_file or report.PARAMS_NAME}", err=True)
    cal = report.evaluate(points_file, params_file)
    if plot_file:
        render.plot(cal, plot_file)
    if as_json:
        click.echo(json_text(render.json_report(cal)))
    else:
        click.echo(render.text_report(cal))
