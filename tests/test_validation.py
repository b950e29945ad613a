"""Every kind of validation error: exact message and line, all reported at once, exit 2."""
import pytest
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import InputError
from planner.scenario.loaded import load_scenario

HEAD = "name: t\nextends: small.yaml\nhorizon: {start: 2026Q1, end: 2026Q4}\n"


@pytest.fixture
def child(tmp_path, small_path):
    """Write a scenario extending the small fixture; return its path."""
    (tmp_path / "small.yaml").write_text(open(small_path).read())

    def _child(body: str) -> str:
        path = tmp_path / "child.yaml"
        path.write_text(HEAD + body)
        return str(path)

    return _child


def problems_of(path: str) -> list[str]:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    return [str(p).split(":", 1)[1] for p in info.value.problems]  # drop the directory part


CASES = [
    ("systems:\n  rack:\n    chip: {hbm_gbs: 10}\n",
     ["6: systems.rack.chip.hbm_gbs: unknown key 'hbm_gbs'; did you mean 'hbm_gb'?"]),
    ("systems:\n  rack:\n    chip: {hbm_tbps: -1}\n",
     ["6: systems.rack.chip.hbm_tbps: must be > 0, got -1"]),
    ("systems:\n  rack:\n    chip: {hbm_tbps: 0}\n",
     ["6: systems.rack.chip.hbm_tbps: must be > 0, got 0"]),
    ("systems:\n  rack:\n    usd_per_chip_hour: .nan\n",
     ["6: systems.rack.usd_per_chip_hour: must be a finite number, got nan"]),
    ("systems:\n  rack:\n    usd_per_chip_hour: .inf\n",
     ["6: systems.rack.usd_per_chip_hour: must be a finite number, got inf"]),
    ("systems:\n  rack:\n    usd_per_chip_hour: 1e400\n",
     ["6: systems.rack.usd_per_chip_hour: must be a finite number, got inf"]),
    ("systems:\n  rack:\n    usd_per_chip_hour: cheap\n",
     ["6: systems.rack.usd_per_chip_hour: expected a number, got 'cheap' (text)"]),
    ("systems:\n  rack:\n    chips_per_domain: 7.5\n",
     ["6: systems.rack.chips_per_domain: expected a whole number, got 7.5"]),
    ("models:\n  big-moe:\n    active_params_b: 500\n",
     ["6: models.big-moe.active_params_b: active parameters (500B) exceed total parameters "
      "(400B); active must be <= total"]),
    ("models:\n  big-moe:\n    experts: {total: 4, active: 8}\n",
     ["6: models.big-moe.experts.active: 8 active experts of only 4; active must be <= total"]),
    ("models:\n  big-moe:\n    weight_bits: 12\n",
     ["6: models.big-moe.weight_bits: must be one of 4, 8 or 16, got 12"]),
    ("models:\n  big-moe:\n    workload: {cache_hit: 1.5}\n",
     ["6: models.big-moe.workload.cache_hit: must be <= 1, got 1.5"]),
    ("fleet:\n  rak: {deliveries: {2026Q2: 5}}\n",
     ["5: fleet.rak: unknown system 'rak'; did you mean 'rack'?"]),
    ("fleet:\n  rack: {deliveries: {2027Q1: 5}}\n",
     ["5: fleet.rack.deliveries.2027Q1: quarter 2027Q1 is outside the horizon 2026Q1-2026Q4"]),
    ("fleet:\n  rack: {deliveries: {2026Q5: 5}}\n",
     ["5: fleet.rack.deliveries.2026Q5: '2026Q5' is not a quarter; write it like 2026Q3"]),
    ("fleet:\n  rack: {deliveries: {2025Q4: 5}}\n",
     ["5: fleet.rack.deliveries.2025Q4: delivered in 2025Q4 but the system is available from 2026Q1"]),
    ("demand:\n  smal-dense: {output_tokens_per_day: {2026Q1: 1}, price_usd_per_m: {input: 1, output: 1}}\n",
     ["5: demand.smal-dense: unknown model 'smal-dense'; did you mean 'small-dense'?"]),
    ("demand:\n  big-moe:\n    priority: 0\n",
     ["6: demand.big-moe.priority: must be >= 1, got 0"]),
    ("economics: {target_margin: 1.0}\n",
     ["4: economics.target_margin: must be < 1, got 1.0"]),
    ("economics: {target_margn: 0.3}\n",
     ["4: economics.target_margn: unknown key 'target_margn'; did you mean 'target_margin'?"]),
    ("systems:\n  rack:\n    capex: {usd_per_chip: 30000}\n",
     ["5: systems.rack: give exactly one of usd_per_chip_hour or capex"]),
]


@pytest.mark.parametrize("body,expected", CASES, ids=[c[1][0].split(":")[1].strip() for c in CASES])
def test_error_message_and_line(child, body, expected):
    assert problems_of(child(body)) == expected


def test_all_problems_reported_at_once(child):
    path = child("systems:\n  rack:\n    chip: {hbm_gbs: 10}\n"
                 "fleet:\n  rak: {deliveries: {2026Q2: 5}}\n"
                 "models:\n  big-moe:\n    active_params_b: 500\n")
    assert [p.split(":")[0] for p in problems_of(path)] == ["6", "8", "11"]


def test_missing_key_names_parent_line(write):
    path = write("name: x\nhorizon: {start: 2026Q1}\n")
    assert problems_of(path) == ["2: horizon.end: missing required key; add it"]


def test_horizon_reversed(write):
    path = write("name: x\nhorizon: {start: 2026Q4, end: 2026Q1}\n")
    assert problems_of(path) == ["2: horizon.end: horizon ends (2026Q1) before it starts (2026Q4)"]


def test_cli_exit_code_2_and_no_traceback(child):
    path = child("models:\n  big-moe:\n    active_params_b: 500\n")
    result = CliRunner().invoke(main, ["validate", path])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "active parameters (500B) exceed" in result.output
    assert "1 problem found; nothing was run or written." in result.output


def test_cli_validate_ok(small_path):
    result = CliRunner().invoke(main, ["validate", small_path])
    assert result.exit_code == 0, result.output
    assert "ok (1 systems, 2 models, 2 demand series, 2026Q1-2026Q4)" in result.output


def test_unknown_family_and_expert_floor(child):
    path = child("systems:\n  rack:\n    family: hoper\n"
                 "models:\n  big-moe:\n    active_params_b: 5\n")
    assert problems_of(path) == [
        "6: systems.rack.family: unknown family 'hoper'; did you mean 'hopper'?",
        "9: models.big-moe.active_params_b: 5B active is less than the routed experts alone "
        "(4/128 of 400B = 12.5B); raise active_params_b or check the expert counts"]


def test_misspelt_demand_entry_names_the_model(child):
    path = child("demand:\n  big-mo:\n    priority: 3\n")
    assert problems_of(path)[-1] == "5: demand.big-mo: unknown model 'big-mo'; did you mean 'big-moe'?"
