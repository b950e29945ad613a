"""Shared pieces of the command line: scenario arguments, --set, error reporting, name checks."""
from __future__ import annotations

import contextlib
import functools
import math
import signal
import sys

import click

from planner.errors import InputError, Problem, RunError

MAX_OPTION_MAGNITUDE = 1e12


class FiniteFloat(click.FloatRange):
    """A float option within an optional range that is finite and at most 1e12 in magnitude
    (nan, inf and 1e308 would pass click's FloatRange and crash or hang downstream)."""

    name = "finite float"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number) or abs(number) > MAX_OPTION_MAGNITUDE:
            self.fail(f"{value!r} is not a finite number of magnitude at most "
                      f"{MAX_OPTION_MAGNITUDE:g}", param, ctx)
        return number


class SafePath(click.Path):
    """click.Path that refuses a NUL byte (the OS would raise on it deep inside a command)."""

    def convert(self, value, param, ctx):
        if "\x00" in str(value):
            self.fail(f"{str(value)!r} holds a NUL byte; give a path without it", param, ctx)
        return super().convert(value, param, ctx)


class PlotFile(SafePath):
    """A plot file name: .png, .svg or .pdf, in a folder that exists and can be written,
    checked before any work is done (a missing folder would otherwise fail at the end)."""

    name = "file.png|svg|pdf"

    def __init__(self):
        super().__init__(dir_okay=False)

    def convert(self, value, param, ctx):
        import os

        from planner.plots import FORMATS

        text = str(super().convert(value, param, ctx))
        fmt = os.path.splitext(text)[1].lstrip(".").lower()
        if fmt not in FORMATS:
            self.fail(f"{text!r} has no plot extension; use "
                      + ", ".join("." + f for f in FORMATS), param, ctx)
        if os.path.isdir(text):
            self.fail(f"{text!r} is a directory; give a file name", param, ctx)
        folder = os.path.dirname(os.path.abspath(text))
        if not os.path.isdir(folder):
            self.fail(f"the folder of {text!r} does not exist; create it first", param, ctx)
        if not os.access(folder, os.W_OK | os.X_OK):
            self.fail(f"the folder of {text!r} is not writable", param, ctx)
        return text


SCENARIO_ARG = click.argument("scenario", required=False, type=SafePath(dir_okay=False))
ALLOW_EXTENDS_OPTION = click.option(
    "--allow-extends", "allow_extends", multiple=True, metavar="DIR",
    type=SafePath(file_okay=False),
    help="A folder beyond the scenario's own whose files `extends` may name (repeatable; "
         "by default only the scenario's folder and below).")
_SET = click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE",
    help="Override one scenario value, e.g. --set economics.target_margin=0.5 (repeatable; "
         "applied last).")


def SET_OPTION(command):
    """--set PATH=VALUE and --allow-extends DIR: how a command's scenario is composed."""
    return _SET(ALLOW_EXTENDS_OPTION(command))


class Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C so that temporary files and worker processes are cleaned up."""


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def _sigterm_raises():
    """SIGTERM raises Terminated for the command's duration (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def reports_errors(command):
    """Map input errors to exit 2 and run failures to exit 1, as messages, never tracebacks;
    Ctrl-C exits 130 and SIGTERM 143, both after cleaning up (nothing half-written)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with _sigterm_raises():
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
        except Terminated:
            click.echo("terminated; nothing written", err=True)
            sys.exit(143)

    return wrapper


def quarters_option(scenario, texts, option: str = "--quarter") -> list:
    """Quarters given on the command line, parsed and inside the scenario's horizon (exit 2
    otherwise: prices, efficiencies and fleets are defined only there)."""
    from common.quarters import Quarter

    problems, quarters = [], []
    start, end = scenario.horizon.start, scenario.horizon.end
    for text in texts:
        try:
            q = Quarter.parse(text)
        except ValueError as exc:
            problems.append(Problem(option, None, "", str(exc)))
            continue
        if not start <= q <= end:
            problems.append(Problem(option, None, str(q), f"outside the horizon {start}-{end}; "
                                    "give a quarter inside it or extend horizon"))
        quarters.append(q)
    if problems:
        raise InputError(problems)
    return quarters


def pick(loaded, kind: str, names: tuple[str, ...]) -> list[str]:
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


ELASTIC_OPTION = click.option(
    "--elastic/--inelastic", default=None,
    help="Price-responsive demand. The default scenario has it: each demand series carries "
         "its tier's assumed elasticity (demand/data/elasticity.yaml: frontier -0.5, flagship "
         "-1, open -1.5, free 0; reference = each quarter's list price), so shortages report "
         "market-clearing prices. --elastic gives those elasticities to every demand series "
         "of another scenario that has none; --inelastic plans fixed demand (every elasticity "
         "removed; --set can still set one).")
