"""The efficiency parameter file a refit writes (format: planner/data/efficiency.yaml).

``params_text`` renders the fitted families, their provenance and the fit's errors;
``write_params`` validates and writes it atomically (temporary file + rename);
``next_version`` numbers it.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Mapping, Union

import yaml

from planner.calibration import fit as fitting
from planner.calibration import params
from planner.costcore.efficiency import (DEEPEP_SCALEOUT_COMM, DEEPEP_SCALEOUT_LATENCY_US,
                                         parse_efficiency_table)

SUMMARIES = (("in_sample", "in-sample"), ("leave_one_point_out", "leave-one-point-out CV"),
             ("leave_one_source_out", "leave-one-source-out CV"),
             ("nvidia_in_sample", "NVIDIA in-sample"),
             ("nvidia_leave_one_point_out", "NVIDIA leave-one-point-out"),
             ("nvidia_leave_one_source_out", "NVIDIA leave-one-source-out"))
IN_SAMPLE_SUMMARIES = ("in_sample", "nvidia_in_sample")
METHOD = ("scipy.optimize.least_squares (trf) per fit group (a family, or the NVIDIA families "
          "jointly) on ln(predicted / measured) of the "
          "used points, log-parameters bounded (fractions in [0.01, 1], times in [0.01, 1000] "
          "us), weak prior 0.1 x ln(value / textbook) / ln(10), start at the textbook values")


def _num(x: float, digits: int = 4) -> str:
    """YAML number: 4 significant digits, whole numbers from 1000 up; .nan / .inf."""
    if x is None or math.isnan(float(x)):
        return ".nan"
    if math.isinf(float(x)):
        return ".inf"
    x = float(x)
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"


def _summary_yaml(s: dict) -> str:
    worst = s["worst_point"] if s["worst_point"] is not None else "null"
    infeasible = "[" + ", ".join(s["infeasible"]) + "]"
    return (f"{{points: {s['points']}, median_factor: {_num(s['median_factor'])}, "
            f"worst_factor: {_num(s['worst_factor'])}, worst_point: {worst}, "
            f"infeasible: {infeasible}}}")


def params_text(fits: Mapping[str, fitting.FamilyFit], cal, version: int) -> str:
    """The efficiency file for a refit (see planner/data/efficiency.yaml for the format);
    ``cal``: the refit's :class:`planner.calibration.report.Calibration` (its table, points
    file and summaries)."""
    t = cal.table
    lines = [
        "# Per-family efficiency parameters of the cost core (planner/costcore), FITTED.",
        f"# Written by `planner calibrate --fit` on {t.date} from {cal.points_file};",
        "# refit rather than edit: `planner calibrate` checks these numbers against the points.",
        "#",
        "#   compute                achieved fraction of peak dense FLOP/s in decode (compute-bound steps)",
        "#   memory                 achieved fraction of peak HBM bandwidth (decode weight and KV reads)",
        "#   comm                   achieved fraction of scale-up link bandwidth in decode",
        "#   layer_overhead_us      fixed time per layer per decode step or prefill pass, microseconds",
        "#   collective_latency_us  fixed latency of one collective inside a scale-up domain, microseconds",
        "#   sequence_overhead_us   time per sequence per decode step that tensor parallelism does not",
        "#                          split (scheduling, sampling, per-sequence kernels), microseconds",
        "#                          (physics.py, decode step)",
        "#   prefill_compute        achieved fraction of peak FLOP/s in prefill (physics.py, Prefill)",
        "#   scaleout_comm          decode scale-out rate as a fraction of the NIC line rate",
        "#   scaleout_latency_us    latency of one collective across scale-up domains, microseconds",
        "#",
        "# Shared and fixed (what the points cannot identify family by family; params.py):",
        "# * NVIDIA families (ampere, hopper, blackwell; rubin by proxy) are fitted jointly and",
        "#   share compute, prefill_compute and comm: decode compute barely binds on any measured",
        "#   point, prefill shows only through its share of aggregated steps, and the scale-up comm",
        "#   fraction trades off against each family's collective latency.",
        "# * scaleout_comm 0.78 and scaleout_latency_us 20 are fixed for every family from DeepEP's",
        "#   V1 low-latency kernels (H800 + CX7 400 Gb/s: 39-40 GB/s of 50 at EP 128-256; times",
        "#   bytes / rate to within ~20 %, leaving an intercept of at most ~15-25 us) [E].",
        "# * Prefill collectives run at DeepEP's normal-kernel rates, fixed in the cost core",
        "#   (planner/costcore/prefill.py): 0.95 of NVLink (153-158 of ~160 GB/s), 0.86 of the NIC",
        "#   line rate (43 of 50 GB/s at EP 16) [E].",
        "# * Deployments are declared, not fitted: each point states its overlap and MTP; the",
        "#   catalog's systems state theirs (fleets/data/systems.yaml).",
        "# A family line ending in AT A BOUND names fitted parameters at the edge of their range.",
        "#",
        "# A system's scenario `efficiency: {compute, memory[, prefill_compute]}` overrides those.",
        f"# Method: {METHOD}.",
        "# Families with calibration points are fitted on them (a family's parameters absorb its",
        "# serving software as measured, e.g. AMD stack maturity); the others take the fitted",
        "# values of a measured proxy family (noted on their line; an assumption, because the",
        "# textbook values over-predicted measured throughput 1.5-3.4x). `calibration` holds the errors these numbers give (in-sample, and held-out by",
        "# leave-one-point-out and leave-one-source-out refits) and every point's prediction.",
        "# Predictions (planner/calibration/predict.py) use the cost core with the point's deployment:",
        "# aggregated serving (prefill shares the decode steps) where a point says so, its overlap, MTP",
        "# speculative decoding where a point gives draft/accepted tokens, the MLA prefill",
        "# attention width, its replica span (min/max replica chips), and the per-sequence overhead.",
        "#",
        "# Sources of the textbook values:",
        "#   [D]  DESIGN.md: 60 % of peak FP8 FLOP/s for prefill.",
        "#   [P]  Pope et al. 2022, \"Efficiently Scaling Transformer Inference\": prefill MFU 40-76 %.",
        "#   [V]  LLM-Viewer issue 4: a pure roofline over-predicts A100 TRT-LLM throughput 1.7-1.9x.",
        "#   [C]  Hand check on aic-h200-tp1-c4 / aic-h200-tp8-c4 (Llama-3.1-70B FP8 TPOT).",
        "#   [N]  NCCL small-message latency ~5-15 us; large-collective bus bandwidth ~70-80 % of peak.",
        "#   [S]  Software-maturity discount (our assumption) for newer or non-CUDA stacks.",
        "#   [A]  sequence_overhead_us 10: our assumption (host scheduling + sampling per sequence).",
        "#   [E]  DeepEP README and docs (deepseek-ai/DeepEP), shared reference communication.md.",
        f"version: {version}",
        f"date: {t.date}",
        "fitted_on: [" + ", ".join(t.fitted_on) + "]",
        "calibration:",
        f"  method: \"{METHOD}\"",
        f"  points_file: {cal.points_file}",
        f"  points_sha256: {cal.points_sha256}",
    ]
    for key, _ in SUMMARIES:
        lines.append(f"  {key}: {_summary_yaml(cal.summary[key])}")
    lines.append("  points:  # tokens/s per GPU in each point's basis; loo/loso = held-out predictions")
    for row in cal.frame.itertuples(index=False):
        lines.append(f"    {row.id}: {{measured: {row.measured:.10g}, predicted: {_num(row.predicted)}, "
                     f"loo: {_num(row.loo_ratio * row.measured)}, loso: {_num(row.loso_ratio * row.measured)}}}")
    lines.append("families:")
    for name in sorted(t.families, key=lambda n: (n == "generic", n)):
        if name in fits:
            values = fits[name].values
            note = f"fitted on {len(fits[name].points)} points"
        elif name in params.PROXIES and params.PROXIES[name][0] in fits:
            proxy, why = params.PROXIES[name]
            values = fits[proxy].values
            note = f"no calibration points: fitted values of {proxy} [A] ({why})"
        else:
            values = params.rounded(params.TEXTBOOK.get(name, params.TEXTBOOK["generic"]))
            note = f"textbook, no calibration points: {params.TEXTBOOK_NOTES.get(name, '[A]')}"
        body = ", ".join(f"{k}: {values[k]:g}" for k in params.KEYS)
        body += f", scaleout_comm: {DEEPEP_SCALEOUT_COMM:g}, scaleout_latency_us: {DEEPEP_SCALEOUT_LATENCY_US:g}"
        bound = params.at_bound(values) if name in fits else []
        if bound:
            note += f"; AT A BOUND: {', '.join(bound)}"
        lines.append(f"  {name}: {{{body}}}  # {note}")
    return "\n".join(lines) + "\n"


def next_version(path: Union[str, Path]) -> int:
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
        return int(data.get("version", 0)) + 1
    except Exception:  # noqa: BLE001 - a missing or broken file starts the count again
        return 1


def write_params(text: str, path: Union[str, Path]) -> None:
    """Validate ``text`` as an efficiency file and write it atomically to ``path``."""
    parse_efficiency_table(yaml.safe_load(text), str(path))
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".efficiency-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a data file is readable
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
