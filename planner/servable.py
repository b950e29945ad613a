"""The one rule for "from which quarter is a model servable": first and sustained quarters.

A quarter is ok when the caller's checks pass (``planner when``, the report's findings and the
sweep each pass their own masks of the same checks). "Earliest" means sustained: the first ok
quarter from which every later quarter with demand through the horizon's end is ok too. The
first ok quarter is reported beside it when the two differ ("first, but not sustained").
"""
from __future__ import annotations

import numpy as np


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
