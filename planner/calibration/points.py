"""Measured serving points: load and validate ``planner/data/calibration_points.csv``.

One row per measurement. Columns (units in the names; empty cell = not given):

=======================  ==================================================================
id                       unique name of the point
model, system            keys in the project's catalogs (demand/data/models.yaml,
                         fleets/data/systems.yaml) that describe the measured model/hardware
source_model/_system     the names the source used (DeepSeek-R1 = deepseek-v3 architecture,
                         Llama-3.3-70B = llama-3.1-70b architecture, h200-sxm = h200-hgx8, ...)
gpus                     GPUs of the measured configuration (fixed rows) or of the machine
precision                weight precision: fp16/bf16 (16 bit), fp8, fp4 (overrides the
                         catalog model's weight_bits for this point)
engine                   serving engine (trt-llm, vllm, ...; ``best-of`` = best of several)
isl, osl                 input / output tokens per request
concurrency              sequences in flight on the configuration (fixed rows)
tokens_per_s_per_user    1 / time per output token; empty for max-throughput rows
tokens_per_s_per_gpu     measured throughput per GPU, in the ``basis`` below
basis                    ``output``: output tokens only; ``total``: input + output tokens;
                         ``decode``: output tokens per decode GPU of a disaggregated
                         deployment (the prefill GPUs not counted)
serving                  ``aggregated`` (prefill chunks share the decode steps, so they slow
                         every user) or ``disaggregated`` (prefill on other GPUs)
max_replica_chips        largest replica a best-of / max-throughput row may use (default:
                         ``gpus``, else the system's scale-up domain)
min_replica_chips        smallest such replica (default 1); equal to max_replica_chips when
                         the source states the replica span (e.g. EP over 12 nodes = 96)
draft_tokens,            speculative decoding with a multi-token-prediction head: draft
accepted_tokens          tokens per step and mean tokens accepted per step (bonus token
                         included); empty = plain decoding (0 and 1)
overlap                  ``yes``: the stack overlaps decode communication with the other
                         micro-batch's work (two-batch overlap; physics.py); default ``no``
use                      ``yes``: fitted and scored; ``no``: shown, not fitted (notes say why)
source, notes            where the number comes from; conditions and our assumptions
=======================  ==================================================================

Kinds of rows: ``fixed`` (gpus and concurrency given: exactly that replica and batch, with
attention TP = min(gpus, 8), the tensor-parallel layout these sources measure),
``best-of`` (a per-user speed, no concurrency: the best configuration at that speed) and
``max-throughput`` (neither: the best configuration at any speed, e.g. MLPerf offline).
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Collection, Optional, Union

from planner.errors import InputError, Problem

SHIPPED = "data/calibration_points.csv"
SHIPPED_NAME = "planner/data/calibration_points.csv"
COLUMNS = ("id", "model", "system", "source_model", "source_system", "gpus", "precision",
           "engine", "isl", "osl", "concurrency", "tokens_per_s_per_user",
           "tokens_per_s_per_gpu", "basis", "serving", "max_replica_chips", "draft_tokens",
           "accepted_tokens", "use", "source", "notes", "min_replica_chips", "overlap")
REQUIRED = ("id", "model", "system", "precision", "tokens_per_s_per_gpu", "basis", "source")
BITS_OF_PRECISION = {"fp16": 16, "bf16": 16, "fp8": 8, "fp4": 4}
BASES = ("output", "total", "decode")
SERVING = ("aggregated", "disaggregated")
_INTS = ("gpus", "concurrency", "max_replica_chips", "min_replica_chips", "draft_tokens")
_ZERO_OK = ("draft_tokens",)
_FLOATS = ("isl", "osl", "tokens_per_s_per_user", "tokens_per_s_per_gpu", "accepted_tokens")


@dataclass(frozen=True)
class CalibrationPoint:
    """One measured point; ``line`` is its line in the CSV file (for messages)."""

    id: str
    model: str
    system: str
    source_model: str
    source_system: str
    gpus: Optional[int]
    precision: str
    engine: str
    isl: float
    osl: float
    concurrency: Optional[int]
    tokens_per_s_per_user: Optional[float]
    tokens_per_s_per_gpu: float
    basis: str
    serving: str
    max_replica_chips: Optional[int]
    min_replica_chips: int
    overlap: bool
    draft_tokens: int
    accepted_tokens: float
    use: bool
    source: str
    notes: str
    line: int

    @property
    def kind(self) -> str:
        """``fixed``, ``best-of`` or ``max-throughput`` (see the module docs)."""
        if self.concurrency is not None:
            return "fixed"
        return "best-of" if self.tokens_per_s_per_user is not None else "max-throughput"

    @property
    def weight_bits(self) -> int:
        return BITS_OF_PRECISION[self.precision]


def _number(text: str, column: str, integer: bool) -> Union[int, float]:
    value = float(text)  # ValueError on junk
    if column in _ZERO_OK:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"must be a finite number >= 0, got {text!r}")
    elif not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive finite number, got {text!r}")
    if integer:
        if value != int(value):
            raise ValueError(f"must be a whole number, got {text!r}")
        return int(value)
    return value


def parse_points(text: str, filename: str, models: Optional[Collection[str]] = None,
                 systems: Optional[Collection[str]] = None) -> list[CalibrationPoint]:
    """Parse and validate points CSV text; every problem names the file, line, id and column.

    ``models`` / ``systems``: catalog keys the rows may refer to (``None`` skips that check).
    Raises :class:`~planner.errors.InputError` with all problems found.
    """
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError([Problem(filename, 1, "", "empty file; expected a header row "
                                  f"with columns {', '.join(COLUMNS)}")]) from None
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        msg = []
        if missing:
            msg.append(f"missing columns {', '.join(missing)}")
        if unknown:
            msg.append(f"unknown columns {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
        raise InputError([Problem(filename, 1, "header", "; ".join(msg))])
    points: list[CalibrationPoint] = []
    seen: dict[str, int] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(filename, reader.line_num, "", f"CSV error: {exc}"))
            break
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(filename, line, "", f"malformed row: {len(row)} fields, "
                                    f"the header has {len(header)}"))
            continue
        cell = {h: c.strip() for h, c in zip(header, row)}
        pid = cell.get("id", "")
        where = pid or f"row {line}"
        bad: list[Problem] = []

        def fail(column: str, message: str) -> None:
            bad.append(Problem(filename, line, f"{where}.{column}", message))

        for column in REQUIRED:
            if not cell.get(column):
                fail(column, "required value is empty")
        if pid in seen:
            fail("id", f"duplicate id (first on line {seen[pid]})")
        values: dict[str, object] = {}
        for column in _INTS + _FLOATS:
            raw = cell.get(column, "")
            if not raw:
                values[column] = None
                continue
            try:
                values[column] = _number(raw, column, column in _INTS)
            except ValueError as exc:
                msg = str(exc) if "must be" in str(exc) else f"not a number: {raw!r}"
                fail(column, msg)
        model, system = cell.get("model", ""), cell.get("system", "")
        if model and models is not None and model not in models:
            fail("model", _unknown("model", model, models, "demand/data/models.yaml"))
        if system and systems is not None and system not in systems:
            fail("system", _unknown("system", system, systems, "fleets/data/systems.yaml"))
        precision = cell.get("precision", "").lower()
        if precision and precision not in BITS_OF_PRECISION:
            fail("precision", f"unknown precision {precision!r}; use one of "
                 f"{', '.join(BITS_OF_PRECISION)}")
        basis = cell.get("basis", "")
        if basis and basis not in BASES:
            fail("basis", f"must be one of {', '.join(BASES)}, got {basis!r}")
        serving = cell.get("serving", "") or "aggregated"
        if serving not in SERVING:
            fail("serving", f"must be one of {', '.join(SERVING)}, got {serving!r}")
        use_text = (cell.get("use", "") or "yes").lower()
        if use_text not in ("yes", "no"):
            fail("use", f"must be yes or no, got {use_text!r}")
        overlap_text = (cell.get("overlap", "") or "no").lower()
        if overlap_text not in ("yes", "no"):
            fail("overlap", f"must be yes or no, got {overlap_text!r}")
        if not bad:
            if values["isl"] is None or values["osl"] is None:
                fail("isl", "isl and osl are required (state an assumed workload in notes "
                     "when the source gives none)")
            if values["concurrency"] is not None and values["gpus"] is None:
                fail("gpus", "a row with a concurrency needs the GPU count of its replica")
            draft, acc = values["draft_tokens"] or 0, values["accepted_tokens"] or 1.0
            if not 1.0 <= acc <= 1 + draft:
                fail("accepted_tokens", f"must be within [1, 1 + draft_tokens] = [1, {1 + draft}], "
                     f"got {acc:g}")
        if bad:
            problems.extend(bad)
            continue
        seen[pid] = line
        points.append(CalibrationPoint(
            id=pid, model=model, system=system,
            source_model=cell.get("source_model", "") or model,
            source_system=cell.get("source_system", "") or system,
            gpus=values["gpus"], precision=precision, engine=cell.get("engine", ""),
            isl=values["isl"], osl=values["osl"], concurrency=values["concurrency"],
            tokens_per_s_per_user=values["tokens_per_s_per_user"],
            tokens_per_s_per_gpu=values["tokens_per_s_per_gpu"], basis=basis, serving=serving,
            max_replica_chips=values["max_replica_chips"],
            min_replica_chips=values["min_replica_chips"] or 1, overlap=overlap_text == "yes",
            draft_tokens=values["draft_tokens"] or 0,  # empty or 0: plain decoding
            accepted_tokens=values["accepted_tokens"] or 1.0, use=use_text == "yes",
            source=cell.get("source", ""), notes=cell.get("notes", ""), line=line))
    if problems:
        raise InputError(problems)
    if not points:
        raise InputError([Problem(filename, None, "", "no calibration points in the file")])
    return points


def _unknown(kind: str, name: str, known: Collection[str], catalog: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(sorted(known))}"
    return f"unknown {kind} '{name}' (not in {catalog}){hint}"


def load_points(path: Union[str, Path, None] = None, models: Optional[Collection[str]] = None,
                systems: Optional[Collection[str]] = None) -> list[CalibrationPoint]:
    """Read a points CSV; ``None`` reads the one shipped in ``planner/data``."""
    if path is None:
        text = resources.files("planner").joinpath(SHIPPED).read_text("utf-8")
        return parse_points(text, SHIPPED_NAME, models, systems)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, "", f"cannot read: {exc}")]) from None
    return parse_points(text, str(path), models, systems)
