"""Cost and price per task: per-token figures times tokens, in `cost`, `run` and `when`."""
import json

import pytest
import yaml
from click.testing import CliRunner

from planner.cli.main import main
from planner.errors import InputError
from planner.queries.tasks import task_quarters
from planner.run.plan import make_plan
from planner.run.tasks import per_task_economics
from planner.scenario.loaded import load_scenario

RUN = CliRunner()
TASKS = {
    "big-moe": {"coding-agent": {"input_tokens": 100000, "output_tokens": 2000},
                "chat": {"input_tokens": 3000, "output_tokens": 500}},
    "small-dense": {"chat": {"input_tokens": 3000, "output_tokens": 800}},
}


def invoke(*args):
    return RUN.invoke(main, [str(a) for a in args])


@pytest.fixture
def tasks_path(tmp_path, small_path):
    """The small fixture with tokens_per_task on both models."""
    data = yaml.safe_load(open(small_path))
    for model, tasks in TASKS.items():
        data["models"][model]["tokens_per_task"] = tasks
    path = tmp_path / "tasks.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def test_schema_rejects_bad_task_tokens(tmp_path, small_path):
    data = yaml.safe_load(open(small_path))
    data["models"]["big-moe"]["tokens_per_task"] = {
        "chat": {"input_tokens": -1, "output_tokens": 5}, "browse": {"input_tokns": 1}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError) as info:
        load_scenario(str(path))
    text = "\n".join(str(p) for p in info.value.problems)
    assert "models.big-moe.tokens_per_task.chat.input_tokens: must be > 0, got -1" in text
    assert "unknown key 'input_tokns'; did you mean 'input_tokens'?" in text
    result = invoke("validate", path)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_tokens_per_task_is_optional(small_path):
    assert all(m.tokens_per_task == {} for m in load_scenario(small_path).scenario.models.values())


def test_cost_per_task_is_cost_per_token_times_tokens(tasks_path):
    result = invoke("cost", tasks_path, "--per-task", "chat", "--quarter", "2026Q1",
                    "--quarter", "2026Q4", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["model"] for r in rows} == {"big-moe", "small-dense"}
    for r in rows:
        tokens = TASKS[r["model"]]["chat"]
        assert r["input_tokens_per_task"] == tokens["input_tokens"]
        expected = (tokens["input_tokens"] * r["usd_per_m_input"]
                    + tokens["output_tokens"] * r["usd_per_m_output"]) / 1e6
        assert r["usd_per_task"] == pytest.approx(expected, rel=1e-12)


def test_list_price_per_task_by_hand(tasks_path):
    rows = json.loads(invoke("cost", tasks_path, "--per-task", "coding-agent", "--quarter",
                             "2026Q2", "--json").output)
    (row,) = rows  # only big-moe defines coding-agent
    # $3/M input (cached input priced as input), $15/M output: 0.1 M x 3 + 0.002 M x 15
    assert row["list_usd_per_task"] == pytest.approx(0.33)
    assert row["task"] == "coding-agent"


def test_cost_per_task_matrix_text(tasks_path):
    result = invoke("cost", tasks_path, "--per-task", "chat")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("model"))
    assert header.split() == ["model", "system", "2026Q4"]  # default: last quarter of each year
    assert any(line.split()[:3] == ["big-moe", "list", "price"] for line in lines)
    assert "tokens per task: small-dense 3,000 in / 800 out; big-moe 3,000 in / 500 out" \
        in result.output


def test_task_quarters_are_year_ends():
    scenario = load_scenario(None).scenario
    assert [str(q) for q in task_quarters(scenario)] == ["2025Q4", "2026Q4", "2027Q4", "2028Q4"]


def test_unknown_task_is_an_input_error(tasks_path):
    result = invoke("cost", tasks_path, "--per-task", "chatt")
    assert result.exit_code == 2
    assert "--per-task: chatt: unknown task family; did you mean 'chat'?" in result.output


def test_no_selected_model_has_the_task(tasks_path):
    result = invoke("cost", tasks_path, "--per-task", "coding-agent", "--model", "small-dense")
    assert result.exit_code == 2
    assert ("none of the selected models has tokens_per_task.coding-agent; models with it: "
            "big-moe") in result.output


def test_run_economics_per_task_by_hand(tasks_path):
    plan = make_plan(load_scenario(tasks_path))
    table = per_task_economics(plan)
    e = plan.economics.set_index(["model", "quarter"])
    for row in table.itertuples():
        econ = e.loc[(row.model, row.quarter)]
        tokens = TASKS[row.model][row.task]
        cost = (tokens["input_tokens"] * econ["cost_usd_per_m_input"]
                + tokens["output_tokens"] * econ["cost_usd_per_m_output"]) / 1e6
        assert row.cost_usd_per_task == pytest.approx(cost, rel=1e-12)
        assert row.price_at_target_margin_usd_per_task == pytest.approx(cost / 0.5, rel=1e-12)
        assert row.gross_margin_per_task == pytest.approx(1 - cost / row.list_usd_per_task)
    coding = table[table["task"] == "coding-agent"]
    assert set(coding["model"]) == {"big-moe"} and len(coding) == 4
    assert coding["list_usd_per_task"].tolist() == pytest.approx([0.33] * 4)


def test_run_prints_per_task_tables(tasks_path, small_path):
    out = invoke("run", tasks_path).output
    assert "Per task: chat" in out and "Per task: coding-agent" in out
    assert "big-moe cost" in out and "small-dense list" in out
    assert "Per task" not in invoke("run", small_path).output


def test_when_per_task_adds_columns_and_keeps_the_answer(tasks_path):
    plain = json.loads(invoke("when", tasks_path, "--model", "big-moe", "--price-output", "15",
                              "--json").output)
    per = json.loads(invoke("when", tasks_path, "--model", "big-moe", "--price-output", "15",
                            "--per-task", "coding-agent", "--json").output)
    assert per["earliest_quarter"] == plain["earliest_quarter"]
    assert per["task"] == "coding-agent" and per["price_per_task"] is None
    for q in per["quarters"]:
        # price per task: 0.1 M input at $3 (list) + 0.002 M output at $15
        assert q["price_usd_per_task"] == pytest.approx(0.33)
        assert q["lowest_price_usd_per_task"] == pytest.approx(q["cost_usd_per_task"] / 0.5)
        assert q["margin_per_task"] == pytest.approx(1 - q["cost_usd_per_task"] / 0.33)


def test_when_price_per_task_scales_the_rate_card(tasks_path):
    out = json.loads(invoke("when", tasks_path, "--model", "big-moe", "--per-task",
                            "coding-agent", "--price-per-task", "1", "--json").output)
    assert out["price_per_task"] == 1 and out["price_output"] is None
    for q in out["quarters"]:
        assert q["price_usd_per_task"] == pytest.approx(1.0)
        # the list card $3/$15 scaled by 1 / 0.33
        assert q["price_usd_per_m_input"] == pytest.approx(3 / 0.33)
        assert q["price_usd_per_m_output"] == pytest.approx(15 / 0.33)
    assert out["earliest_quarter"] == "2026Q1"


def test_when_price_per_task_below_cost_binds(tasks_path):
    base = json.loads(invoke("when", tasks_path, "--model", "big-moe", "--per-task",
                             "coding-agent", "--json").output)
    lowest = max(q["lowest_price_usd_per_task"] for q in base["quarters"])
    low = json.loads(invoke("when", tasks_path, "--model", "big-moe", "--per-task",
                            "coding-agent", "--price-per-task", lowest * 0.5, "--json").output)
    assert low["earliest_quarter"] is None
    assert all(q["binding"].startswith("cost too high") for q in low["quarters"])
    assert all(q["margin_per_task"] < 0.5 for q in low["quarters"])
    text = invoke("when", tasks_path, "--model", "big-moe", "--per-task", "coding-agent",
                  "--price-per-task", lowest * 0.5).output
    assert "per coding-agent task" in text and "cost/task" in text


@pytest.mark.parametrize("args, message", [
    (["--price-per-task", "1"], "--price-per-task: needs --per-task TASK"),
    (["--per-task", "chat", "--price-per-task", "1", "--price-output", "3"],
     "give either a price per task or --price-output/--price-input, not both"),
    (["--model", "small-dense", "--per-task", "coding-agent"],
     "model 'small-dense' has no tokens_per_task.coding-agent; its task families: chat"),
])
def test_when_per_task_usage_errors(tasks_path, args, message):
    model = [] if "--model" in args else ["--model", "big-moe"]
    result = invoke("when", tasks_path, *model, *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_default_served_models_have_tasks():
    scenario = load_scenario(None).scenario
    for name in scenario.demand:
        tasks = scenario.models[name].tokens_per_task
        assert "chat" in tasks and "browse" in tasks, name
    flagship = scenario.models["flagship"].tokens_per_task["coding-agent"]
    mythos = scenario.models["mythos-class"].tokens_per_task["coding-agent"]
    assert flagship.output_tokens / mythos.output_tokens >= 3  # the larger model is terser
