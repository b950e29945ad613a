import os

import pytest

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
