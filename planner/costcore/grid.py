"""The evaluated grid of :func:`planner.costcore.physics.evaluate_grid` and its derived metrics.

Axes: M models, S systems, Q quarters, R layout options (:mod:`planner.costcore.layouts`),
B batches. Decode quantities are per (M,S,Q,R,B); the prefill regime runs on its own replica,
one chosen layout per (M,S,Q) (``prefill_option``, physics.py "Prefill").
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from planner.costcore.arrays import ModelArrays, SystemArrays
from planner.costcore.layouts import Layouts
from planner.costcore.step import StepTerms


@dataclass(frozen=True)
class Grid:
    """Evaluated configurations.

    ``step_s`` is the decode step time per output token (M,S,Q,R,B: the step time, or with
    speculative decoding the step time over the accepted tokens), computed from ``terms`` on
    first use: the cheapest table and the frontiers read single cells (``terms.cells``, the
    same floats), so a plain run never builds the 5-D array. ``fits`` (M,S,R,B) includes
    the layout validity ``valid_replica`` (S,R). ``input_chip_s_per_token`` and ``ttft_s``
    (M,S,Q,R) are prefill on each layout; ``prefill_option`` (M,S,Q) is the layout of the
    disaggregated prefill regime. Derived metrics are methods so the grid holds one 5-D array.
    """

    models: ModelArrays
    systems: SystemArrays
    quarters: tuple[str, ...]
    layouts: Layouts  # (R,) options
    batch: np.ndarray  # (B,)
    usd_per_chip_hour: np.ndarray  # (S, Q)
    serving_efficiency: np.ndarray  # (Q,)
    valid_replica: np.ndarray  # (S, R) bool
    fits: np.ndarray  # (M, S, R, B) bool
    weight_bytes_per_chip: np.ndarray  # (M, S, R) stored weights per chip
    kv_chips_per_sequence: np.ndarray  # (M, R): a sequence's KV bytes per chip = kv x this
    terms: StepTerms  # the decode step's operands
    input_chip_s_per_token: np.ndarray  # (M, S, Q, R)
    ttft_s: np.ndarray  # (M, S, Q, R)
    prefill_option: np.ndarray  # (M, S, Q) int: layout of the prefill regime

    @property
    def replica_chips(self) -> np.ndarray:
        """(R,) chips per replica of each layout option."""
        return self.layouts.replica_chips

    @cached_property
    def step_s(self) -> np.ndarray:
        """(M, S, Q, R, B) decode step times (:meth:`StepTerms.full`)."""
        return self.terms.full()

    def step_at(self, m, s, q, r, b) -> np.ndarray:
        """Step times of the cells given by equal-length index arrays (the floats of
        ``step_s``, without it)."""
        return self.terms.cells(m, s, q, r).step(b)

    @property
    def shape(self) -> tuple[int, ...]:
        return (*self.terms.comm.shape, len(self.batch))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def _at_prefill(self, values: np.ndarray) -> np.ndarray:
        return np.take_along_axis(values, self.prefill_option[..., None], axis=-1)[..., 0]

    def prefill_chip_s_per_token(self) -> np.ndarray:
        """(M,S,Q) chip-seconds per input token of the prefill regime."""
        return self._at_prefill(self.input_chip_s_per_token)

    def prefill_ttft_s(self) -> np.ndarray:
        """(M,S,Q) time to first token on the prefill regime's replica."""
        return self._at_prefill(self.ttft_s)

    def user_step_s(self, aggregated: bool = True) -> np.ndarray:
        """Time per output token a user sees, (M,S,Q,R,B).

        ``aggregated``: prefill chunks share the decode steps (on the decode replica), so each
        step also prefills input / output tokens per sequence: step + input / output x B / N x
        prefill chip-s per token on that layout. Otherwise (disaggregated prefill) the decode
        step alone, ``step_s``.
        """
        if not aggregated:
            return self.step_s
        ratio = (self.models.input_tokens / self.models.output_tokens)[:, None, None, None, None]
        per_chip = (self.batch[None, :] / self.replica_chips[:, None])[None, None, None]
        return self.step_s + ratio * per_chip * self.input_chip_s_per_token[..., None]

    def output_chip_s_per_token(self) -> np.ndarray:
        """Chip-seconds per output token of decode, N x step / B, (M,S,Q,R,B)."""
        return self.step_s * (self.replica_chips[:, None] / self.batch[None, :])

    def total_chip_s_per_output(self) -> np.ndarray:
        """Chip-seconds per output token including the prefill regime's share of its input."""
        ratio = self.models.input_tokens / self.models.output_tokens
        prefill = ratio[:, None, None] * self.prefill_chip_s_per_token()
        out = self.output_chip_s_per_token()
        out += prefill[..., None, None]
        return out

    def meets_slo(self) -> np.ndarray:
        """Fits, reaches the per-user speed target and the TTFT target, (M,S,Q,R,B)."""
        max_step = 1.0 / self.models.min_output_tokens_per_s
        speed = self.step_s <= max_step[:, None, None, None, None]
        ttft = self.prefill_ttft_s() <= self.models.max_ttft_s[:, None, None]
        return speed & ttft[..., None, None] & self.fits[:, :, None]
