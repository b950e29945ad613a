"""Allocation of accelerator chips to models, per quarter and site, as an LP or MILP (PuLP).

Plain pandas in, tidy pandas out; this package imports nothing else of the project and knows
no YAML. Usage::

    from solver import AllocationProblem, SolveOptions, solve_allocation, SolverError

    result = solve_allocation(AllocationProblem(options=..., capacity=..., demand=...),
                              SolveOptions(solver="highs", integer="off"))

Input tables (one row per key; keys are strings, values finite numbers):

* ``options``: model, system, quarter, site, m_output_per_chip_hour (> 0; M output tokens per
  chip-hour with the model's input tokens processed too), usd_per_chip_hour (>= 0),
  replica_chips (whole number >= 1), kw_per_chip (>= 0). Only listed options can get chips.
* ``capacity``: system, quarter, site, chips (>= 0, after reservations).
* ``demand``: model, quarter, m_output_per_hour, value_usd_per_m_output,
  unmet_penalty_usd_per_m_output, optional min_served_fraction in [0, 1].
* ``power_cap`` (optional): site, quarter, mw.
* ``purchases`` / ``budget`` (optional): chips that may be bought per (system, site, quarter
  ordered) and a capex budget per quarter ordered (``solver/purchases.py``); results then carry
  ``purchases`` and ``budget`` tables with the supply and budget shadow prices.
* ``demand_steps`` (optional): model, quarter, step, m_output_per_hour, value_usd_per_m_output:
  a demand row as slices of different value (price-responsive demand, LP mode only;
  ``solver/demand_steps.py``): in a shortage the lowest-valued slices go unserved first.

Objective (maximised, $ per hour): value of served demand - serving cost - unmet penalty, with
a tiny tie-break cost per chip-hour. See ``AllocationResult`` for the outputs.

Choices worth knowing:

* Shadow prices are >= 0 and equal the objective gain per extra chip-hour (or MW-hour); the
  model is solved as a minimisation so HiGHS and CBC report duals with the same sign. In the
  integer modes they are the duals of the LP in which every option keeps at least the plan's
  replicas and may add fractional chips: the value of one more chip given the integer plan.
* ``integer="round"``: LP, replicas rounded down, greedy top-up (best gain per chip first);
  ``"exact"``: MILP under the time limit and gap, started from the rounded plan. Both report
  the LP bound and the gap to it.
* Minimum service is a soft constraint with a dominating penalty: an unmeetable level is reported
  in ``min_service_violations`` and ``warnings`` (or raises SolverError with
  ``min_service="hard"``), naming the (model, quarter) rows.

Many instances (a sweep): ``solve_indexed_lp(ix)`` solves the LP of an ``IndexedProblem`` as
``solve_allocation``'s LP mode does (built, solved, polished) and returns chips per option.
"""

from .allocate import solve_allocation
from .indexing import IndexedProblem, index_problem
from .lp_mode import LpSolution, solve_indexed_lp
from .problem import AllocationProblem, SolveOptions, SolverError
from .results import AllocationResult
from .solve import cbc_available

__all__ = ["AllocationProblem", "AllocationResult", "IndexedProblem", "LpSolution",
           "SolveOptions", "SolverError", "cbc_available", "index_problem", "solve_allocation",
           "solve_indexed_lp"]
