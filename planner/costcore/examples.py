"""Reference systems and models for tests, benchmarks and notebooks (not the default catalog).

Hardware figures: shared reference hardware.yaml (dense FLOP/s; scale-up GB/s per direction =
the bidirectional vendor figure halved). The 10T model is a hypothetical Mythos-class MoE.
"""
from __future__ import annotations

import numpy as np

from demand.schema import Model
from fleets.schema import System
from planner.costcore.arrays import ModelArrays, SystemArrays


def system(chips_per_domain: int, bf16: float, fp8: float, fp4, hbm_gb: float, hbm_tbps: float,
           scaleup_gbps: float, scaleout_gbps: float, power_kw: float, usd: float,
           family: str = "generic", **extra) -> System:
    chip = dict(bf16_tflops=bf16, fp8_tflops=fp8, hbm_gb=hbm_gb, hbm_tbps=hbm_tbps,
                scaleup_gbps=scaleup_gbps, scaleout_gbps=scaleout_gbps, power_kw=power_kw)
    if fp4 is not None:
        chip["fp4_tflops"] = fp4
    return System.model_validate(dict(
        chips_per_domain=chips_per_domain, chip=chip, usd_per_chip_hour=usd, family=family,
        available_from="2023Q1", **extra))


def h100_8(usd: float = 2.5) -> System:
    """HGX H100 8-GPU: 989/1979 TF, 80 GB, 3.35 TB/s, 450 GB/s per direction, 400 Gb/s."""
    return system(8, 989, 1979, None, 80, 3.35, 450, 400, 0.7, usd, family="hopper")


def gb300_nvl72(usd: float = 3.0) -> System:
    """GB300 NVL72: 2500/5000/15000 TF, 288 GB, 8 TB/s, 900 GB/s per direction, 800 Gb/s."""
    return system(72, 2500, 5000, 15000, 288, 8.0, 900, 800, 1.4, usd, family="blackwell")


def model(total_b: float, active_b: float, bits: int = 8, layers: int = 120,
          hidden: int = 16384, attention_width: int = 128 * 576, kv: float = 70000,
          experts: tuple[int, int] | None = (256, 8), tps: float = 30, ttft: float = 10,
          input_tokens: float = 20000, output_tokens: float = 1000,
          cache_hit: float = 0.8) -> Model:
    """A model entry; defaults: the 10T-total / 500B-active MLA MoE of the design notes."""
    data = dict(tier="frontier", total_params_b=total_b, active_params_b=active_b,
                weight_bits=bits, layers=layers, hidden_size=hidden,
                attention_width=attention_width, kv_bytes_per_token=kv,
                slo=dict(min_output_tokens_per_s=tps, max_ttft_s=ttft),
                workload=dict(input_tokens=input_tokens, output_tokens=output_tokens,
                              cache_hit=cache_hit))
    if experts is not None:
        data["experts"] = dict(total=experts[0], active=experts[1])
    return Model.model_validate(data)


def mythos_10t(**overrides) -> Model:
    """10T total, 500B active, 8-bit, 256 experts top-8, 120 layers, hidden 16384, MLA."""
    return model(10000, 500, **overrides)


def random_arrays(rng, n_models: int, n_systems: int):
    """Random but plausible ``(ModelArrays, SystemArrays)`` for property tests and benchmarks."""
    def logu(lo, hi, n):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))

    M, S = n_models, n_systems
    total = logu(1e9, 2e13, M)
    moe = rng.random(M) < 0.6
    e = np.where(moe, rng.integers(4, 513, M), 1).astype(float)
    k = np.where(moe, np.minimum(rng.integers(1, 17, M), e), 1).astype(float)
    active = np.where(moe, total * rng.uniform(0.01, 1.0, M), total * rng.uniform(0.5, 1.0, M))
    bits = rng.choice([4, 8, 16], M)
    cache = np.where(rng.random(M) < 0.2, rng.choice([0.0, 1.0], M), rng.uniform(0, 1, M))
    models = ModelArrays(
        names=tuple(f"m{i}" for i in range(M)), total_params=total, active_params=active,
        weight_bytes_per_param=bits / 8, flops_precision=np.select([bits == 16, bits == 8], [0, 1], 2),
        layers=rng.integers(1, 150, M), hidden_size=rng.integers(256, 32769, M),
        attention_width=rng.integers(256, 131073, M), kv_bytes_per_token=logu(1e3, 1e6, M),
        experts_total=e, experts_active=k, input_tokens=logu(0.5, 2e5, M),
        output_tokens=logu(0.5, 2e4, M), cache_hit=cache,
        min_output_tokens_per_s=logu(1, 200, M), max_ttft_s=logu(0.01, 60, M),
        kv_latent=(rng.random(M) < 0.5).astype(float))
    bf16 = logu(1e14, 5e15, S)
    fp8 = bf16 * rng.uniform(1, 4, S)
    systems = SystemArrays(
        names=tuple(f"s{i}" for i in range(S)),
        chips_per_domain=rng.choice([1, 4, 8, 16, 64, 72, 144, 9216], S),
        peak_flops_per_s=np.stack([bf16, fp8, fp8 * rng.uniform(1, 3, S)], axis=1),
        hbm_bytes=logu(16e9, 1e12, S), hbm_bytes_per_s=logu(1e12, 3e13, S),
        scaleup_bytes_per_s=logu(5e10, 2e12, S), scaleout_bytes_per_s=logu(5e9, 2e11, S),
        compute_eff=rng.uniform(0.2, 1, S), memory_eff=rng.uniform(0.2, 1, S),
        comm_eff=rng.uniform(0.2, 1, S), layer_overhead_s=logu(1e-6, 1e-4, S),
        collective_latency_s=logu(1e-6, 5e-5, S), prefill_compute_eff=rng.uniform(0.2, 1, S),
        scaleout_comm_eff=rng.uniform(0.2, 1, S), scaleout_latency_s=logu(1e-6, 1e-4, S),
        overlap=(rng.random(S) < 0.5).astype(float), max_replica_domains=rng.choice([1, 4, 18], S))
    return models, systems
