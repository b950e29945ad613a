"""The prefill regime: chip-seconds per input token and TTFT on each layout, and the layout
the disaggregated prefill replica uses. Formulas: physics.py, "Prefill".

Large prefill chunks move large messages, so their collectives run at the rates of DeepEP's
normal (throughput) kernels, fixed from its microbenchmarks (shared reference
communication.md, DeepEP V1 normal kernels on H800 + CX7 400 Gb/s): intranode 153-158 GB/s of
~160 GB/s NVLink (~0.95), internode 43-58 GB/s of the 50 GB/s NIC line rate (0.86 at EP 16,
the lowest measured; EP 32 reads above line rate because logical bandwidth counts local
traffic).
"""
from __future__ import annotations

import numpy as np

PREFILL_SCALEUP_EFF = 0.95
PREFILL_SCALEOUT_EFF = 0.86


def prefill_comm_s_per_token(up_bytes: np.ndarray, out_bytes: np.ndarray,
                             scaleup_bytes_per_s: np.ndarray,
                             scaleout_bytes_per_s: np.ndarray) -> np.ndarray:
    """(M,S,R) chip-seconds of prefill communication per token from per-token chip-bytes over
    scale-up (``up_bytes``) and scale-out (``out_bytes``), both (M,S,R); links (S,)."""
    return (up_bytes / (scaleup_bytes_per_s[None, :, None] * PREFILL_SCALEUP_EFF)
            + out_bytes / (scaleout_bytes_per_s[None, :, None] * PREFILL_SCALEOUT_EFF))


def choose_prefill(input_chip_s_per_token: np.ndarray, ttft_s: np.ndarray,
                   fits_prompt: np.ndarray, max_ttft_s: np.ndarray) -> np.ndarray:
    """(M,S,Q) layout index of the prefill regime.

    The cheapest chip-seconds per input token among the layouts that hold the weights and one
    prompt's KV cache (``fits_prompt`` (M,S,R)) and meet the TTFT target; ties go to the first
    (smallest) layout. When none meets the target: the fitting layout with the lowest TTFT.
    """
    fit = fits_prompt[:, :, None, :]
    ok = fit & (ttft_s <= max_ttft_s[:, None, None, None])
    cheapest = np.argmin(np.where(ok, input_chip_s_per_token, np.inf), axis=-1)
    quickest = np.argmin(np.where(fit, ttft_s, np.inf), axis=-1)
    return np.where(ok.any(axis=-1), cheapest, quickest)
