"""A sparse matrix on numpy alone, connected components of a bipartite graph, and the
members and positions of items in labelled blocks.

The polish needs matrix-vector products, sub-matrices and the blocks of its active set; doing
them here keeps scipy (~0.3 s to import) off every planning run. Entries are kept in
canonical order (sorted by row, then column, duplicates summed), the order of a canonical CSR
matrix, so products add their terms in the same order as scipy's and give the same floats.
"""
from __future__ import annotations

import numpy as np


class Coo:
    """A ``shape`` matrix of entries (``row``, ``col``, ``data``) in canonical order."""

    def __init__(self, row, col, data, shape: tuple[int, int], canonical: bool = False):
        row, col = np.asarray(row, dtype=np.int64), np.asarray(col, dtype=np.int64)
        data = np.asarray(data, dtype=float)
        if not canonical and len(row):
            order = np.lexsort((col, row))
            row, col, data = row[order], col[order], data[order]
            first = np.ones(len(row), dtype=bool)
            first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
            if not first.all():
                starts = np.flatnonzero(first)
                row, col, data = row[starts], col[starts], np.add.reduceat(data, starts)
        self.row, self.col, self.data, self.shape = row, col, data, shape

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        """A @ v."""
        return np.bincount(self.row, weights=self.data * np.asarray(v)[self.col],
                           minlength=self.shape[0])

    def rmatvec(self, y: np.ndarray) -> np.ndarray:
        """A.T @ y."""
        return np.bincount(self.col, weights=self.data * np.asarray(y)[self.row],
                           minlength=self.shape[1])

    def __abs__(self) -> "Coo":
        return Coo(self.row, self.col, np.abs(self.data), self.shape, canonical=True)

    def sub(self, rows: np.ndarray, cols: np.ndarray) -> "Coo":
        """The sub-matrix of ascending ``rows`` and ``cols``, renumbered 0..len-1."""
        row_pos = np.full(self.shape[0], -1, dtype=np.int64)
        col_pos = np.full(self.shape[1], -1, dtype=np.int64)
        row_pos[rows], col_pos[cols] = np.arange(len(rows)), np.arange(len(cols))
        keep = (row_pos[self.row] >= 0) & (col_pos[self.col] >= 0)
        return Coo(row_pos[self.row[keep]], col_pos[self.col[keep]], self.data[keep],
                   (len(rows), len(cols)), canonical=True)


def bipartite_components(entries: Coo) -> tuple[int, np.ndarray]:
    """Connected components of the graph whose nodes are the rows then the columns of
    ``entries`` and whose edges are its entries: (count, label per node), labels numbered in
    order of each component's first node (as scipy's ``connected_components``)."""
    n_rows, n_cols = entries.shape
    n = n_rows + n_cols
    u, v = entries.row, n_rows + entries.col
    labels = np.arange(n, dtype=np.int64)
    while True:  # min-label propagation with pointer jumping: every label is a node id
        low = np.minimum(labels[u], labels[v])
        new = labels.copy()
        np.minimum.at(new, u, low)
        np.minimum.at(new, v, low)
        new = new[new]
        if np.array_equal(new, labels):
            break
        labels = new
    roots, dense = np.unique(labels, return_inverse=True)
    return len(roots), dense.astype(np.int64)


def local_index(labels: np.ndarray, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Position of each item within its block (in item order), and block sizes."""
    order = np.argsort(labels, kind="stable")
    count = np.bincount(labels, minlength=n_blocks)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    loc = np.empty(len(labels), dtype=np.int64)
    loc[order] = np.arange(len(labels)) - start[labels[order]]
    return loc, count


def block_members(labels: np.ndarray, n_blocks: int) -> list[np.ndarray]:
    """Item indices of each block, ascending."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_blocks + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(n_blocks)]
