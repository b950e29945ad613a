"""Table exports of a run for other tools: CSV, Parquet, Excel (one sheet per table).

`planner run --out DIR --format F` writes, next to the standard files:
* csv:     utilisation.csv (allocation.csv and economics.csv are always written)
* parquet: allocation.parquet, economics.parquet, utilisation.parquet
* xlsx:    tables.xlsx with sheets economics, allocation, utilisation and provenance
Excel files are made byte-identical for identical inputs (fixed zip and document dates).
"""
from __future__ import annotations

import io
import os
import re
import zipfile

import pandas as pd

from planner.errors import InputError, Problem
from planner.output.tables import spreadsheet_safe, write_csv

FORMATS = ("csv", "parquet", "xlsx")
FIXED_DATE = "2000-01-01T00:00:00Z"
WORKBOOK = "tables.xlsx"


def run_tables(plan) -> dict[str, pd.DataFrame]:
    """The run's tables by name, as `planner run --out` writes them."""
    from planner.output.files import allocation_frame, utilisation_frame

    tables = {"economics": plan.economics, "allocation": allocation_frame(plan),
              "utilisation": utilisation_frame(plan)}
    if plan.purchases is not None:
        tables["purchases"] = plan.purchases
    return tables


def check_formats(formats) -> list[str]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError([Problem("--format", None, f, "unknown format; use " + ", ".join(FORMATS))
                          for f in unknown])
    return list(dict.fromkeys(formats))


def write_tables(tables: dict[str, pd.DataFrame], provenance: dict, directory: str,
                 formats) -> list[str]:
    """Write ``tables`` in each of ``formats`` into ``directory``; return new file names."""
    written = []
    for fmt in check_formats(formats):
        if fmt == "csv":
            for name, frame in tables.items():
                path = os.path.join(directory, f"{name}.csv")
                if not os.path.exists(path):
                    write_csv(frame, path)
                    written.append(f"{name}.csv")
        elif fmt == "parquet":
            for name, frame in tables.items():
                frame.to_parquet(os.path.join(directory, f"{name}.parquet"), index=False)
                written.append(f"{name}.parquet")
        else:
            with open(os.path.join(directory, WORKBOOK), "wb") as handle:
                handle.write(workbook(tables, provenance))
            written.append(WORKBOOK)
    return written


def _flatten(value: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    return [(prefix, value if isinstance(value, (int, float, str, bool)) or value is None else str(value))]


def workbook(tables: dict[str, pd.DataFrame], provenance: dict) -> bytes:
    """An .xlsx with one sheet per table (header frozen, widths fitted) and a provenance sheet."""
    from openpyxl.utils import get_column_letter

    buffer = io.BytesIO()
    sheets = dict(tables)
    sheets["provenance"] = pd.DataFrame(_flatten(provenance), columns=["key", "value"])
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            spreadsheet_safe(frame).to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for i, column in enumerate(frame.columns, start=1):
                longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
                sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    return _fixed_dates(buffer.getvalue())


def _fixed_dates(data: bytes) -> bytes:
    """Rewrite an Office zip with fixed entry dates and document created/modified dates."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>" + FIXED_DATE.encode() + rb"\g<3>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)
    return out.getvalue()


def describe(files: list[str]) -> str:
    """File names for a one-line message: plots/ summarised as a count."""
    plots = [f for f in files if f.startswith("plots/")]
    rest = [f for f in files if not f.startswith("plots/")]
    return ", ".join(rest + ([f"plots/ ({len(plots)} files)"] if plots else []))
