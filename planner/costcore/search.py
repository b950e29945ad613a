"""The cheapest configuration per (model, system, quarter) by a batch search, not a full scan.

The rule is :mod:`planner.costcore.select`'s: among the configurations (layout r, batch b)
that fit, reach the per-user speed target and whose row meets the TTFT target, the one with
the fewest chip-seconds per output token, ``N x step / B + input / output x prefill``; ties
go to the first in (r, b) order. Two laws of the physics (physics.py, "Decode step") make a
search exact:

* the step time does not fall as the batch grows, and neither does the KV memory, so for one
  layout the batches that fit and meet the speed target are the smallest ones up to some
  batch: a bisection over the sorted batches finds it with ~log2(B) step evaluations;
* the step per sequence (step / B) does not rise with the batch (every term of the step is
  a constant plus a part that grows at most linearly), so that last batch is the layout's
  cheapest.

The layouts whose cheapest lies within 1e-9 of the row's best compete (the floats of
N x step / B can differ from the exact law by a few units in the last place); one whose next
smaller batch also costs within 1e-9 of it is scanned over every batch with the full grid's
floats, so ties are settled exactly as a full scan settles them (the first in (r, b) order).
``cells_of(m, s, q, r)`` returns an object whose ``step(b)`` gives the step times of those
cells at batch index ``b`` (one per cell, or a (1, k) row for every cell): the grid's
:meth:`StepTerms.cells`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

CellsOf = Callable[..., object]
_NEAR = 1e-9  # relative margin of the layouts scanned over every batch


def best_per_row(cells_of: CellsOf, fits: np.ndarray, prefill: np.ndarray, ttft_ok: np.ndarray,
                 max_step: np.ndarray, replica_chips: np.ndarray, batch: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(best flat r * B + b index, feasible) per (m, s, q) row in C order, both (M*S*Q,).

    ``fits`` (M,S,R,B) bool; ``prefill`` (M,S,Q) prefill chip-s per output token (input /
    output x chip-s per input token); ``ttft_ok`` (M,S,Q) bool; ``max_step`` (M,) seconds;
    ``replica_chips`` (R,), ``batch`` (B,). Rows without a feasible configuration get 0.
    """
    M, S, R, B = fits.shape
    Q = prefill.shape[2]
    order = np.argsort(batch, kind="stable")
    fits_sorted = fits[..., order]
    n_fit = np.where(fits_sorted.all(axis=-1), B, np.argmin(fits_sorted, axis=-1))  # (M,S,R)
    active = ttft_ok[..., None] & (n_fit[:, :, None, :] > 0)  # (M,S,Q,R)
    m, s, q, r = np.nonzero(active)

    # bisection: lo batches (sorted) known to meet the speed target, hi at most
    lo, hi = np.zeros(m.size, dtype=np.intp), n_fit[m, s, r]
    limit, cells = max_step[m], cells_of(m, s, q, r)
    step_lo = np.zeros(m.size)  # the step time at batch lo (sorted), once lo > 0
    while (lo < hi).any():
        mid = (lo + hi + 1) // 2  # lo < mid <= hi where open; closed cells test lo, unused
        step = cells.step(order[np.maximum(mid, 1) - 1])
        grow = (lo < hi) & (step <= limit)
        hi = np.where((lo < hi) & ~grow, mid - 1, hi)
        lo = np.where(grow, mid, lo)
        step_lo = np.where(grow, step, step_lo)

    keep = np.flatnonzero(lo > 0)
    m, s, q, r, pos = m[keep], s[keep], q[keep], r[keep], lo[keep] - 1
    b_best = order[pos]
    value = step_lo[keep] * (replica_chips[r] / batch[b_best]) + prefill[m, s, q]
    row = (m * S + s) * Q + q
    best = np.zeros(M * S * Q, dtype=np.intp)
    feasible = np.zeros(M * S * Q, dtype=bool)
    if not row.size:
        return best, feasible
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])  # rows are contiguous (C order)
    row_best = np.minimum.reduceat(value, starts)
    near = np.flatnonzero(value <= np.repeat(row_best, np.diff(np.r_[starts, row.size]))
                          * (1 + _NEAR))
    m, s, q, r, pos, row = m[near], s[near], q[near], r[near], pos[near], row[near]
    b_best, value = b_best[near], value[near]

    # a near layout whose next smaller batch costs within 1e-9 of its best may hold a float
    # tie (the costs fall with the batch): it is scanned over every batch as a full scan is
    prev = np.flatnonzero(pos > 0)
    b_prev = order[pos[prev] - 1]
    cost_prev = (cells_of(m[prev], s[prev], q[prev], r[prev]).step(b_prev)
                 * (replica_chips[r[prev]] / batch[b_prev]) + prefill[m[prev], s[prev], q[prev]])
    tied = prev[cost_prev <= value[prev] * (1 + _NEAR)]
    if tied.size:
        mt, st, qt, rt = m[tied], s[tied], q[tied], r[tied]
        step = cells_of(mt, st, qt, rt).step(np.arange(B)[None, :])
        ok = (step <= max_step[mt][:, None]) & fits[mt, st, rt]
        scan = step * (replica_chips[rt][:, None] / batch[None, :]) + prefill[mt, st, qt][:, None]
        scan[~ok] = np.inf
        b_best[tied] = np.argmin(scan, axis=1)
        value[tied] = scan[np.arange(tied.size), b_best[tied]]
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    lowest = np.repeat(np.minimum.reduceat(value, starts), np.diff(np.r_[starts, row.size]))
    winners = np.flatnonzero(value == lowest)
    first = winners[np.r_[True, row[winners][1:] != row[winners][:-1]]]  # smallest r per row
    best[row[first]] = r[first] * B + b_best[first]
    feasible[row[first]] = True
    return best, feasible

