"""The shipped efficiency table and its parser."""
import pytest

from planner.costcore import load_efficiency_table
from planner.costcore.efficiency import parse_efficiency_table

FAMILIES = {"hopper", "blackwell", "rubin", "tpu", "trainium", "amd", "ampere", "generic"}


def test_shipped_table_has_every_family_in_range():
    table = load_efficiency_table()
    assert set(table.families) == FAMILIES
    assert len(table.fitted_on) >= 30  # fitted by planner calibrate --fit
    for fam in table.families.values():
        for x in (fam.compute, fam.memory, fam.comm):
            assert 0 < x <= 1
        assert 0 < fam.layer_overhead_s < 1e-3 and 0 < fam.collective_latency_s < 1e-3
    assert table.family(None) == table.families["generic"]


def _data(**hopper):
    good = dict(compute=0.5, memory=0.7, comm=0.5, layer_overhead_us=20, collective_latency_us=10)
    return {"version": 1, "families": {"generic": good, "hopper": {**good, **hopper}}}


@pytest.mark.parametrize("bad, message", [
    (dict(compute=1.5), "families.hopper.compute: must be in"),
    (dict(memory=0), "families.hopper.memory: must be in"),
    (dict(layer_overhead_us=-1), "families.hopper.layer_overhead_us: must be positive"),
    (dict(comm="fast"), "families.hopper.comm: expected a finite number"),
    (dict(comm=float("nan")), "families.hopper.comm: expected a finite number"),
    (dict(speed=1), "unknown keys"),
])
def test_parser_rejects_bad_values(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_efficiency_table(_data(**bad))


def test_parser_requires_generic_family(tmp_path):
    data = _data()
    del data["families"]["generic"]
    with pytest.raises(ValueError, match="'generic' family is required"):
        parse_efficiency_table(data)
    path = tmp_path / "eff.yaml"
    path.write_text("families:\n  generic: {compute: 0.5, memory: 0.5, comm: 0.5, "
                    "layer_overhead_us: 1, collective_latency_us: 1}\n")
    assert load_efficiency_table(path).family("generic").layer_overhead_s == 1e-6
