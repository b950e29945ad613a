"""Inferred model shapes and inferred hardware families (hand-checked values)."""
from demand.schema import Model
from fleets.schema import System
from planner.costcore.architecture import inferred_shape, inferred_warning, model_shape
from planner.costcore.efficiency import infer_family


def test_reference_shape_is_deepseek_v3():
    assert inferred_shape(37.0) == (61, 7168, 73728)


def test_shape_scales_with_cube_root_of_active():
    # s = (296 / 37)^(1/3) = 2: 122 layers, 14336 wide, attention 147456
    assert inferred_shape(296.0) == (122, 14336, 147456)


def _model(**arch):
    return Model(tier="t", total_params_b=296, active_params_b=296, weight_bits=8,
                        kv_bytes_per_token=1000, slo={"min_output_tokens_per_s": 10,
                                                      "max_ttft_s": 10},
                        workload={"input_tokens": 1000, "output_tokens": 100, "cache_hit": 0},
                        **arch)


def test_declared_fields_win_and_inferred_are_flagged():
    shape = model_shape(_model(layers=80))
    assert shape == (80, 14336, 147456, ("hidden_size", "attention_width"))
    assert "architecture inferred: hidden_size, attention_width" in inferred_warning(_model(layers=80))
    assert inferred_warning(_model(layers=80, hidden_size=8192, attention_width=8192)) is None


def _system(vendor=None, **chip):
    base = dict(bf16_tflops=1000, fp8_tflops=2000, hbm_gb=192, hbm_tbps=8.0,
                scaleup_gbps=900, scaleout_gbps=400, power_kw=1.0)
    base.update(chip)
    return System(vendor=vendor, chips_per_domain=8, chip=base, usd_per_chip_hour=3.0,
                         available_from="2025Q1")


def test_family_inferred_from_chip_never_generic():
    assert infer_family(_system(fp4_tflops=9000)) == "blackwell"  # a B200 is not Hopper
    assert infer_family(_system(hbm_tbps=3.35)) == "hopper"
    assert infer_family(_system(hbm_tbps=2.0)) == "ampere"
    assert infer_family(_system(fp4_tflops=17500, hbm_tbps=13.0)) == "rubin"
    assert infer_family(_system(vendor="AMD", fp4_tflops=9000)) == "amd"
