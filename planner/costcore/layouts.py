"""Replica layout options: the R axis of the cost grid.

One option is a replica of ``N`` chips whose attention (and other dense parts) runs tensor
parallel over groups of ``t`` chips, ``g = N / t`` groups per replica. The model kind decides
what the groups are (physics.py, "Layout"):

* MoE models: ``g`` data-parallel attention groups, routed experts expert-parallel over all N
  chips (``expert_parallel = N``, ``pipeline_stages = 1``);
* dense models: ``g`` pipeline stages of TP ``t`` (``pipeline_stages = g``,
  ``expert_parallel = 1``), so t x p = N.

Both kinds share one option list, so the grid is not doubled by options a model cannot use:
for every replica size N of ``replica_chips`` the options are ``t`` in ``ATTENTION_TP`` with
``t <= N`` and N a whole multiple of t. A system admits an option when the replica size is
valid for it (inside one scale-up domain, or whole domains up to ``max_replica_domains``) and
the TP group stays inside one domain (``t <= min(N, D)``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

ATTENTION_TP = (1, 2, 4, 8)  # TP beyond 8 rarely pays: GQA has ~8 KV heads
MAX_REPLICA_CHIPS = 1152


@dataclass(frozen=True)
class Layouts:
    """Layout options, each field (R,): replica chips N, attention TP t, groups g = N / t."""

    replica_chips: np.ndarray
    attention_tp: np.ndarray
    groups: np.ndarray

    def __len__(self) -> int:
        return int(self.replica_chips.size)

    def pipeline_stages(self, moe: np.ndarray) -> np.ndarray:
        """(M, R) pipeline stages: g for dense models, 1 for MoE models (``moe`` (M,) bool)."""
        return np.where(moe[:, None], 1.0, self.groups[None, :])

    def expert_parallel(self, moe: np.ndarray) -> np.ndarray:
        """(M, R) expert-parallel width: N for MoE models, 1 for dense models."""
        return np.where(moe[:, None], self.replica_chips[None, :], 1.0)


def layout_options(replica_chips: Sequence[float], attention_tp: Sequence[float] = ATTENTION_TP
                   ) -> Layouts:
    """Every (N, t) with t in ``attention_tp``, t <= N and N a whole multiple of t, ordered by
    N then t."""
    n = np.array(replica_chips, dtype=np.float64)
    tp = np.array(attention_tp, dtype=np.float64)
    if n.ndim != 1 or tp.ndim != 1 or np.any(n < 1) or np.any(tp < 1):
        raise ValueError("replica_chips and attention_tp must be 1-D sequences of values >= 1")
    nn, tt = np.meshgrid(np.unique(n), np.unique(tp), indexing="ij")
    keep = (tt <= nn) & (np.mod(nn, tt) == 0)
    N, t = nn[keep], tt[keep]
    return Layouts(replica_chips=N, attention_tp=t, groups=N / t)


def valid_layouts(chips_per_domain: np.ndarray, layouts: Layouts,
                  max_domains: np.ndarray | None = None) -> np.ndarray:
    """(S, R) mask: the replica is inside one domain or up to ``max_domains`` whole domains and
    at most MAX_REPLICA_CHIPS chips, and its TP groups fit in one domain each (a replica that
    spans domains needs t to divide the domain size, or a group would straddle two)."""
    n, t = layouts.replica_chips[None, :], layouts.attention_tp[None, :]
    d = chips_per_domain[:, None]
    most = np.inf if max_domains is None else max_domains[:, None]
    size_ok = (n <= MAX_REPLICA_CHIPS) & ((n <= d) | ((np.mod(n, d) == 0) & (n <= d * most)))
    return size_ok & (t <= np.minimum(n, d)) & ((n <= d) | (np.mod(d, t) == 0))
