"""One-call entry from schema objects to the cost table: :func:`evaluate` -> :class:`CostTable`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from common.quarters import Quarter
from demand.schema import Model
from fleets.schema import System
from planner.costcore import physics, select
from planner.costcore.architecture import model_shape
from planner.costcore.arrays import model_arrays, system_arrays
from planner.costcore.efficiency import EfficiencyTable

QuarterLike = Union[Quarter, str]


@dataclass(frozen=True)
class CostTable:
    """The cheapest configuration per (model, system, quarter) and the grid behind it."""

    table: pd.DataFrame  # columns: select.COLUMNS; units in table.attrs["units"]
    grid: physics.Grid

    @property
    def units(self) -> dict[str, str]:
        return dict(select.UNITS)

    def pareto(self, model: str, system: str, quarter: QuarterLike,
               cost: str = "usd_per_m_output") -> pd.DataFrame:
        """Cost-versus-speed frontier of one (model, system, quarter); see select.pareto."""
        return select.pareto(self.grid, model, system, str(quarter), cost=cost)


def _cost_matrix(usd_per_chip_hour, systems: Sequence[str], quarters: Sequence[str]) -> np.ndarray:
    if isinstance(usd_per_chip_hour, pd.DataFrame):
        frame = usd_per_chip_hour.rename(columns=str)
        missing = [s for s in systems if s not in frame.index]
        missing += [q for q in quarters if q not in frame.columns]
        if missing:
            raise ValueError(f"usd_per_chip_hour: missing {missing}")
        return frame.loc[list(systems), list(quarters)].to_numpy(dtype=np.float64)
    arr = np.asarray(usd_per_chip_hour, dtype=np.float64)
    if arr.shape != (len(systems), len(quarters)):
        raise ValueError(f"usd_per_chip_hour: expected shape {(len(systems), len(quarters))}, "
                         f"got {arr.shape}")
    return arr


def mtp_tokens(models: Mapping[str, Model], systems: Mapping[str, System]
               ) -> tuple[np.ndarray, np.ndarray]:
    """(M, S) MTP draft and accepted tokens per step (plain decoding: 0 and 1).

    Rule: a model's own ``speculative`` applies on every system; otherwise a system's
    ``deployment.mtp`` applies to the models with an MTP head (``mtp_head: true``): a draft
    head trained with the model is what makes its acceptance rate known.
    """
    draft = np.zeros((len(models), len(systems)))
    accepted = np.ones((len(models), len(systems)))
    for i, m in enumerate(models.values()):
        for j, s in enumerate(systems.values()):
            spec = m.speculative or (s.deployment.mtp if m.mtp_head and s.deployment else None)
            if spec is not None:
                draft[i, j], accepted[i, j] = spec.draft_tokens, spec.accepted_tokens
    return draft, accepted


def _quarters(quarters: Sequence[QuarterLike], serving_efficiency) -> tuple[list, np.ndarray]:
    """The quarter names and the serving efficiency (Q,) of each."""
    qnames = [str(Quarter.parse(q)) for q in quarters]
    if serving_efficiency is None:
        se = np.ones(len(qnames))
    elif isinstance(serving_efficiency, Mapping):
        by_name = {str(Quarter.parse(k)): float(v) for k, v in serving_efficiency.items()}
        se = np.array([by_name[q] for q in qnames])
    else:
        se = np.asarray(serving_efficiency, dtype=np.float64)
    return qnames, se


def hardware(models: Mapping[str, Model], systems: Mapping[str, System],
             efficiency_table: Optional[EfficiencyTable] = None,
             replica_chips: Sequence[float] = physics.DEFAULT_REPLICA_CHIPS,
             batch: Sequence[float] = physics.DEFAULT_BATCH) -> dict:
    """:func:`~planner.costcore.physics.hardware_terms` of schema objects: the part of the
    cost core that no quarter changes, computed once for many serving efficiencies."""
    draft, accepted = mtp_tokens(models, systems)
    return physics.hardware_terms(
        model_arrays(models), system_arrays(systems, efficiency_table), replica_chips, batch,
        draft_tokens=draft, accepted_tokens=accepted,
        prefill_attention_width=[m.prefill_attention_width or model_shape(m).attention_width
                                 for m in models.values()])


def evaluate(models: Mapping[str, Model], systems: Mapping[str, System],
             quarters: Sequence[QuarterLike], usd_per_chip_hour,
             serving_efficiency=None, efficiency_table: Optional[EfficiencyTable] = None,
             replica_chips: Sequence[float] = physics.DEFAULT_REPLICA_CHIPS,
             batch: Sequence[float] = physics.DEFAULT_BATCH) -> CostTable:
    """Evaluate all (model, system, quarter) pairs over replica sizes and batches.

    ``usd_per_chip_hour``: (S, Q) array in the order of ``systems`` and ``quarters``, or a
    DataFrame indexed by system name with quarter columns. ``serving_efficiency``: (Q,) array,
    a {quarter: factor} mapping, or None (1.0). ``efficiency_table``: default the shipped one.
    """
    qnames, se = _quarters(quarters, serving_efficiency)
    grid = physics.grid_of(hardware(models, systems, efficiency_table, replica_chips, batch),
                           qnames, _cost_matrix(usd_per_chip_hour, list(systems), qnames), se)
    return CostTable(table=select.cheapest(grid), grid=grid)


@dataclass(frozen=True)
class Choice:
    """The cheapest configuration per (model, system, quarter) that meets the targets, as
    (M, S, Q) arrays: what a plan needs of it. Rows without one are 0 and not ``feasible``."""

    feasible: np.ndarray  # bool
    replica_chips: np.ndarray
    output_tokens_per_s_per_chip: np.ndarray
    input_tokens_per_s_per_chip: np.ndarray


def cheapest_choice(hw: dict, quarters: Sequence[QuarterLike], serving_efficiency=None,
                    wanted: np.ndarray | None = None) -> Choice:
    """The feasible rows of ``evaluate(...).table`` (the same physics, the same choice, the
    same floats) for the :func:`hardware` ``hw`` without the 5-D step array or the table:
    the decode step is computed only for the cells the batch search
    (:mod:`planner.costcore.search`) visits. The entry point of a sweep sample, which needs
    no reasons, no frontier and no prices. ``wanted`` (S, Q) bool: the (system, quarter)
    rows to search (default all; a sample skips those without chips); the others are
    reported not feasible."""
    qnames, se = _quarters(quarters, serving_efficiency)
    grid = physics.grid_of(hw, qnames, np.ones((len(hw["systems"]), len(qnames))), se)
    best, feasible = select.best_configurations(grid, wanted)
    shape = grid.shape[:3]
    rows = np.flatnonzero(feasible)
    m, s, q = np.unravel_index(rows, shape)
    r, b = np.divmod(best[rows], len(grid.batch))
    n, step = grid.replica_chips[r], grid.step_at(m, s, q, r, b)
    out = [np.zeros(shape) for _ in range(3)]
    out[0].flat[rows] = n
    out[1].flat[rows] = grid.batch[b] / (n * step)
    out[2].flat[rows] = 1.0 / grid.prefill_chip_s_per_token().flat[rows]
    return Choice(feasible.reshape(shape), *out)
