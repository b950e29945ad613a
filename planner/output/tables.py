"""Terminal tables and JSON for named DataFrames."""
from __future__ import annotations

import json
import math

import click
import pandas as pd


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        magnitude = abs(value)
        if magnitude >= 1e6:
            return f"{value:.3g}"
        if magnitude >= 100 or value == int(value):
            return f"{value:,.0f}"
        return f"{value:.3g}" if magnitude < 1 else f"{value:.2f}"
    return str(value)


def format_table(frame: pd.DataFrame, title: str | None = None) -> str:
    """A plain-text table: text left-aligned, numbers right-aligned, NaN as '-'."""
    header = [str(c) for c in frame.columns]
    cells = _column_cells(frame)
    rows = [list(row) for row in zip(*cells)] if cells else [[] for _ in range(len(frame))]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    widths = [max([len(h)] + [len(v) for v in column]) for h, column in zip(header, cells)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric)).rstrip()

    out = [title, ""] if title else []
    out += [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
    return "\n".join(out)


DEFAULT_WIDTH = 120
MIN_TEXT_WIDTH = 12  # a text column is cut to no less than this before a table is split


def terminal_width() -> int:
    """Columns to fit tables into: $COLUMNS (at least 40, at most 1000), else 120."""
    import os

    text = os.environ.get("COLUMNS", "").strip()
    return min(max(int(text), 40), 1000) if text.isdigit() and int(text) > 0 else DEFAULT_WIDTH


def _column_cells(frame: pd.DataFrame) -> list[list[str]]:
    """Each column's cells as text (``tolist`` gives the Python values row iteration gives)."""
    return [[_cell(v) for v in frame[c].tolist()] for c in frame.columns]


def _widths(frame: pd.DataFrame) -> list[int]:
    return [max([len(str(c))] + [len(v) for v in cells])
            for c, cells in zip(frame.columns, _column_cells(frame))]


def _cut(values: pd.Series, room: int) -> pd.Series:
    return values.map(lambda v: v if len(str(v)) <= room else str(v)[:room - 3] + "...")


def format_fitted(frame: pd.DataFrame, title: str, keys: list[str], width: int) -> str:
    """``format_table`` within ``width`` columns: the widest text columns (not keys) are cut
    with "..." first, down to MIN_TEXT_WIDTH; if that is not enough, the other columns are
    split into several tables, each repeating the ``keys`` columns."""
    import textwrap

    def wrap(text: str) -> str:
        return "\n".join(textwrap.fill(line, width) for line in text.splitlines())

    widths = _widths(frame)
    total = sum(widths) + 2 * (len(widths) - 1)
    if total <= width or frame.empty:
        return format_table(frame, wrap(title))
    text = [c for c in frame.columns if c not in keys and not pd.api.types.is_numeric_dtype(frame[c])]
    cut = frame
    while total > width:  # cut the widest text column, down to MIN_TEXT_WIDTH each
        room = {c: w for c, w in zip(cut.columns, widths) if c in text and w > MIN_TEXT_WIDTH}
        if not room:
            break
        column = max(room, key=room.get)
        cut = cut.assign(**{column: _cut(cut[column], max(MIN_TEXT_WIDTH,
                                                          room[column] - (total - width)))})
        widths = _widths(cut)
        if sum(widths) + 2 * (len(widths) - 1) == total:  # only its header is that wide
            text.remove(column)
        total = sum(widths) + 2 * (len(widths) - 1)
    if total <= width:
        return format_table(cut, wrap(title))
    key_width = sum(w + 2 for c, w in zip(frame.columns, widths) if c in keys)
    room = max(MIN_TEXT_WIDTH, width - key_width)
    # a text column wider than a whole table is cut to fit one
    frame = frame.assign(**{column: _cut(frame[column], room) for column in text})
    widths = _widths(frame)
    groups, current, used = [], [], key_width
    for c, w in zip(frame.columns, widths):
        if c in keys:
            continue
        if current and used + w > width:
            groups.append(current)
            current, used = [], key_width
        current.append(c)
        used += w + 2
    groups.append(current)
    return "\n\n".join(format_table(frame[keys + g], wrap(f"{title} ({i} of {len(groups)})"))
                       for i, g in enumerate(groups, 1))


def to_records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready records: NaN becomes null, numpy scalars become Python ones."""
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in cleaned.to_dict(orient="records")]


FLOAT_FORMAT = "%.10g"  # CSV numbers: enough digits to recompute every derived column
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text cells that a spreadsheet would run as a formula (``=cmd|...``,
    ``+1``, ``-1``, ``@SUM``) prefixed by ``'``, which spreadsheets show as text. Numbers
    are untouched; ordinary names are unchanged, so normal outputs stay byte-identical."""
    text = [c for c in frame.columns
            if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if not text:
        return frame
    out = frame.copy()
    for column in text:
        values = out[column]
        risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        if risky.any():
            out[column] = values.where(~risky, "'" + values.astype(str))
    out.columns = [("'" + c) if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c
                   for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str, float_format: str | None = FLOAT_FORMAT) -> None:
    """One CSV writer for every output: formula-safe text, fixed float format, LF endings."""
    spreadsheet_safe(frame).to_csv(path, index=False, float_format=float_format,
                                   lineterminator="\n")


def json_text(value: object, indent: int | None = 1) -> str:
    """Valid JSON (RFC 8259) for any output value: NaN and infinities become null, numpy
    scalars Python numbers, other objects (quarters, dates) their text; never ``NaN``."""
    return json.dumps(_finite(value), indent=indent, allow_nan=False, default=str)


def _finite(value: object) -> object:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit(tables: dict[str, pd.DataFrame], as_json: bool) -> None:
    """Print named tables to stdout, as text tables or as one JSON object."""
    if as_json:
        click.echo(json_text({k: to_records(v) for k, v in tables.items()}, indent=2))
        return
    click.echo("\n\n".join(format_table(v, k) for k, v in tables.items()))
