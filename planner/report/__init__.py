"""The shareable HTML report of a run, and its plots, made from the run directory's files.

``write_report(DIR)`` reads DIR/summary.json (and DIR/pareto.csv), renders the plots to
DIR/plots/NAME.png and .svg and writes DIR/report.html: one self-contained page (inline CSS,
JS and images; no network), byte-identical for identical inputs.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from planner.errors import InputError, Problem

REPORT = "report.html"
PLOTS = "plots"


def build_report(directory: str):
    """(HTML text, figures) for the run in ``directory``."""
    from planner.report.figures import build_figures
    from planner.report.html import build_html
    from planner.report.rundata import read_run

    run = read_run(directory)
    figures = build_figures(run)
    return build_html(run, figures), figures


def _write_files(target: str, html: str, figures) -> list[str]:
    os.makedirs(os.path.join(target, PLOTS), exist_ok=True)
    names = []
    for figure in figures:
        for ext, data in (("png", figure.png), ("svg", figure.svg)):
            name = f"{PLOTS}/{figure.name}.{ext}"
            with open(os.path.join(target, name), "wb") as handle:
                handle.write(data)
            names.append(name)
    with open(os.path.join(target, REPORT), "w", encoding="utf-8", newline="\n") as handle:
        handle.write(html)
    return [REPORT] + names


def write_report(directory: str, force: bool = False, fresh: bool = False) -> list[str]:
    """Write report.html and plots/ into the run ``directory``; return the names written.

    ``fresh``: ``directory`` is a new (temporary) run directory, write straight into it.
    Otherwise an existing report.html or plots/ is replaced only with ``force``, and the new
    files are staged in a temporary directory and renamed into place.
    """
    if fresh:
        return _write_files(directory, *build_report(directory))
    existing = [n for n in (REPORT, PLOTS) if os.path.exists(os.path.join(directory, n))]
    if existing and not force and os.path.isdir(directory):
        raise InputError([Problem(os.path.join(directory, existing[0]), None, "",
                                  "already exists; use --force to replace it")])
    html, figures = build_report(directory)
    try:
        stage = tempfile.mkdtemp(prefix=".planner-report-", dir=directory)
    except OSError as exc:
        raise InputError([Problem(directory, None, "", f"cannot write here: {exc.strerror}")]) from None
    try:
        names = _write_files(stage, html, figures)
        old_plots = os.path.join(directory, PLOTS)
        if os.path.isdir(old_plots):
            os.rename(old_plots, os.path.join(stage, "old-plots"))
        elif os.path.exists(old_plots):
            os.unlink(old_plots)
        os.rename(os.path.join(stage, PLOTS), old_plots)
        os.replace(os.path.join(stage, REPORT), os.path.join(directory, REPORT))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return names
