"""The report in a real browser: headless Chromium renders its tables and images, no JS errors.

Skipped when `chromium` (Debian's package; .ci/run installs it) is not on PATH.
"""
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from planner.cli.main import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0"]


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def report(tmp_path_factory, small_path_module):
    out = tmp_path_factory.mktemp("chromium") / "run"
    result = CliRunner().invoke(main, ["run", small_path_module, "--out", str(out), "--report", "-q",
                                       "--set", "demand.big-moe.output_tokens_per_day.2026Q1=9e10"])
    assert result.exit_code == 0, result.output
    return out / "report.html"


@pytest.fixture(scope="module")
def small_path_module():
    return os.path.join(os.path.dirname(__file__), "fixtures", "small.yaml")


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line and re.search(r"error|uncaught|refused", line, re.I)]


def test_dom_after_scripts_has_tables_images_and_no_errors(report, tmp_path):
    result = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=2000", report.as_uri())
    dom = result.stdout
    assert "</html>" in dom, result.stderr[-2000:]
    root = re.search(r"<html[^>]*>", dom).group(0)
    tables = dom.count('<table class="sortable"')
    assert tables == 6   # P&L, shortages, scarcity, economics, allocation, utilisation
    assert f'data-sortable-tables="{tables}"' in root           # the sort script ran on all
    assert "data-js-errors" not in root                         # the error trap caught nothing
    assert dom.count('aria-sort="none"') >= 5 * 6
    assert dom.count("<img ") == 8   # 6 plots, the P&L chart and the idle heatmap
    assert console_errors(result.stderr) == []


def test_screenshot_is_a_real_page(report, tmp_path):
    shot = tmp_path / "shot.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000",
                      "--hide-scrollbars", report.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    assert shot.stat().st_size > 50_000
    import matplotlib.image

    pixels = matplotlib.image.imread(str(shot))
    assert pixels.shape[:2] == (2000, 1200)
    assert pixels[..., :3].std() > 0.05          # not a blank page
    assert console_errors(result.stderr) == []
