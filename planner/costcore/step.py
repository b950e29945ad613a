"""The decode step time from its operands: one formula for the whole grid and for chosen cells.

:func:`planner.costcore.physics.decode_terms` computes the operands (physics.py, "Decode
step"); :func:`combine` turns them into step times. The same function runs on the broadcast
chunks of the full (M,S,Q,R,B) grid (:meth:`StepTerms.full`) and on gathered cells
(:meth:`StepTerms.cells`, read by the batch search of :mod:`planner.costcore.search`), with
the same operations in the same order, so a cell's step is the same float either way.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK_CONFIGS = 1 << 16  # configurations per vectorised chunk: keeps temporaries in cache


def combine(mem_bytes, inv_bw, ft, bn, comm, overlap, fixed, seq, batch, accepted):
    """Decode step per accepted token: memory time (bytes read x 1 / HBM rate) against compute
    (FLOP time x B / N), communication (x B / N) added, or hidden behind the work up to the
    shorter of the two where the system overlaps micro-batches, then the fixed time, the
    per-sequence overhead x B and / accepted tokens per step. Operands broadcast."""
    out = np.multiply(mem_bytes, inv_bw)
    np.maximum(out, ft * bn, out=out)
    comm = comm * bn
    out = np.where(overlap, np.maximum(out, comm), out + comm)
    out += fixed
    out += seq * batch
    out /= accepted
    return out


@dataclass(frozen=True)
class StepTerms:
    """The operands of :func:`combine` over the grid's axes."""

    mem_bytes: np.ndarray  # (M, S, R, B) bytes read per step per chip
    inv_bw: np.ndarray  # (S, Q) seconds per byte of HBM at the quarter's efficiency
    ft: np.ndarray  # (M, S, Q) FLOP time per verified token per sequence
    bn: np.ndarray  # (R, B) sequences per chip, B / N
    comm: np.ndarray  # (M, S, Q, R) communication chip-s per verified token
    overlap: np.ndarray  # (S,) bool: two-micro-batch overlap
    fixed: np.ndarray  # (M, S, Q, R) fixed time per step
    seq: np.ndarray  # (M, S, Q, R) per-sequence overhead per step
    batch: np.ndarray  # (B,)
    accepted: np.ndarray  # (M, S) accepted tokens per step

    def cells(self, m, s, q, r) -> "Cells":
        """The (model, system, quarter, layout) cells given by equal-length index arrays,
        their step times to be read at any batch (:meth:`Cells.step`)."""
        M, S, R, B = self.mem_bytes.shape
        Q = self.inv_bw.shape[1]
        sq, ms = s * Q + q, m * S + s
        cell = (ms * Q + q) * R + r
        return Cells(mem_at=(ms * R + r) * B, bn_at=r * B,
                     mem_bytes=self.mem_bytes.reshape(-1), bn=self.bn.reshape(-1),
                     batch=self.batch, inv_bw=self.inv_bw.reshape(-1)[sq],
                     ft=self.ft.reshape(-1)[ms * Q + q], comm=self.comm.reshape(-1)[cell],
                     overlap=self.overlap[s], fixed=self.fixed.reshape(-1)[cell],
                     seq=self.seq.reshape(-1)[cell], accepted=self.accepted.reshape(-1)[ms])

    def full(self) -> np.ndarray:
        """(M, S, Q, R, B) step times, computed in chunks of (model, systems) so the 5-D
        temporaries stay small and cache-resident."""
        M, S, Q, R = self.comm.shape
        B = len(self.batch)
        step = np.empty((M, S, Q, R, B))
        chunk = max(1, _CHUNK_CONFIGS // max(Q * R * B, 1))
        inv_bw = self.inv_bw[:, :, None, None]
        overlap = self.overlap[:, None, None, None]
        accepted = self.accepted[:, :, None, None, None]
        for m in range(M):
            for lo in range(0, S, chunk):
                hi = min(S, lo + chunk)
                step[m, lo:hi] = combine(
                    self.mem_bytes[m, lo:hi, None], inv_bw[lo:hi],
                    self.ft[m, lo:hi, :, None, None], self.bn, self.comm[m, lo:hi, ..., None],
                    overlap[lo:hi], self.fixed[m, lo:hi, ..., None],
                    self.seq[m, lo:hi, ..., None], self.batch, accepted[m, lo:hi])
        return step


@dataclass(frozen=True)
class Cells:
    """The batch-independent operands of some (model, system, quarter, layout) cells,
    gathered once, and where their batch-dependent ones start in the flat arrays."""

    mem_at: np.ndarray
    bn_at: np.ndarray
    mem_bytes: np.ndarray  # flat (M*S*R*B)
    bn: np.ndarray  # flat (R*B)
    batch: np.ndarray  # (B,)
    inv_bw: np.ndarray
    ft: np.ndarray
    comm: np.ndarray
    overlap: np.ndarray
    fixed: np.ndarray
    seq: np.ndarray
    accepted: np.ndarray

    def step(self, b: np.ndarray) -> np.ndarray:
        """Step times at batch index ``b``: (n,) one per cell, or (n, k) for a row of k batch
        indices (k,) for every cell."""
        b = np.asarray(b)
        if b.shape != self.mem_at.shape and (b.ndim != 2 or b.shape[0] != 1):
            raise ValueError("b: one batch index per cell, or a (1, k) row for every cell")
        col = (lambda x: x) if b.shape == self.mem_at.shape else (lambda x: x[:, None])
        return combine(self.mem_bytes[col(self.mem_at) + b], col(self.inv_bw), col(self.ft),
                       self.bn[col(self.bn_at) + b], col(self.comm), col(self.overlap),
                       col(self.fixed), col(self.seq), self.batch[b], col(self.accepted))
