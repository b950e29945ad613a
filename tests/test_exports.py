"""`planner run --out DIR --format csv|parquet|xlsx`: the same tables, readable, reproducible."""
import json
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import InputError
from planner.output.exports import check_formats, describe, workbook

RUN = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import os

    small = os.path.join(os.path.dirname(__file__), "fixtures", "small.yaml")
    out = tmp_path_factory.mktemp("exports") / "run"
    result = RUN.invoke(main, ["run", small, "--out", str(out), "--json", "-q",
                               "--format", "parquet", "--format", "xlsx", "--format", "csv"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)      # stdout stays pure JSON
    assert "tables.xlsx" in result.stderr
    return out


def test_files_written(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"allocation.parquet", "economics.parquet", "utilisation.parquet", "tables.xlsx",
            "utilisation.csv", "allocation.csv", "economics.csv", "summary.json"} <= names
    assert "report.html" not in names


def test_parquet_and_csv_hold_the_summary_tables(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    for name in ("economics", "allocation", "utilisation"):
        frame = pd.read_parquet(run_dir / f"{name}.parquet")
        expected = pd.DataFrame(summary[name])
        assert list(frame.columns) == list(expected.columns)
        pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    csv = pd.read_csv(run_dir / "utilisation.csv")
    assert len(csv) == len(summary["utilisation"])


def test_excel_has_a_sheet_per_table_and_provenance(run_dir):
    sheets = pd.read_excel(run_dir / "tables.xlsx", sheet_name=None)
    assert list(sheets) == ["economics", "allocation", "utilisation", "provenance"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert len(sheets["economics"]) == len(summary["economics"])
    prov = dict(zip(sheets["provenance"]["key"], sheets["provenance"]["value"]))
    assert prov["scenario"] == "small" and prov["input_sha256"] == summary["provenance"]["input_sha256"]


def test_excel_is_byte_identical_for_identical_tables():
    tables = {"t": pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]})}
    first, second = workbook(tables, {"k": 1}), workbook(tables, {"k": 1})
    assert first == second
    with zipfile.ZipFile(__import__("io").BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in z.read("docProps/core.xml")


def test_formats_are_checked_and_need_out():
    with pytest.raises(InputError):
        check_formats(["csv", "docx"])
    assert check_formats(["csv", "csv", "xlsx"]) == ["csv", "xlsx"]
    result = RUN.invoke(main, ["run", "--format", "xlsx"])
    assert result.exit_code == 2 and "--format: needs --out" in result.output
    assert describe(["a.csv", "plots/x.png", "plots/x.svg"]) == "a.csv, plots/ (2 files)"
