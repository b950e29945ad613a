"""Benchmark of the allocation solver: build and solve times, against a naive PuLP build and a
minimal direct highspy build of the same model, in one run.

    python benchmarks/bench_solver.py            # 50 models x 20 systems x 16 quarters x 10 sites
    python benchmarks/bench_solver.py --small    # quick run
    python benchmarks/bench_solver.py --verify   # also solve the naive build and compare optima

Goals (issue 5): build <= 1 s, >= 5x faster than the naive build and within 20x of the direct
highspy build; LP solve <= 4 s with HiGHS; a default-scenario-sized instance builds and solves
in well under a second. Issue 13: solve_allocation's LP end to end within 1.5x of the direct
highspy build and solve. "build" is what the LP mode runs (index + numpy arrays); the PuLP
build (CBC, integer modes) is printed too. Figures are printed; the exit code is 0 whatever
they are.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections import defaultdict

import numpy as np
import pandas as pd
import pulp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from solver import SolveOptions, solve_allocation  # noqa: E402
from solver.build import build_model, min_service_penalty  # noqa: E402
from solver.highs_lp import objective_value, solve_lp_arrays  # noqa: E402
from solver.indexing import index_problem  # noqa: E402
from solver.lp_arrays import build_arrays  # noqa: E402
from solver.solve import _swallow_highs_banner  # noqa: E402
from solver.synthetic import random_problem  # noqa: E402

EPS = SolveOptions().tie_break_usd_per_chip_hour


def our_build(problem, ms_penalty):
    """What solve_allocation times as build_s in LP mode: index the tables, build the arrays."""
    ix = index_problem(problem)
    return build_arrays(ix, tie_break_usd_per_chip_hour=EPS,
                        min_service_penalty_usd_per_m=ms_penalty)


def pulp_build(problem, ms_penalty):
    """The PuLP bulk build of the same LP (what CBC and the integer modes use)."""
    ix = index_problem(problem)
    return build_model(ix, replicas=False, integer=False, tie_break_usd_per_chip_hour=EPS,
                       min_service_penalty_usd_per_m=ms_penalty)


def naive_build(problem, ms_penalty):
    """The textbook PuLP build of the same model: dicts of variables, lpSum(coef * x) per row."""
    gc.collect()
    prob = pulp.LpProblem("naive", pulp.LpMinimize)
    opt = problem.options.sort_values(["model", "system", "quarter", "site"])
    dem = problem.demand.sort_values(["model", "quarter"])
    x = {}
    by_cap, by_dem, by_pow = defaultdict(list), defaultdict(list), defaultdict(list)
    capped = set()
    if problem.power_cap is not None:
        capped = set(zip(problem.power_cap["site"], problem.power_cap["quarter"]))
    for j, r in enumerate(opt.itertuples(index=False)):
        v = x[(r.model, r.system, r.quarter, r.site)] = prob.add_variable(f"x{j:07d}", 0)
        by_cap[(r.system, r.quarter, r.site)].append(v)
        by_dem[(r.model, r.quarter)].append((r.m_output_per_chip_hour, v))
        if (r.site, r.quarter) in capped:
            by_pow[(r.site, r.quarter)].append((r.kw_per_chip / 1000.0, v))
    u, z = {}, {}
    for k, r in enumerate(dem.itertuples(index=False)):
        u[(r.model, r.quarter)] = prob.add_variable(f"u{k:06d}", 0)
        if r.min_served_fraction > 0:
            z[(r.model, r.quarter)] = prob.add_variable(f"z{k:06d}", 0)
    for i, r in enumerate(problem.capacity.itertuples(index=False)):
        key = (r.system, r.quarter, r.site)
        if key in by_cap:
            prob += pulp.lpSum(1.0 * v for v in by_cap[key]) <= r.chips, f"cap{i:06d}"
    for k, r in enumerate(dem.itertuples(index=False)):
        key = (r.model, r.quarter)
        prob += (pulp.lpSum(c * v for c, v in by_dem[key]) + u[key] >= r.m_output_per_hour,
                 f"dem{k:06d}")
        if key in z:
            prob += (u[key] - z[key] <= (1 - r.min_served_fraction) * r.m_output_per_hour,
                     f"min{k:06d}")
    if problem.power_cap is not None:
        for p, r in enumerate(problem.power_cap.itertuples(index=False)):
            key = (r.site, r.quarter)
            if key in by_pow:
                prob += pulp.lpSum(c * v for c, v in by_pow[key]) <= r.mw, f"pow{p:06d}"
    worth = {(r.model, r.quarter): r.value_usd_per_m_output + r.unmet_penalty_usd_per_m_output
             for r in dem.itertuples(index=False)}
    prob += (pulp.lpSum((r.usd_per_chip_hour + EPS) * x[(r.model, r.system, r.quarter, r.site)]
                        for r in opt.itertuples(index=False))
             + pulp.lpSum(worth[k] * v for k, v in u.items())
             + pulp.lpSum(ms_penalty * v for v in z.values())
             - float((dem["value_usd_per_m_output"] * dem["m_output_per_hour"]).sum()))
    return prob


def highspy_build(problem, ms_penalty):
    """The lower bound: the same model as numpy CSR arrays passed straight to highspy."""
    import highspy

    ix = index_problem(problem)
    nx, nu = ix.n_options, len(ix.demand_m_per_hour)
    z_rows = np.flatnonzero(ix.min_served_fraction > 0)
    nz = len(z_rows)
    j = np.arange(nx)
    cap_used = np.flatnonzero(np.bincount(ix.option_cap, minlength=len(ix.capacity_chips)))
    cap_pos = np.full(len(ix.capacity_chips), -1)
    cap_pos[cap_used] = np.arange(len(cap_used))
    linked = ix.option_pow >= 0
    pow_used = np.flatnonzero(np.bincount(ix.option_pow[linked], minlength=len(ix.power_mw)))
    pow_pos = np.full(len(ix.power_mw), -1)
    pow_pos[pow_used] = np.arange(len(pow_used))
    r_dem = len(cap_used)
    r_pow = r_dem + nu
    r_min = r_pow + len(pow_used)
    rows = np.concatenate([cap_pos[ix.option_cap], r_dem + ix.option_dem, r_dem + np.arange(nu),
                           r_pow + pow_pos[ix.option_pow[linked]], r_min + np.arange(nz),
                           r_min + np.arange(nz)])
    cols = np.concatenate([j, j, nx + np.arange(nu), j[linked], nx + z_rows,
                           nx + nu + np.arange(nz)])
    vals = np.concatenate([np.ones(nx), ix.tput_m_per_chip_hour, np.ones(nu),
                           ix.kw_per_chip[linked] / 1000.0, np.ones(nz), -np.ones(nz)])
    order = np.argsort(rows, kind="stable")
    n_rows = r_min + nz
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))[:-1]])
    inf = highspy.kHighsInf
    lower = np.concatenate([np.full(len(cap_used), -inf), ix.demand_m_per_hour,
                            np.full(len(pow_used) + nz, -inf)])
    upper = np.concatenate([ix.capacity_chips[cap_used], np.full(nu, inf),
                            ix.power_mw[pow_used],
                            (1 - ix.min_served_fraction[z_rows]) * ix.demand_m_per_hour[z_rows]])
    n = nx + nu + nz
    cost = np.concatenate([ix.usd_per_chip_hour + EPS, ix.value_usd_per_m + ix.penalty_usd_per_m,
                           np.full(nz, ms_penalty)])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n, np.zeros(n), np.full(n, inf))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    h.addRows(n_rows, lower, upper, len(vals), starts.astype(np.int32),
              cols[order].astype(np.int32), vals[order])
    constant = -float(ix.value_usd_per_m @ ix.demand_m_per_hour)
    return h, constant


def end_to_end(problem, ms_penalty, repeat):
    """Median seconds of solve_allocation's LP (its own total_s) and of the direct highspy
    build and solve, interleaved so that both see the same machine load; and the timings of
    the last solve_allocation."""
    ours, direct = [], []
    for _ in range(repeat):
        gc.collect()
        t = solve_allocation(problem).timings
        ours.append(t["total_s"])
        gc.collect()
        t0 = time.perf_counter()
        highs, _ = highspy_build(problem, ms_penalty)
        highs.run()
        direct.append(time.perf_counter() - t0)
    return statistics.median(ours), statistics.median(direct), t


def timed(fn, *args, repeat=3):
    """(median seconds, first seconds, last result) of ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times[0], result


def run(size, repeat, verify):
    problem = random_problem(*size, seed=0)
    ms_penalty = min_service_penalty(index_problem(problem))
    _swallow_highs_banner()
    n_opts = len(problem.options)
    print(f"instance: {size[0]} models x {size[1]} systems x {size[2]} quarters x {size[3]} sites"
          f" = {n_opts} options")

    build_s, build_first_s, model = timed(our_build, problem, ms_penalty, repeat=repeat)
    pulp_s, _, _ = timed(pulp_build, problem, ms_penalty, repeat=repeat)
    naive_s, _, naive = timed(naive_build, problem, ms_penalty, repeat=max(1, repeat - 1))
    direct_s, _, (highs, constant) = timed(highspy_build, problem, ms_penalty, repeat=repeat)
    print(f"variables {model.n_columns}, rows {model.n_rows}")
    print(f"build (index + arrays)     {build_s:8.3f} s   (first call {build_first_s:.3f} s)")
    print(f"PuLP bulk build            {pulp_s:8.3f} s   (CBC and the integer modes)")
    print(f"naive PuLP build (lpSum)   {naive_s:8.3f} s   -> ours is {naive_s / build_s:5.1f}x "
          f"faster")
    print(f"direct highspy build       {direct_s:8.3f} s   -> ours is {build_s / direct_s:5.1f}x "
          f"slower")

    t0 = time.perf_counter()
    lp = solve_lp_arrays(model, time_limit_s=600)
    solve_s = time.perf_counter() - t0
    ours = -objective_value(model.cost, model.offset, lp.col_values)
    t0 = time.perf_counter()
    highs.run()
    highs_run_s = time.perf_counter() - t0
    direct = -(highs.getInfo().objective_function_value + constant)
    print(f"LP solve (arrays, HiGHS)   {solve_s:8.3f} s   (HiGHS alone on the direct build "
          f"{highs_run_s:.3f} s)")
    print(f"objective {ours:.6f} $/h; direct highspy {direct:.6f} $/h; "
          f"rel. diff {abs(ours - direct) / max(abs(direct), 1):.1e}")
    if verify:
        naive.solve(pulp.HiGHS(msg=False))
        naive_obj = -naive.objective.value()
        print(f"naive build solved: {naive_obj:.6f} $/h; rel. diff "
              f"{abs(ours - naive_obj) / max(abs(naive_obj), 1):.1e}")
    del lp, naive, highs

    end_to_end_s, direct_total_s, t = end_to_end(problem, ms_penalty, repeat)
    print(f"solve_allocation LP end to end: build {t['build_s']:.3f} s, solve {t['solve_s']:.3f} s,"
          f" duals+tables {t['total_s'] - t['build_s'] - t['solve_s']:.3f} s "
          f"(polish {t.get('polish_s', 0.0):.3f} s); median total {end_to_end_s:.3f} s = "
          f"{end_to_end_s / direct_total_s:.2f}x a direct highspy build and solve "
          f"(median {direct_total_s:.3f} s; {repeat} interleaved runs each)")
    r = solve_allocation(problem, SolveOptions(integer="round"))
    t = r.timings
    print(f"solve_allocation round: total {t['total_s']:.3f} s (solve {t['solve_s']:.3f} s, "
          f"round {t['round_s']:.3f} s, plan-LP duals {t['duals_s']:.3f} s), "
          f"gap to LP bound {100 * r.gap:.3f} %")
    return {"build_s": build_s, "naive_ratio": naive_s / build_s,
            "direct_ratio": build_s / direct_s, "solve_s": solve_s,
            "end_to_end_ratio": end_to_end_s / direct_total_s}


def with_purchases(problem):
    """The same instance with a purchase slot for every (system, site, quarter ordered): one
    quarter of lead time, 8 quarters of life, up to 10 % of the row's mean capacity a
    quarter, at 60 % of the system's mean option cost committed."""
    import dataclasses

    cap = problem.capacity
    quarters = sorted(set(cap["quarter"]))
    cost = problem.options.groupby("system")["usd_per_chip_hour"].mean()
    rows = []
    for (system, site), g in cap.groupby(["system", "site"]):
        for ordered, served in zip(quarters[:-1], quarters[1:]):
            rows.append({"system": system, "site": site, "quarter_ordered": ordered,
                         "quarter": served, "life_quarters": 8, "min_chips": 0.0,
                         "max_chips": 0.1 * float(g["chips"].mean()), "domain_chips": 8,
                         "usd_per_chip": 30000.0,
                         "committed_usd_per_chip_hour": 0.6 * float(cost.get(system, 1.0))})
    return dataclasses.replace(problem, purchases=pd.DataFrame(rows))


def purchase_ratio(size):
    """solve_allocation end to end with purchase variables for every system, against the same
    LP without them (median of 3 each, interleaved)."""
    base = random_problem(*size, seed=0)
    buy = with_purchases(base)
    plain_s, buy_s = [], []
    for _ in range(3):
        for problem, times in ((base, plain_s), (buy, buy_s)):
            t0 = time.perf_counter()
            r = solve_allocation(problem)
            times.append(time.perf_counter() - t0)
    chips = float(r.purchases["chips"].sum())
    ratio = statistics.median(buy_s) / statistics.median(plain_s)
    print(f"with purchases ({len(buy.purchases)} slots, {chips:,.0f} chips bought): "
          f"{statistics.median(buy_s):.3f} s vs {statistics.median(plain_s):.3f} s without "
          f"-> {ratio:.2f}x")
    return ratio


def default_sized():
    """Roughly the default scenario: ~10 models x 8 systems x 16 quarters x 1 site."""
    problem = random_problem(10, 8, 16, 1, seed=1, power_caps=False)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = solve_allocation(problem)
        times.append(time.perf_counter() - t0)
    print(f"default-sized instance ({len(problem.options)} options): solve_allocation "
          f"{statistics.median(times):.3f} s (build {r.timings['build_s']:.3f} s, "
          f"solve {r.timings['solve_s']:.3f} s)")
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="quick run on a small instance")
    ap.add_argument("--verify", action="store_true", help="also solve the naive build")
    args = ap.parse_args(argv)
    size = (10, 5, 8, 2) if args.small else (50, 20, 16, 10)
    figures = run(size, repeat=3, verify=args.verify or args.small)
    default_s = default_sized()
    buy_ratio = purchase_ratio(size)
    print("goals:" + (" (they apply to the full-size instance)" if args.small else ""))
    for ok, text in [
        (figures["build_s"] <= 1.0, f"build <= 1 s: {figures['build_s']:.3f} s"),
        (figures["naive_ratio"] >= 5, f">= 5x faster than naive: {figures['naive_ratio']:.1f}x"),
        (figures["direct_ratio"] <= 20,
         f"within 20x of direct highspy: {figures['direct_ratio']:.1f}x"),
        (figures["solve_s"] <= 4.0, f"LP solve <= 4 s: {figures['solve_s']:.3f} s"),
        (figures["end_to_end_ratio"] <= 1.5, "LP end to end (build, solve, duals, tables) within "
         f"1.5x of a direct highspy build and solve: {figures['end_to_end_ratio']:.2f}x"),
        (default_s < 0.5, f"default-sized build + solve well under 1 s: {default_s:.3f} s"),
        (buy_ratio <= 2.0, f"purchase variables for every system within 2x: {buy_ratio:.2f}x"),
    ]:
        print(f"  [{'met' if ok else 'MISSED'}] {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
