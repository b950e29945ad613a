"""Benchmark of `planner sweep`: samples per second with 1 and 2 local workers.

    python benchmarks/bench_sweep.py                 # 1,000 samples of the default scenario
    python benchmarks/bench_sweep.py --samples 200   # quicker

The scenario is the embedded default with a representative uncertainty spec (below): GB300
deliveries slip 0-2 quarters, flagship demand x lognormal, two hardware prices, and the serving
efficiency curve x normal (which changes the physics, so the cost core runs for every sample).
Goals (issue 13): >= 150 samples/s per core and >= 1.8x with 2 workers. Prints wall-clock rates,
CPU seconds per sample (insensitive to other load on the machine: compare the two when the
machine is busy), the per-stage time per sample, and checks that 1 and 2 workers give
identical results. The exit code is 0 whatever the figures.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from planner.scenario.loaded import load_scenario  # noqa: E402
from planner.sweep.engine import STAGES  # noqa: E402
from planner.sweep.run import run_sweep  # noqa: E402
from planner.sweep.spec import spec_from_scenario  # noqa: E402

SPEC = """\
name: bench-sweep
extends: default
uncertainty:
  seed: 7
  samples: 1000
  vary:
    - path: fleet.gb300-nvl72.deliveries
      name: GB300 delivery slip (quarters)
      slip_quarters: {uniform_int: [0, 2]}
    - path: demand.flagship.output_tokens_per_day
      name: flagship demand x
      multiply: {lognormal: {median: 1.0, sigma: 0.3}}
    - path: systems.gb300-nvl72.capex.usd_per_chip
      name: GB300 capex per chip
      set: {triangular: [75000, 91000, 120000]}
    - path: systems.tpu-v7-ironwood.usd_per_chip_hour
      name: TPU v7 $/chip-hour
      set: {triangular: [1.3, 1.6, 2.2]}
    - path: economics.serving_efficiency
      name: serving efficiency x
      multiply: {normal: {mean: 1.0, sd: 0.1}}
"""


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(loaded, spec, workers: int):
    c0, t0 = cpu_seconds(), time.perf_counter()
    result = run_sweep(loaded, spec, workers=workers, quiet=True)
    return result, time.perf_counter() - t0, cpu_seconds() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.yaml")
        with open(path, "w") as handle:
            handle.write(SPEC)
        loaded = load_scenario(path)
    spec = spec_from_scenario(loaded, samples=args.samples)
    n = spec.n_samples
    load = os.getloadavg()[0]  # before this benchmark adds its own
    print(f"sweep benchmark: {n} samples of the default scenario, {len(spec.inputs)} inputs, "
          f"{os.cpu_count()} cores, load average before the runs {load:.2f}")
    run_sweep(loaded, spec.__class__(spec.mode, spec.inputs, spec.seed, 4), workers=1)  # warm-up

    results = {}
    for workers in (1, 2):
        result, wall, cpu = timed(loaded, spec, workers)
        results[workers] = (result, wall)
        print(f"  {workers} worker{'s' if workers > 1 else ' '}: {n / wall:7.1f} samples/s "
              f"({wall:6.2f} s wall), CPU {1000 * cpu / n:5.1f} ms/sample = "
              f"{n / cpu:6.1f} samples/s per core; {int(result.ok.sum())} ok, "
              f"{len(result.errors)} failed")
    (one, wall1), (two, wall2) = results[1], results[2]
    print(f"  speed-up with 2 workers: {wall1 / wall2:.2f}x   (goals: >= 150 samples/s per core, "
          f">= 1.8x)")
    print("  per sample (1 worker, ms): " + ", ".join(
        f"{k[:-2]} {1000 * one.timings.get(k, 0.0) / n:.2f}" for k in STAGES))
    print(f"  cost core reused (base physics) in {one.counts.get('cost_core_reused', 0)} samples, "
          f"its hardware terms (only the efficiency moved) in "
          f"{one.counts.get('hardware_reused', 0)}")
    same = all(np.array_equal(getattr(one, k), getattr(two, k), equal_nan=True)
               for k in ("values", "served_fraction", "cost", "margin", "when", "fleet_margin"))
    print(f"  1 and 2 workers give identical results: {'yes' if same else 'NO'}")
    if load > 0.5:
        print("  note: the machine had other load; CPU ms/sample is the steadier figure")


if __name__ == "__main__":
    main()
