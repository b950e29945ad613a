import os

import pytest
from hypothesis import settings

# Property and fuzz tests draw the same examples every run (the suite passes or fails on the
# code alone); FUZZ_RANDOM=1 draws new ones, to explore with a larger budget (see
# tests/test_fuzz_loader.py). Settings given on a test override these.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile("explore" if os.environ.get("FUZZ_RANDOM") == "1" else "deterministic")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


@pytest.fixture
def small_path() -> str:
    return os.path.join(FIXTURES, "small.yaml")


@pytest.fixture
def write(tmp_path):
    """Write a scenario text into tmp_path and return its path."""

    def _write(text: str, name: str = "s.yaml") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return _write
