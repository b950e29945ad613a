"""The batch search (costcore/search.py) picks exactly what a full scan of the grid picks, and
the lean entry (api.cheapest_choice) equals the feasible rows of evaluate(...).table, to the
bit, on the default catalog and on hand-made systems (MTP, per-sequence overhead, overlap,
an unsorted batch list)."""
import numpy as np
import pytest

from planner.costcore import evaluate, evaluate_grid, examples, model_arrays, system_arrays
from planner.costcore.api import cheapest_choice, hardware
from planner.costcore.search import best_per_row
from planner.costcore.select import best_configurations
from planner.scenario.horizon import horizon_quarters, serving_efficiency
from planner.scenario.loaded import load_scenario


class _Cells:
    """Cells read from an explicit (M,S,Q,R,B) step array (hand-made grids)."""

    def __init__(self, flat, at):
        self.flat, self.at = flat, at

    def step(self, b):
        b = np.asarray(b)
        return self.flat[(self.at if b.ndim == 1 else self.at[:, None]) + b]


def grid_cells(step_s):
    M, S, Q, R, B = step_s.shape
    flat = step_s.reshape(-1)
    return lambda m, s, q, r: _Cells(flat, (((m * S + s) * Q + q) * R + r) * B)


def full_scan(grid):
    """The rule of select.py as a plain scan over every (layout, batch): the reference."""
    M, S, Q, R, B = grid.shape
    mo = grid.models
    prefill = (mo.input_tokens / mo.output_tokens)[:, None, None] * grid.prefill_chip_s_per_token()
    ttft_ok = grid.prefill_ttft_s() <= mo.max_ttft_s[:, None, None]
    ok = ((grid.step_s <= (1.0 / mo.min_output_tokens_per_s)[:, None, None, None, None])
          & ttft_ok[..., None, None] & grid.fits[:, :, None])
    total = grid.step_s * (grid.replica_chips[:, None] / grid.batch[None, :]) \
        + prefill[..., None, None]
    total[~ok] = np.inf
    flat = total.reshape(M * S * Q, R * B)
    return np.argmin(flat, axis=1), ok.reshape(M * S * Q, R * B).any(axis=1)


@pytest.fixture(scope="module")
def default():
    sc = load_scenario(None).scenario
    qlist = horizon_quarters(sc)
    return ({k: sc.models[k] for k in sc.demand}, sc.systems, [str(q) for q in qlist],
            serving_efficiency(sc, qlist))


def _agree(grid):
    best, feasible = best_configurations(grid)
    ref_best, ref_feasible = full_scan(grid)
    assert np.array_equal(feasible, ref_feasible)
    assert np.array_equal(best[feasible], ref_best[ref_feasible])
    return feasible


@pytest.mark.parametrize("factor", [0.55, 0.8, 1.0, 1.13, 1.6])
def test_search_equals_full_scan_on_the_default(default, factor):
    models, systems, quarters, se = default
    grid = evaluate(models, systems, quarters, np.ones((len(systems), len(quarters))),
                    se * factor).grid
    feasible = _agree(grid)
    assert 0 < feasible.sum() < feasible.size  # both kinds of row are exercised


def test_search_equals_full_scan_with_mtp_overheads_overlap_and_unsorted_batches():
    sys_ = {"h100": examples.h100_8().model_copy(update={"max_replica_domains": 16}),
            "gb300": examples.gb300_nvl72()}
    mods = {"10t": examples.mythos_10t(), "fast": examples.mythos_10t(tps=300),
            "dense": examples.model(70, 70, bits=8, layers=80, hidden=8192,
                                    attention_width=8192, kv=327680, experts=None,
                                    input_tokens=2000, output_tokens=500)}
    arrays = system_arrays(sys_)
    batch = (64, 1, 512, 8, 4096, 2, 128, 16384, 32, 3)  # unsorted on purpose
    for overlap in ((0, 0), (1, 0), (1, 1)):
        grid = evaluate_grid(model_arrays(mods), arrays.__class__(**{
            **arrays.__dict__, "overlap": np.array(overlap, dtype=float)}),
            ["2026Q1", "2027Q3"], np.ones((2, 2)), [0.9, 1.4], batch=batch,
            sequence_overhead_s=[2e-5, 0.0], draft_tokens=[[1, 2], [0, 1], [0, 0]],
            accepted_tokens=[[1.7, 2.4], [1, 1.8], [1, 1]])
        _agree(grid)


def test_search_on_a_hand_grid_picks_the_last_fast_enough_batch():
    """One layout, step = 1 + B / 10 s: with a 0.1 tok/s target (step <= 10 s) the batches
    up to 90 qualify and the cheapest is the largest of them, B = 64 (N x step / B falls)."""
    batch = np.array([1.0, 8.0, 64.0, 128.0])
    step = (1 + batch / 10)[None, None, None, None, :]
    best, feasible = best_per_row(grid_cells(step), np.ones((1, 1, 1, 4), bool),
                                  np.zeros((1, 1, 1)), np.ones((1, 1, 1), bool),
                                  np.array([10.0]), np.array([1.0]), batch)
    assert feasible.tolist() == [True] and best.tolist() == [2]
    best, feasible = best_per_row(grid_cells(step), np.ones((1, 1, 1, 4), bool),
                                  np.zeros((1, 1, 1)), np.ones((1, 1, 1), bool),
                                  np.array([1.0]), np.array([1.0]), batch)
    assert feasible.tolist() == [False] and best.tolist() == [0]


def test_search_settles_ties_as_a_full_scan_does():
    """Two layouts, step proportional to the batch (no fixed time): every batch of a layout
    costs the same, and both layouts cost the same; a full scan picks the first layout's
    first batch, and so does the search."""
    batch = np.array([1.0, 2.0, 4.0, 8.0])
    step = np.broadcast_to(batch / 16, (1, 1, 1, 2, 4)).copy()  # N = 1 and N = 2: N x step / B
    step[..., 1, :] /= 2  # the second layout: twice the chips, half the step
    grid_like = grid_cells(step)
    args = (np.ones((1, 1, 2, 4), bool), np.zeros((1, 1, 1)), np.ones((1, 1, 1), bool),
            np.array([1.0]), np.array([1.0, 2.0]), batch)
    best, feasible = best_per_row(grid_like, *args)
    assert feasible.tolist() == [True] and best.tolist() == [0]


@pytest.mark.parametrize("factor", [0.7, 1.0, 1.25])
def test_cheapest_choice_equals_the_feasible_rows_of_the_table(default, factor):
    models, systems, quarters, se = default
    choice = cheapest_choice(hardware(models, systems), quarters, se * factor)
    table = evaluate(models, systems, quarters, np.ones((len(systems), len(quarters))),
                     se * factor).table
    shape = choice.feasible.shape
    feasible = table["feasible"].to_numpy(dtype=bool).reshape(shape)
    assert np.array_equal(choice.feasible, feasible)
    for name in ("replica_chips", "output_tokens_per_s_per_chip", "input_tokens_per_s_per_chip"):
        expected = np.where(feasible, table[name].to_numpy(dtype=float).reshape(shape), 0.0)
        assert np.array_equal(getattr(choice, name), expected), name


def test_cheapest_choice_searches_only_the_wanted_rows(default):
    models, systems, quarters, se = default
    hw = hardware(models, systems)
    full = cheapest_choice(hw, quarters, se)
    wanted = np.zeros((len(systems), len(quarters)), dtype=bool)
    wanted[::2, 1::3] = True
    part = cheapest_choice(hw, quarters, se, wanted)
    assert np.array_equal(part.feasible, full.feasible & wanted[None])
    for name in ("replica_chips", "output_tokens_per_s_per_chip", "input_tokens_per_s_per_chip"):
        assert np.array_equal(getattr(part, name), np.where(wanted[None], getattr(full, name), 0))


def test_cells_take_one_batch_per_cell_or_one_row_for_all(default):
    models, systems, quarters, se = default
    grid = evaluate(models, systems, quarters, np.ones((len(systems), len(quarters))), se).grid
    m, s, q, r = (np.array([0, 1]),) * 4
    cells = grid.terms.cells(m, s, q, r)
    assert np.array_equal(cells.step(np.array([2, 3])), grid.step_s[m, s, q, r, [2, 3]])
    assert np.array_equal(cells.step(np.arange(4)[None, :]), grid.step_s[m, s, q, r, :4])
    for bad in (np.array(1), np.array([1, 2, 3]), np.ones((2, 2), dtype=int)):
        with pytest.raises(ValueError, match="one batch index per cell"):
            cells.step(bad)
