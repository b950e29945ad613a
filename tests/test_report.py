"""`planner run --out DIR --report` and `planner report DIR`: one self-contained, escaped page."""
import json
import os
import re
import shutil

import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.output.atomic import MARKER
from planner.report import findings
from planner.report.rundata import read_run

RUN = CliRunner()
HOSTILE_MODEL = "<script>alert('m')</script>|`x`"
HOSTILE_NAME = '<b onmouseover="x()">evil & co</b>'
# big-moe outgrows the 400 chips of 2026Q1-Q2 (not the 800 from 2026Q3): a shortage


def growth(scenario, chips=600):
    """--set options: big-moe asks for what ``chips`` rack chips serve (2026Q1-Q2 have 400)."""
    rows = json.loads(invoke("cost", scenario, "--quarter", "2026Q1", "--json").output)
    per_chip = {r["model"]: r["m_output_per_chip_hour"] for r in rows}
    volume = chips * per_chip["big-moe"] * 24e6
    return ("--set", f"demand.big-moe.output_tokens_per_day.2026Q1={volume}",
            "--set", f"demand.big-moe.output_tokens_per_day.2026Q4={volume}")


def invoke(*args):
    return RUN.invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """The small scenario with a hostile model and scenario name and a shortage, run with --report."""
    here = os.path.dirname(__file__)
    with open(os.path.join(here, "fixtures", "small.yaml"), encoding="utf-8") as handle:
        text = handle.read()
    text = text.replace("small-dense", json.dumps(HOSTILE_MODEL)).replace(
        "name: small", f"name: {json.dumps(HOSTILE_NAME)}")
    base = tmp_path_factory.mktemp("report")
    scenario = base / "hostile.yaml"
    scenario.write_text(text)
    out = base / "run"
    result = invoke("run", scenario, "--out", out, "--report", "--quiet", *growth(scenario))
    assert result.exit_code == 0, result.output
    return out


def test_report_and_plots_are_written_in_the_run(run_dir):
    names = sorted(os.listdir(run_dir))
    assert {"report.html", "pareto.csv", "plots", "summary.json"} <= set(names)
    assert not [n for n in os.listdir(run_dir.parent) if n.startswith(".planner-")]
    plots = sorted(os.listdir(run_dir / "plots"))
    stems = {p.rsplit(".", 1)[0] for p in plots}
    assert {"allocation", "demand", "cost", "shadow-prices", "pnl", "idle-capacity"} <= stems
    assert len([s for s in stems if s.startswith("pareto-")]) == 2   # one per served model
    for name in plots:
        assert name.endswith((".png", ".svg")) and re.fullmatch(r"[A-Za-z0-9_.-]+", name)
        assert (run_dir / "plots" / name).stat().st_size > 5000


def test_report_is_self_contained(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert not re.search(r"<link\b|@import|url\(", html)
    srcs = re.findall(r'\bsrc="([^"]*)"', html)
    assert len(srcs) == 8 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert all(h.startswith("#") for h in re.findall(r'\bhref="([^"]*)"', html))
    assert "Content-Security-Policy" in html


def test_hostile_names_are_escaped(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<script\b", html)) == 2     # the report's own two scripts only
    assert "alert(" not in html.replace("&lt;script&gt;alert(&#x27;m&#x27;)&lt;/script&gt;", "")
    assert "&lt;script&gt;alert(&#x27;m&#x27;)&lt;/script&gt;|`x`" in html
    assert "<b onmouseover" not in html and "&lt;b onmouseover=&quot;x()&quot;&gt;evil &amp; co" in html


def test_report_contents(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    for text in ("Key findings", "When each model becomes servable", "Biggest shortages",
                 "Scarcest hardware", "Input SHA-256", "Provenance", 'class="sortable"'):
        assert text in html
    assert html.count("<table") == 6   # P&L, shortages, scarcity, economics, allocation, utilisation
    assert re.search(r"big-moe</b>: from 2026Q3 \(at \$15/M output\) \(in 2 of 4 quarters with "
                     r"demand\); before that, 2026Q2: not enough capacity: \d+% served", html)


def test_report_from_files_is_byte_identical(run_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    refused = invoke("report", copy, "--quiet")
    assert refused.exit_code == 2 and "report.html: already exists; use --force" in refused.output
    (copy / "plots" / "stale.png").write_bytes(b"old")
    (copy / "report.html").write_text("old")
    result = invoke("report", copy, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert (copy / "report.html").read_bytes() == (run_dir / "report.html").read_bytes()
    assert sorted(os.listdir(copy / "plots")) == sorted(os.listdir(run_dir / "plots"))
    for name in os.listdir(run_dir / "plots"):
        assert (copy / "plots" / name).read_bytes() == (run_dir / "plots" / name).read_bytes()
    assert not [n for n in os.listdir(copy) if n.startswith(".planner-") and n != MARKER]


def test_report_without_pareto_data_says_so(run_dir, tmp_path):
    copy = tmp_path / "plain"
    os.makedirs(copy)
    shutil.copy(run_dir / "summary.json", copy)
    assert invoke("report", copy, "-q").exit_code == 0
    html = (copy / "report.html").read_text(encoding="utf-8")
    assert "no pareto.csv" in html and html.count("data:image/png") == 6


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "no such run directory"),
    (lambda d: os.makedirs(d), "summary.json: not found"),
    (lambda d: (os.makedirs(d), open(os.path.join(d, "summary.json"), "w").write("{oops")),
     "not valid JSON"),
    (lambda d: (os.makedirs(d), open(os.path.join(d, "summary.json"), "w").write(
        '{"provenance": {}, "economics": [{"model": "a"}], "allocation": [], "utilisation": 3}')),
     "missing columns"),
])
def test_bad_run_directories_are_input_errors(tmp_path, setup, message):
    target = str(tmp_path / "d")
    setup(target)
    result = invoke("report", target)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_report_and_format_need_out():
    result = invoke("run", "--report")
    assert result.exit_code == 2 and "--report: needs --out" in result.output
    assert invoke("run", "--format", "docx").exit_code == 2


def test_servable_findings_by_hand(run_dir):
    run = read_run(str(run_dir))
    table = findings.servable(run.economics, run.target_margin).set_index("model")
    assert table.loc["big-moe", "first_quarter"] == "2026Q3"
    assert table.loc["big-moe", "servable_quarters"] == 2
    e = run.economics.copy()
    row = e.index[(e["model"] == "big-moe") & (e["quarter"] == "2026Q3")][0]
    e.loc[row, "gross_margin"] = 0.1
    later = findings.servable(e, 0.5).set_index("model").loc["big-moe"]
    assert later["first_quarter"] == "2026Q4" and later["servable_quarters"] == 1
    assert later["reason"] == "cost too high: margin 10% < 50%"
    e.loc[row, "served_fraction"] = 0.5
    assert findings.quarter_status(e.loc[row], 0.5) == "not enough capacity: 50% served"
    e.loc[row, "demand_output_tokens_per_day"] = 0.0
    assert findings.quarter_status(e.loc[row], 0.5) == "no demand yet (before launch)"
    assert findings.quarter_shift("2026Q1", "2026Q3") == 2


def test_shortages_and_scarcity():
    import pandas as pd

    e = pd.DataFrame({"model": ["a", "a", "b"], "quarter": ["2026Q1", "2026Q2", "2026Q1"],
                      "unmet_output_tokens_per_day": [1e9, 3e9, 0.0],
                      "served_fraction": [0.9, 0.7, 1.0]})
    short = findings.shortages(e)
    assert list(short["model"]) == ["a"] and short.loc[0, "worst_quarter"] == "2026Q2"
    assert short.loc[0, "unmet_output_tokens_total"] == pytest.approx(4e9 * 365.25 / 4)
    u = pd.DataFrame({"system": ["x", "y"], "quarter": ["2026Q1"] * 2, "capacity_chips": [1, 2],
                      "shadow_price_usd_per_chip_hour": [0.0, 5.0]})
    assert list(findings.scarcest(u)["system"]) == ["y"]


def test_pareto_csv_stacks_the_frontier_of_each_model_and_system(run_dir):
    """pareto.csv (built from arrays) holds, per model and system, exactly the rows of the
    cost core's own frontier, pareto(), in its order."""
    import pandas as pd

    from planner.report.rundata import PARETO_COLUMNS, pareto_frame
    from planner.run.plan import make_plan
    from planner.scenario.loaded import load_scenario

    here = os.path.dirname(__file__)
    plan = make_plan(load_scenario(os.path.join(here, "fixtures", "small.yaml")))
    stacked = pareto_frame(plan)
    quarter = str(plan.loaded.scenario.horizon.end)
    assert list(stacked.columns) == PARETO_COLUMNS and len(stacked) > 0
    pairs = list(dict.fromkeys(zip(stacked["model"], stacked["system"])))
    assert len(pairs) >= 2
    for model, system in pairs:
        rows = stacked[(stacked["model"] == model) & (stacked["system"] == system)]
        own = plan.cost_core.pareto(model, system, quarter)
        assert (rows["quarter"] == quarter).all()
        expected = own[[c for c in PARETO_COLUMNS if c in own.columns]].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows[expected.columns].reset_index(drop=True), expected,
                                      check_exact=True)
        speed = plan.loaded.scenario.models[model].slo.min_output_tokens_per_s
        assert (rows["min_output_tokens_per_s"] == speed).all()
    assert stacked["replica_chips"].dtype == "int64" and stacked["meets_slo"].dtype == bool
