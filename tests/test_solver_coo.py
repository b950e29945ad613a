"""solver.coo equals scipy.sparse bit for bit on what the polish uses."""
import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from solver.coo import Coo, bipartite_components


def test_hand_checked_products_and_blocks():
    # [[1 0 2], [0 0 0], [0 3 0]]: rows 0 and 2 are blocks of their own, row 1 is alone
    a = Coo([2, 0, 0], [1, 2, 0], [3.0, 2.0, 1.0], (3, 3))
    assert (a @ np.array([1.0, 1.0, 1.0])).tolist() == [3.0, 0.0, 3.0]
    assert a.rmatvec(np.array([1.0, 10.0, 100.0])).tolist() == [1.0, 300.0, 2.0]
    n, labels = bipartite_components(a)
    # nodes: rows 0..2 then columns 0..2; row 0 with columns 0 and 2, row 2 with column 1
    assert n == 3 and labels.tolist() == [0, 1, 2, 0, 2, 0]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25), st.integers(1, 25), st.integers(0, 60), st.integers(0, 2**31))
def test_equals_scipy(n_rows, n_cols, k, seed):
    rng = np.random.default_rng(seed)
    key = np.unique(rng.integers(0, n_rows * n_cols, k))  # distinct entries, as in the LP
    r, c = key // n_cols, key % n_cols
    d = rng.normal(size=len(key))
    rng.shuffle(order := np.arange(len(key)))
    r, c, d = r[order], c[order], d[order]
    ref, ours = sp.csr_matrix((d, (r, c)), shape=(n_rows, n_cols)), Coo(r, c, d, (n_rows, n_cols))
    v, y = rng.normal(size=n_cols), rng.normal(size=n_rows)
    assert np.array_equal(ref @ v, ours @ v)
    assert np.array_equal(ref.T @ y, ours.rmatvec(y))
    assert np.array_equal(abs(ref) @ v, abs(ours) @ v)
    rows, cols = np.flatnonzero(rng.random(n_rows) < 0.7), np.flatnonzero(rng.random(n_cols) < 0.7)
    sub_ref, sub = ref[rows][:, cols].tocoo(), ours.sub(rows, cols)
    assert np.array_equal(sub_ref.toarray(), sp.coo_matrix(
        (sub.data, (sub.row, sub.col)), shape=sub.shape).toarray())
    graph = sp.bmat([[None, sub_ref], [sub_ref.T, None]], format="csr") if len(rows) and len(cols) \
        else sp.csr_matrix((len(rows) + len(cols),) * 2)
    n_ref, lab_ref = connected_components(graph, directed=False)
    n, lab = bipartite_components(sub)
    assert n == n_ref and np.array_equal(lab, lab_ref)
