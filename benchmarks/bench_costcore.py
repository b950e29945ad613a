"""Benchmark of the vectorised cost core against its scalar twin, on one CPU core.

Evaluates a grid of random but plausible models x systems x quarters x layouts (replica size x
attention TP) x batches (>= 10 M configurations by default; ``--small`` for a quick run),
selects the cheapest configuration per (model, system, quarter), and times the plain-Python
scalar implementation on a random sample of the same configurations. Prints configurations/s
of the first (cold) call and of the best warm repeat, and the ratio to the scalar twin.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.costcore import cheapest, evaluate_grid, examples  # noqa: E402
from planner.costcore.physics import DEFAULT_BATCH  # noqa: E402
from planner.costcore.scalar import (evaluate_config, model_row, prefill_regime,  # noqa: E402
                                     system_row)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="quick run (~0.13 M configurations)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scalar-sample", type=int, default=20000)
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    n_models, n_systems, n_quarters = (2, 10, 4) if args.small else (22, 20, 16)
    rng = np.random.default_rng(2026)
    models, systems = examples.random_arrays(rng, n_models, n_systems)
    quarters = [f"{2025 + q // 4}Q{q % 4 + 1}" for q in range(n_quarters)]
    usd = rng.uniform(1.0, 12.0, (n_systems, n_quarters))
    se = np.linspace(1.0, 1.6, n_quarters)

    times, eval_times = [], []
    for _ in range(max(1, args.repeats)):
        t0 = time.perf_counter()
        grid = evaluate_grid(models, systems, quarters, usd, se)
        t1 = time.perf_counter()
        table = cheapest(grid)
        t2 = time.perf_counter()
        eval_times.append(t1 - t0)
        times.append(t2 - t0)
    n = grid.size
    valid = int(grid.valid_replica.sum()) * n_models * n_quarters * len(DEFAULT_BATCH)

    # scalar twin on a random sample of the same configurations
    idx = np.stack([rng.integers(0, d, args.scalar_sample) for d in grid.shape])
    mrows = [model_row(models, i) for i in range(n_models)]
    srows = [system_row(systems, s) for s in range(n_systems)]
    lay = grid.layouts
    pre = {(m, s, q): prefill_regime(mrows[m], srows[s], se[q])
           for m, s, q in {tuple(x) for x in idx[:3].T}}  # the prefill regime, per triple
    t0 = time.perf_counter()
    for m, s, q, r, b in idx.T:
        evaluate_config(mrows[m], srows[s], se[q], usd[s, q], lay.replica_chips[r],
                        lay.attention_tp[r], DEFAULT_BATCH[b], pre[m, s, q])
    scalar_s = time.perf_counter() - t0
    scalar_rate = args.scalar_sample / scalar_s

    best = min(times)
    rate = n / best
    print(f"grid (M x S x Q x R x B)        {' x '.join(map(str, grid.shape))}")
    print(f"configurations evaluated        {n:,} ({valid:,} with a valid replica size)")
    print(f"vectorised evaluate + cheapest  {best:.3f} s best of {len(times)} "
          f"(first {times[0]:.3f} s; evaluate alone {min(eval_times):.3f} s)")
    print(f"vectorised configurations/s     {rate:,.0f} warm, {n / times[0]:,.0f} cold (first call)")
    print(f"scalar configurations/s         {scalar_rate:,.0f} "
          f"({args.scalar_sample:,} sampled configurations in {scalar_s:.2f} s)")
    print(f"speed-up over scalar            {rate / scalar_rate:,.0f}x")
    print(f"feasible (model, system, quarter) rows  {int(table.feasible.sum())} of {len(table)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
