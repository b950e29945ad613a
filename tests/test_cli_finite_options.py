"""Numeric CLI options accept only finite numbers of sane magnitude (exit 2, no traceback)."""
import pytest
from click.testing import CliRunner

from planner.cli.main import main


@pytest.mark.parametrize("args", [
    ["when", "--model", "flagship", "--price-output", "nan"],
    ["when", "--model", "flagship", "--price-output", "inf"],
    ["when", "--model", "flagship", "--price-output", "1e308"],
    ["when", "--model", "flagship", "--margin", "nan"],
    ["when", "--model", "flagship", "--share", "nan"],
    ["run", "--gap", "nan"],
    ["run", "--time-limit", "inf"],
])
def test_non_finite_option_is_a_usage_error(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "finite number" in result.output
