"""What `planner run --out DIR` writes: allocation.csv, economics.csv, summary.json, timings.json.

Everything but timings.json is a function of the inputs alone (byte-identical across runs);
wall-clock timings live in timings.json so that the rest can be compared and diffed.
"""
from __future__ import annotations

import os
import platform
from importlib import metadata

import pandas as pd

from planner.output.atomic import atomic_directory
from planner.output.tables import json_text, to_records, write_csv
from planner.run.plan import Plan


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries that shape the numbers."""
    found = {"python": platform.python_version()}
    for name in ("fleet-planner", "numpy", "pandas", "pulp", "highspy", "pydantic"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def provenance(plan: Plan) -> dict:
    s = plan.loaded.scenario
    return {
        "scenario": s.name, "input_sha256": plan.loaded.input_sha256,
        "horizon": {"start": str(s.horizon.start), "end": str(s.horizon.end)},
        "target_margin": s.economics.target_margin,
        "solver": plan.solver_info, "versions": versions(),
        "timings": "timings.json (wall-clock, kept apart so this file is byte-identical)",
    }


def allocation_frame(plan: Plan) -> pd.DataFrame:
    a = plan.allocation
    return a[["model", "system", "quarter", "chips", "m_output_per_hour", "usd_per_hour"]].rename(
        columns={"m_output_per_hour": "served_m_output_per_hour"})


def utilisation_frame(plan: Plan) -> pd.DataFrame:
    u = plan.utilisation
    return u[["system", "quarter", "capacity_chips", "used_chips", "utilisation",
              "shadow_price_usd_per_chip_hour"]]


def summary(plan: Plan) -> dict:
    """The JSON summary: provenance, economics (per token and per task), allocation,
    utilisation and (with site power caps) power records."""
    out = {
        "provenance": provenance(plan),
        "economics": to_records(plan.economics),
        "economics_per_task": to_records(plan.per_task),
        "allocation": to_records(allocation_frame(plan)),
        "utilisation": to_records(utilisation_frame(plan)),
        "power": to_records(plan.power) if plan.power is not None else [],
        "fleet_pnl": to_records(plan.pnl),
        "headline": plan.headline,
        "warnings": list(plan.warnings),
    }
    if plan.purchases is not None:
        from planner.run.procurement import purchases_summary

        out["purchases"] = purchases_summary(plan.purchases, plan.fleet)
    return out


def write_run(plan: Plan, directory: str, force: bool = False, extra=None) -> list[str]:
    """Write the run's files atomically into ``directory``; return the file names.

    ``extra(tmp)``, if given, writes more files (exports, report) into the same atomic write
    after the standard ones, and returns their names.
    """
    files = ["allocation.csv", "economics.csv", "summary.json", "timings.json", "pnl.csv"]
    with atomic_directory(directory, force=force, inputs=plan.loaded.doc.files()) as tmp:
        write_csv(allocation_frame(plan), os.path.join(tmp, files[0]))
        write_csv(plan.economics, os.path.join(tmp, files[1]))
        with open(os.path.join(tmp, files[2]), "w", encoding="utf-8") as handle:
            handle.write(json_text(summary(plan)) + "\n")
        with open(os.path.join(tmp, files[3]), "w", encoding="utf-8") as handle:
            handle.write(json_text({"timings_s": plan.timings_s}) + "\n")
        write_csv(plan.pnl, os.path.join(tmp, files[4]))
        if plan.purchases is not None:
            files.append("purchases.csv")
            write_csv(plan.purchases, os.path.join(tmp, "purchases.csv"))
        if extra is not None:
            files = files + list(extra(tmp))
    return files
