"""`planner calibrate` through the CLI: table, JSON, plot, refit into a file, bad input."""
import datetime
import json

import yaml
from click.testing import CliRunner

from planner.calibration.points import COLUMNS
from planner.cli.main import main

RUN = CliRunner()
HEADER = ",".join(COLUMNS)
A100 = [
    "a1,llama-7b,a100-sxm8,llama-7b,a100-sxm,1,fp16,trt-llm,128,128,256,,5353,output,aggregated,,,,yes,src-a,,,",
    "a2,llama-7b,a100-sxm8,llama-7b,a100-sxm,1,fp16,trt-llm,128,2048,32,,1518,output,aggregated,,,,yes,src-b,,,",
]


def invoke(*args):
    return RUN.invoke(main, ["calibrate", *[str(a) for a in args]])


def test_table_and_summary():
    result = invoke()
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("aic-h200-tp1-c4", "ix-gptoss-mi325x-100", "measured", "predicted", "ratio",
                 "in-sample:", "leave-one-point-out CV:", "leave-one-source-out CV:",
                 "not used: mlperf-b200x8-l2-70b", "sequence_overhead_us"):
        assert text in out


def test_json_and_plots(tmp_path):
    result = invoke("--json", "--plot", tmp_path / "c.png")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"points", "summary", "families", "version", "date"} <= set(data)
    assert len(data["points"]) == 35
    row = next(r for r in data["points"] if r["id"] == "aic-h200-tp1-c4")
    assert row["ratio"] == row["predicted"] / row["measured"]
    assert data["summary"]["in_sample"]["median_factor"] >= 1.0
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert invoke("--plot", tmp_path / "c.svg").exit_code == 0
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:500]
    bad = invoke("--plot", tmp_path / "c.txt")
    assert bad.exit_code == 2 and "has no plot extension" in bad.stderr


def test_fit_writes_a_versioned_parameter_file(tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("\n".join([HEADER, *A100]) + "\n")
    target = tmp_path / "eff.yaml"
    result = invoke("--fit", "--points", points, "--params", target)
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.stderr
    data = yaml.safe_load(target.read_text())
    assert data["version"] == 1 and data["fitted_on"] == ["a1", "a2"]
    assert str(data["date"]) == datetime.date.today().isoformat()
    assert set(data["families"]) >= {"ampere", "hopper", "generic"}
    assert data["families"]["hopper"]["memory"] == 0.85  # no hopper points: textbook
    assert data["calibration"]["in_sample"]["points"] == 2
    assert "a1" in result.stdout and "leave-one-point-out CV:" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] and not any(
        p.name.startswith(".efficiency-") for p in tmp_path.iterdir())
    again = invoke("--fit", "--points", points, "--params", target)
    assert again.exit_code == 0 and yaml.safe_load(target.read_text())["version"] == 2
    # scoring the shipped points with this file: CV figures are not available for them
    other = invoke("--params", target)
    assert other.exit_code == 0 and "cross-validation not available" in other.stdout


def test_bad_points_file_exits_2_naming_the_row(tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("\n".join([HEADER, A100[0], A100[1].replace("a2,llama-7b", "a2,llama-8b"),
                                 "x,y"]) + "\n")
    result = invoke("--points", points)
    assert result.exit_code == 2
    assert f"{points}:3: a2.model: unknown model 'llama-8b'" in result.stderr
    assert f"{points}:4: malformed row: 2 fields" in result.stderr
    assert "2 problems found" in result.stderr and "Traceback" not in result.output
    missing = invoke("--points", tmp_path / "nope.csv")
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_bad_parameter_file_exits_2(tmp_path):
    bad = tmp_path / "eff.yaml"
    bad.write_text("families: {generic: {compute: 2}}\n")
    result = invoke("--params", bad)
    assert result.exit_code == 2 and f"{bad}: cannot use this efficiency file" in result.stderr
