"""Reference systems and models for tests, benchmarks and notebooks (not the default catalog).

Hardware figures: shared reference hardware.yaml (dense FLOP/s; scale-up GB/s per direction =
the bidirectional vendor figure halved). The 10T model is a hypothetical Mythos-class MoE.
"""
from __future__ import annotations

from planner import schema


def system(chips_per_domain: int, bf16: float, fp8: float, fp4, hbm_gb: float, hbm_tbps: float,
           scaleup_gbps: float, scaleout_gbps: float, power_kw: float, usd: float,
           family: str = "generic", **extra) -> schema.System:
    chip = dict(bf16_tflops=bf16, fp8_tflops=fp8, hbm_gb=hbm_gb, hbm_tbps=hbm_tbps,
                scaleup_gbps=scaleup_gbps, scaleout_gbps=scaleout_gbps, power_kw=power_kw)
    if fp4 is not None:
        chip["fp4_tflops"] = fp4
    return schema.System.model_validate(dict(
        chips_per_domain=chips_per_domain, chip=chip, usd_per_chip_hour=usd, family=family,
        available_from="2023Q1", **extra))


def h100_8(usd: float = 2.5) -> schema.System:
    """HGX H100 8-GPU: 989/1979 TF, 80 GB, 3.35 TB/s, 450 GB/s per direction, 400 Gb/s."""
    return system(8, 989, 1979, None, 80, 3.35, 450, 400, 0.7, usd, family="hopper")


def gb300_nvl72(usd: float = 3.0) -> schema.System:
    """GB300 NVL72: 2500/5000/15000 TF, 288 GB, 8 TB/s, 900 GB/s per direction, 800 Gb/s."""
    return system(72, 2500, 5000, 15000, 288, 8.0, 900, 800, 1.4, usd, family="blackwell")


def model(total_b: float, active_b: float, bits: int = 8, layers: int = 120,
          hidden: int = 16384, attention_width: int = 128 * 576, kv: float = 70000,
          experts: tuple[int, int] | None = (256, 8), tps: float = 30, ttft: float = 10,
          input_tokens: float = 20000, output_tokens: float = 1000,
          cache_hit: float = 0.8) -> schema.Model:
    """A model entry; defaults: the 10T-total / 500B-active MLA MoE of the design notes."""
    data = dict(tier="frontier", total_params_b=total_b, active_params_b=active_b,
                weight_bits=bits, layers=layers, hidden_size=hidden,
                attention_width=attention_width, kv_bytes_per_token=kv,
                slo=dict(min_output_tokens_per_s=tps, max_ttft_s=ttft),
                workload=dict(input_tokens=input_tokens, output_tokens=output_tokens,
                              cache_hit=cache_hit))
    if experts is not None:
        data["experts"] = dict(total=experts[0], active=experts[1])
    return schema.Model.model_validate(data)


def mythos_10t(**overrides) -> schema.Model:
    """10T total, 500B active, 8-bit, 256 experts top-8, 120 layers, hidden 16384, MLA."""
    return model(10000, 500, **overrides)
