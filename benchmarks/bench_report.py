"""Benchmark of `planner run --out DIR --report` against plain `planner run` (issue 13).

Runs both commands on the embedded default scenario as whole processes, in turn (plain,
report, plain, report, ...), and prints the median wall time of each, the median of the
paired ratios and the goal (report run <= 2.5 s). Always exits 0: it measures, it does not
judge. ``--repeats N`` (default 3) pairs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 2.5
CLI = "import sys; from planner.cli.main import main; sys.argv[0] = 'planner'; main()"


def wall(args: list[str]) -> float:
    """Wall seconds of one `planner ARGS` process, this checkout's code on the path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CLI, *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="pairs of runs (default 3)")
    args = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="bench-report-")
    plain, report = [], []
    try:
        wall(["run"])  # warm-up: file caches, compiled bytecode
        for i in range(max(1, args.repeats)):
            plain.append(wall(["run"]))
            report.append(wall(["run", "--out", os.path.join(work, f"out{i}"), "--report"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = statistics.median(r / p for r, p in zip(report, plain))
    med_plain, med_report = statistics.median(plain), statistics.median(report)
    print(f"planner run                      {med_plain:.2f} s wall (median of {len(plain)})")
    print(f"planner run --out D --report     {med_report:.2f} s wall (median of {len(report)})")
    print(f"ratio report / plain             {ratio:.2f}x (median of paired ratios)")
    print(f"report adds                      {med_report - med_plain:.2f} s")
    print(f"goal                             report run <= {GOAL_S} s: "
          f"{'met' if med_report <= GOAL_S else 'not met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
