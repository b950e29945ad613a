"""Model shape (layers, hidden size, attention width): declared, or inferred from active params.

Inference rule (documented contract): a model that omits ``layers``, ``hidden_size`` or
``attention_width`` takes the DeepSeek-V3 shape scaled by ``s = (active / 37B)^(1/3)`` in each
of depth, width and attention width, so layers x hidden^2 (the dense FLOPs per token) grows
with the active parameters. Reference shape, DeepSeek-V3 config.json (huggingface.co/
deepseek-ai/DeepSeek-V3, 2024-12): 61 layers, hidden 7168, MLA decode attention width
128 q-heads x (512 kv_lora_rank + 64 rope) = 73728, 37B active. Layers round to whole layers,
widths to multiples of 128 (the head-dim granularity of every public large model). Declared
fields always win; each output built from an inferred field says "architecture inferred".
"""
from __future__ import annotations

from typing import NamedTuple

REFERENCE_ACTIVE_B = 37.0
REFERENCE_LAYERS = 61
REFERENCE_HIDDEN = 7168
REFERENCE_ATTENTION_WIDTH = 73728
WIDTH_STEP = 128
INFERRED_WARNING = ("architecture inferred: {fields} from {active:g}B active parameters "
                    "(DeepSeek-V3 shape x (active / 37B)^(1/3)); declare them for exact costs")


class Shape(NamedTuple):
    layers: int
    hidden_size: int
    attention_width: int
    inferred: tuple[str, ...]  # names of the fields that were inferred (empty: all declared)


def _round_width(x: float) -> int:
    return max(WIDTH_STEP, int(round(x / WIDTH_STEP)) * WIDTH_STEP)


def inferred_shape(active_params_b: float) -> tuple[int, int, int]:
    """(layers, hidden_size, attention_width) of the scaling rule for ``active_params_b``."""
    s = (active_params_b / REFERENCE_ACTIVE_B) ** (1.0 / 3.0)
    return (max(1, int(round(REFERENCE_LAYERS * s))), _round_width(REFERENCE_HIDDEN * s),
            _round_width(REFERENCE_ATTENTION_WIDTH * s))


def model_shape(model) -> Shape:
    """The shape of a schema model: its declared fields, the rule's values for the others."""
    rule = inferred_shape(model.active_params_b)
    names = ("layers", "hidden_size", "attention_width")
    declared = [getattr(model, n) for n in names]
    values = [d if d is not None else r for d, r in zip(declared, rule)]
    return Shape(*values, inferred=tuple(n for n, d in zip(names, declared) if d is None))


def inferred_warning(model) -> str | None:
    """The "architecture inferred" message for a schema model, or None when all are declared."""
    shape = model_shape(model)
    if not shape.inferred:
        return None
    return INFERRED_WARNING.format(fields=", ".join(shape.inferred), active=model.active_params_b)


def kv_is_latent(model) -> bool:
    """Whether a schema model's KV cache is a latent shared by all heads (MLA): its own
    ``kv_latent``, else true when it declares ``prefill_attention_width`` (only MLA prefills in
    a different form) or infers its attention width (the DeepSeek-V3 MLA shape)."""
    if model.kv_latent is not None:
        return model.kv_latent
    return (model.prefill_attention_width is not None
            or "attention_width" in model_shape(model).inferred)
