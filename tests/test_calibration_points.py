"""Calibration points: the shipped file, and clear errors naming the row for bad input."""
import pytest

from planner.calibration.points import COLUMNS, load_points, parse_points
from planner.calibration.predict import load_catalog
from planner.errors import InputError

CATALOG = load_catalog()
HEADER = ",".join(COLUMNS)
GOOD = ("p1,llama-3.1-70b,h200-hgx8,llama-3.1-70b,h200-sxm,1,fp8,trt-llm,1000,1000,4,49.7,194,"
        "output,aggregated,,,,yes,somewhere,,,")


def parse(*rows, name="pts.csv"):
    models, systems = CATALOG
    return parse_points("\n".join([HEADER, *rows]) + "\n", name, models, systems)


def problems(*rows) -> list[str]:
    with pytest.raises(InputError) as err:
        parse(*rows)
    return [str(p) for p in err.value.problems]


def test_shipped_points_refer_to_the_catalogs_and_carry_sources():
    models, systems = CATALOG
    points = load_points(models=models, systems=systems)
    assert len(points) == 35
    assert len({p.id for p in points}) == len(points)
    assert all(p.source and p.source != "same" for p in points)
    kinds = {p.kind for p in points}
    assert kinds == {"fixed", "best-of", "max-throughput"}
    # every unused point says why in its notes
    assert all("NOT USED" in p.notes for p in points if not p.use)
    r1 = next(p for p in points if p.id == "ix-r1-8k1k-b200-23")
    assert (r1.model, r1.source_model, r1.weight_bits, r1.basis) == ("deepseek-v3", "deepseek-r1", 8, "total")


def test_a_good_row_parses():
    (p,) = parse(GOOD)
    assert (p.id, p.kind, p.gpus, p.concurrency, p.line) == ("p1", "fixed", 1, 4, 2)
    assert p.draft_tokens == 0 and p.accepted_tokens == 1.0


def test_unknown_model_and_system_name_the_file_line_and_row():
    bad_model = GOOD.replace("p1,llama-3.1-70b,", "p2,llama-3.1-71b,")
    bad_system = GOOD.replace("p1,", "p3,").replace(",h200-hgx8,", ",h900-hgx8,")
    msgs = problems(GOOD, bad_model, bad_system)
    assert msgs[0].startswith("pts.csv:3: p2.model: unknown model 'llama-3.1-71b'")
    assert "did you mean 'llama-3.1-70b'" in msgs[0]
    assert msgs[1].startswith("pts.csv:4: p3.system: unknown system 'h900-hgx8'")


@pytest.mark.parametrize("row, expected", [
    (GOOD + ",extra", "pts.csv:2: malformed row: 24 fields, the header has 23"),
    (GOOD.replace(",194,", ",fast,"), "pts.csv:2: p1.tokens_per_s_per_gpu: not a number: 'fast'"),
    (GOOD.replace(",194,", ",-3,"), "pts.csv:2: p1.tokens_per_s_per_gpu: must be a positive"),
    (GOOD.replace(",fp8,", ",int3,"), "pts.csv:2: p1.precision: unknown precision 'int3'"),
    (GOOD.replace(",output,", ",input,"), "pts.csv:2: p1.basis: must be one of output, total"),
    (GOOD.replace(",1000,1000,", ",,,"), "pts.csv:2: p1.isl: isl and osl are required"),
    (GOOD.replace(",1,fp8,", ",,fp8,"), "pts.csv:2: p1.gpus: a row with a concurrency needs"),
    (GOOD.replace(",,,,yes,", ",,1,2.5,yes,"), "pts.csv:2: p1.accepted_tokens: must be within"),
    (GOOD.replace(",4,49.7,", ",4.5,49.7,"), "pts.csv:2: p1.concurrency: must be a whole number"),
    (GOOD.replace(",yes,", ",maybe,"), "pts.csv:2: p1.use: must be yes or no"),
    (GOOD.replace(",somewhere,", ",,"), "pts.csv:2: p1.source: required value is empty"),
    (GOOD + "often", "pts.csv:2: p1.overlap: must be yes or no"),
])
def test_malformed_rows_are_named(row, expected):
    msgs = problems(row)
    assert any(m.startswith(expected) for m in msgs), msgs


def test_duplicate_ids_and_bad_header():
    assert problems(GOOD, GOOD)[0].startswith("pts.csv:3: p1.id: duplicate id (first on line 2)")
    with pytest.raises(InputError, match="pts.csv:1: header: missing columns basis.*unknown columns flavour"):
        parse_points(HEADER.replace("basis", "flavour") + "\n" + GOOD + "\n", "pts.csv")


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("\n".join([HEADER, GOOD.replace("p1,llama-3.1-70b", "a,nope"),
                               GOOD.replace("p1,", "b,").replace(",fp8,", ",fp3,")]) + "\n")
    models, systems = CATALOG
    with pytest.raises(InputError) as err:
        load_points(path, models, systems)
    where = [(p.file, p.line, p.path) for p in err.value.problems]
    assert where == [(str(path), 2, "a.model"), (str(path), 3, "b.precision")]
