"""Plain numpy views of the scenario's models and systems, in SI units, one entry per name.

``ModelArrays`` has shape (M,) per field, ``SystemArrays`` shape (S,) (peak FLOP/s (S, 3)).
Only primary quantities live here; everything derived (dense/expert split, layouts) is computed
in :mod:`planner.costcore.physics` and, independently, in :mod:`planner.costcore.scalar`.
Constructors fill them from validated schema objects; ``__post_init__`` re-checks shapes and
that every number is finite and in range, so the core never sees a value that would give NaN.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping, Optional

import numpy as np

from demand.schema import Model
from fleets.schema import System
from planner.costcore.architecture import kv_is_latent, model_shape
from planner.costcore.efficiency import EfficiencyTable, infer_family, load_efficiency_table

_PRECISION_OF_BITS = {16: 0, 8: 1, 4: 2}


def _freeze(obj, names: tuple[str, ...], n: int, exempt: tuple[str, ...] = ()) -> None:
    """Coerce array fields to read-only float64 of length n; check finiteness and sign."""
    for f in fields(obj):
        if f.name == "names":
            continue
        arr = np.array(getattr(obj, f.name), dtype=np.float64)
        if arr.shape[:1] != (n,):
            raise ValueError(f"{f.name}: expected {n} entries, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{f.name}: non-finite value")
        low_ok = arr >= 0 if f.name in exempt else arr > 0
        if not np.all(low_ok):
            bad = names[int(np.argmin(np.all(low_ok.reshape(n, -1), axis=1)))]
            raise ValueError(f"{f.name}: out of range for '{bad}'")
        arr.setflags(write=False)
        object.__setattr__(obj, f.name, arr)


@dataclass(frozen=True)
class ModelArrays:
    """Per-model inputs, shape (M,). Parameters are counts (not billions), sizes in bytes."""

    names: tuple[str, ...]
    total_params: np.ndarray
    active_params: np.ndarray
    weight_bytes_per_param: np.ndarray
    flops_precision: np.ndarray  # 0 = bf16, 1 = fp8, 2 = fp4 (from weight bits 16/8/4)
    layers: np.ndarray
    hidden_size: np.ndarray
    attention_width: np.ndarray  # attention FLOPs per token = 4 x layers x width x context
    kv_bytes_per_token: np.ndarray
    experts_total: np.ndarray  # routed experts per MoE layer; 1 for dense models
    experts_active: np.ndarray  # top-k; 1 for dense models
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    cache_hit: np.ndarray  # share of input tokens served from the prefix cache
    min_output_tokens_per_s: np.ndarray
    max_ttft_s: np.ndarray
    kv_latent: Optional[np.ndarray] = None  # 1: latent KV (MLA) shared by all heads; None = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.names))
        if self.kv_latent is None:
            object.__setattr__(self, "kv_latent", np.zeros(len(self.names)))
        _freeze(self, self.names, len(self.names),
                exempt=("flops_precision", "cache_hit", "kv_latent"))
        if not np.all(np.isin(self.kv_latent, (0.0, 1.0))):
            raise ValueError("kv_latent: must be 0 or 1")
        if np.any(self.cache_hit > 1):
            raise ValueError("cache_hit: must be within [0, 1]")
        if not np.all(np.isin(self.flops_precision, (0.0, 1.0, 2.0))):
            raise ValueError("flops_precision: must be 0 (bf16), 1 (fp8) or 2 (fp4)")
        if np.any(self.experts_active > self.experts_total):
            raise ValueError("experts_active: more active than total experts")
        object.__setattr__(self, "flops_precision", self.flops_precision.astype(np.intp))

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class SystemArrays:
    """Per-system inputs, shape (S,), SI units (bytes, bytes/s, FLOP/s, seconds)."""

    names: tuple[str, ...]
    chips_per_domain: np.ndarray
    peak_flops_per_s: np.ndarray  # (S, 3): bf16, fp8, fp4 (fp4 = fp8 rate when absent)
    hbm_bytes: np.ndarray
    hbm_bytes_per_s: np.ndarray
    scaleup_bytes_per_s: np.ndarray  # per chip, one direction
    scaleout_bytes_per_s: np.ndarray  # per chip, one direction (NIC Gb/s / 8)
    compute_eff: np.ndarray
    memory_eff: np.ndarray
    comm_eff: np.ndarray
    layer_overhead_s: np.ndarray
    collective_latency_s: np.ndarray
    sequence_overhead_s: Optional[np.ndarray] = None  # per sequence per decode step; None = 0
    max_replica_domains: Optional[np.ndarray] = None  # scale-up domains a replica may span
    prefill_compute_eff: Optional[np.ndarray] = None  # None = compute_eff
    scaleout_comm_eff: Optional[np.ndarray] = None  # decode scale-out fraction; None = comm_eff
    scaleout_latency_s: Optional[np.ndarray] = None  # per scale-out collective; None = 2 x latency
    overlap: Optional[np.ndarray] = None  # 1: two-micro-batch decode overlap; None = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.names))
        n = len(self.names)
        defaults = {"sequence_overhead_s": lambda: np.zeros(n),
                    "max_replica_domains": lambda: np.full(n, 1e6),  # no limit but 1152 chips
                    "prefill_compute_eff": lambda: self.compute_eff,
                    "scaleout_comm_eff": lambda: self.comm_eff,
                    "scaleout_latency_s": lambda: 2 * np.asarray(self.collective_latency_s),
                    "overlap": lambda: np.zeros(n)}
        for name, make in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, make())
        if np.size(self.peak_flops_per_s) == 0:
            object.__setattr__(self, "peak_flops_per_s", np.zeros((0, 3)))
        _freeze(self, self.names, n, exempt=("sequence_overhead_s", "overlap"))
        if self.peak_flops_per_s.shape != (n, 3):
            raise ValueError("peak_flops_per_s: expected shape (S, 3)")
        if not np.all(np.isin(self.overlap, (0.0, 1.0))):
            raise ValueError("overlap: must be 0 or 1")
        for name in ("compute_eff", "memory_eff", "comm_eff", "prefill_compute_eff",
                     "scaleout_comm_eff"):
            if np.any(getattr(self, name) > 1):
                raise ValueError(f"{name}: must be within (0, 1]")
        if np.any(self.chips_per_domain != np.round(self.chips_per_domain)):
            raise ValueError("chips_per_domain: must be whole chips")

    def __len__(self) -> int:
        return len(self.names)


def model_arrays(models: Mapping[str, Model]) -> ModelArrays:
    """Fill :class:`ModelArrays` from schema models, in the mapping's order."""
    items = list(models.items())
    shapes = {name: model_shape(m) for name, m in items}

    def col(get) -> list[float]:
        return [float(get(m)) for _, m in items]

    return ModelArrays(
        names=tuple(name for name, _ in items),
        total_params=col(lambda m: m.total_params_b * 1e9),
        active_params=col(lambda m: m.active_params_b * 1e9),
        weight_bytes_per_param=col(lambda m: m.weight_bits / 8),
        flops_precision=col(lambda m: _PRECISION_OF_BITS[m.weight_bits]),
        layers=[float(shapes[n].layers) for n, _ in items],
        hidden_size=[float(shapes[n].hidden_size) for n, _ in items],
        attention_width=[float(shapes[n].attention_width) for n, _ in items],
        kv_latent=col(kv_is_latent),
        kv_bytes_per_token=col(lambda m: m.kv_bytes_per_token),
        experts_total=col(lambda m: m.experts.total if m.experts else 1),
        experts_active=col(lambda m: m.experts.active if m.experts else 1),
        input_tokens=col(lambda m: m.workload.input_tokens),
        output_tokens=col(lambda m: m.workload.output_tokens),
        cache_hit=col(lambda m: m.workload.cache_hit),
        min_output_tokens_per_s=col(lambda m: m.slo.min_output_tokens_per_s),
        max_ttft_s=col(lambda m: m.slo.max_ttft_s),
    )


def system_arrays(systems: Mapping[str, System],
                  efficiency_table: Optional[EfficiencyTable] = None) -> SystemArrays:
    """Fill :class:`SystemArrays` from schema systems, in the mapping's order.

    Efficiencies come from the system's ``family`` in ``efficiency_table`` (default: the shipped
    table); a system's own ``efficiency: {compute, memory[, prefill_compute]}`` overrides them
    (``compute`` alone sets prefill too). ``overlap`` comes from its ``deployment``.
    """
    table = efficiency_table if efficiency_table is not None else load_efficiency_table()
    rows = []
    for name, sys in systems.items():
        fam = table.family(infer_family(sys))
        chip = sys.chip
        fp4 = chip.fp4_tflops if chip.fp4_tflops is not None else chip.fp8_tflops
        own = sys.efficiency
        rows.append(dict(
            chips_per_domain=sys.chips_per_domain,
            peak_flops_per_s=[chip.bf16_tflops * 1e12, chip.fp8_tflops * 1e12, fp4 * 1e12],
            hbm_bytes=chip.hbm_gb * 1e9,
            hbm_bytes_per_s=chip.hbm_tbps * 1e12,
            scaleup_bytes_per_s=chip.scaleup_gbps * 1e9,
            scaleout_bytes_per_s=chip.scaleout_gbps * 1e9 / 8,
            compute_eff=own.compute if own else fam.compute,
            prefill_compute_eff=((own.prefill_compute or own.compute) if own
                                 else fam.prefill_compute_eff),
            memory_eff=own.memory if own else fam.memory,
            scaleout_comm_eff=fam.scaleout_comm,
            scaleout_latency_s=fam.scaleout_latency_s,
            overlap=float(bool(sys.deployment and sys.deployment.overlap)),
            comm_eff=fam.comm,
            layer_overhead_s=fam.layer_overhead_s,
            collective_latency_s=fam.collective_latency_s,
            sequence_overhead_s=fam.sequence_overhead_s,
            max_replica_domains=sys.max_replica_domains,
        ))
    keys = [f.name for f in fields(SystemArrays) if f.name != "names"]
    return SystemArrays(names=tuple(systems), **{k: [r[k] for r in rows] for k in keys})
