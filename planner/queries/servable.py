"""The one rule for "is model X servable in quarter Q" and "from which quarter".

A quarter is servable when (checked in this order; the first that fails is its reason):
1. the model has demand;
2. some system available that quarter fits the model and meets its speed target;
3. the cost of the cheapest such system leaves the margin at the price (checked here only
   when the model is not served at all: then the cheapest system is its cost basis);
4. at least ``share`` of its demand is served (within 0.1 %: share 1 means 99.9 %);
5. the margin on the systems actually used holds.
Without a price to hold (a model without list revenue, `when` without a price) checks 3 and 5
do not apply. ``quarter_status`` is that cascade for one quarter (`planner when`, the
report's findings and `diff` call it); the sweep applies checks 1, 4 and 5 on arrays, which is
the same rule since a quarter failing 2 or 3 serves nothing.

"Earliest" means sustained: the first servable quarter from which every later quarter with
demand through the horizon's end is servable too. The first servable quarter is reported
beside it when the two differ ("first, but not sustained").
"""
from __future__ import annotations

import math

import numpy as np

SERVED_SHARE = 0.999  # a model-quarter counts as served from this share of its demand on
SHARE_TOLERANCE = 1.0 - SERVED_SHARE


def quarter_status(*, has_demand: bool, no_fit: str, served: bool, served_fraction: float,
                   margin: float | None, target_margin: float, needs_price: float | None = None,
                   unit: str = "/M output", share: float = 1.0) -> str:
    """Why one model-quarter is not servable ("" when it is), by the cascade above.

    ``no_fit``: why no available system fits ("" when one does); ``served``: anything is
    served; ``margin``: at the price on the cost basis (None or NaN: no price to hold);
    ``needs_price``: the price that would leave ``target_margin`` (for the message)."""
    if not has_demand:
        return "no demand yet (before launch)"
    if no_fit:
        return no_fit
    below = margin is not None and not math.isnan(margin) and margin < target_margin - 1e-9
    if below and not served:
        needs = "" if needs_price is None else f"needs ${needs_price:.3g}{unit} for "
        return f"cost too high: {needs}a {target_margin:.0%} margin"
    if served_fraction < share - SHARE_TOLERANCE:
        return f"not enough capacity: {served_fraction:.0%} served"
    if below:
        return f"cost too high: margin {margin:.0%} < {target_margin:.0%}"
    return ""


def first_and_sustained(ok: np.ndarray, has_demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of (M, Q) masks (or one (Q,) row): position of the first ok quarter and of the
    first quarter from which the model stays ok; -1 where there is none."""
    ok, has_demand = np.atleast_2d(ok).astype(bool), np.atleast_2d(has_demand).astype(bool)
    n = ok.shape[1]
    first = np.where(ok.any(axis=1), ok.argmax(axis=1), -1)
    bad = has_demand & ~ok
    last_bad = np.where(bad.any(axis=1), n - 1 - bad[:, ::-1].argmax(axis=1), -1)
    after = ok & (np.arange(n)[None, :] > last_bad[:, None])
    sustained = np.where(after.any(axis=1), after.argmax(axis=1), -1)
    return first, sustained
