"""Atomic outputs: a run's directory appears whole or not at all.

Results are written to a temporary sibling directory and renamed into place. A run that fails
while writing (disk full), in the solver, or is interrupted (Ctrl-C) leaves no partial
directory, keeps a replaced directory as it was, and exits non-zero with a clear message.
"""
import errno
import json
import os
import stat

import pytest
from click.testing import CliRunner

import planner.output.files as runfiles
from planner.cli.main import main
from planner.errors import InputError, RunError
from planner.output.atomic import MARKER, MARKER_TEXT, atomic_directory


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def leftovers(parent) -> list[str]:
    """Temporary directories of the atomic writer left in ``parent``."""
    return sorted(n for n in os.listdir(parent) if n.startswith(".planner-"))


def no_traceback(result) -> None:
    assert "Traceback" not in result.output, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)


def fail_in_summary(monkeypatch, exc: BaseException) -> None:
    """Make writing summary.json (after allocation.csv and economics.csv) raise ``exc``."""
    def boom(plan):
        raise exc

    monkeypatch.setattr(runfiles, "summary", boom)


def test_ctrl_c_while_writing_leaves_nothing(small_path, tmp_path, monkeypatch):
    fail_in_summary(monkeypatch, KeyboardInterrupt())
    out = tmp_path / "out"
    result = invoke("run", small_path, "--out", out, "-q")
    no_traceback(result)
    assert result.exit_code == 130
    assert "interrupted; nothing written" in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_disk_full_leaves_nothing(small_path, tmp_path, monkeypatch):
    fail_in_summary(monkeypatch, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    out = tmp_path / "out"
    result = invoke("run", small_path, "--out", out, "-q")
    no_traceback(result)
    assert result.exit_code == 1
    assert (f"error: could not write the results to {out}: {os.strerror(errno.ENOSPC)}; "
            "nothing was written") in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_disk_full_in_a_csv_writer(small_path, tmp_path, monkeypatch):
    import pandas as pd

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "out"
    result = invoke("run", small_path, "--out", out, "-q")
    no_traceback(result)
    assert result.exit_code == 1 and "nothing was written" in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_failed_replace_keeps_the_previous_results(small_path, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert invoke("run", small_path, "--out", out, "-q").exit_code == 0
    before = {p: (out / p).read_bytes() for p in os.listdir(out)}
    fail_in_summary(monkeypatch, KeyboardInterrupt())
    result = invoke("run", small_path, "--out", out, "--force", "-q",
                    "--set", "economics.target_margin=0.3")
    assert result.exit_code == 130
    assert {p: (out / p).read_bytes() for p in os.listdir(out)} == before
    assert leftovers(tmp_path) == []


def test_failed_final_rename_puts_the_previous_directory_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("previous run")
    (out / MARKER).write_text(MARKER_TEXT)
    real_rename = os.rename

    def rename(src, dst):
        if os.path.basename(src).startswith(".planner-") and os.fspath(dst) == str(out):
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(RunError, match="nothing was written"):
        with atomic_directory(str(out), force=True) as tmp:
            open(os.path.join(tmp, "new.txt"), "w").close()
    assert sorted(os.listdir(out)) == [MARKER, "old.txt"]
    assert leftovers(tmp_path) == []


def test_solver_error_exits_1_without_output(small_path, tmp_path, monkeypatch):
    import solver

    def failing(problem, options=None):
        raise solver.SolverError("highs: the LP could not be solved: Unbounded")

    monkeypatch.setattr(solver, "solve_allocation", failing)
    out = tmp_path / "out"
    result = invoke("run", small_path, "--out", out, "-q")
    no_traceback(result)
    assert result.exit_code == 1
    assert ("error: the allocation could not be solved: highs: the LP could not be solved: "
            "Unbounded") in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_real_time_limit_is_a_run_error(small_path, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", small_path, "--exact", "--time-limit", "1e-9", "--out", out, "-q")
    no_traceback(result)
    assert result.exit_code == 1
    assert "error: the allocation could not be solved: highs:" in result.stderr
    assert "time limit" in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_solver_error_in_when_is_a_run_error(small_path, monkeypatch):
    import solver

    def failing(problem, options=None):
        raise solver.SolverError("cbc: the LP could not be solved: Infeasible")

    monkeypatch.setattr(solver, "solve_allocation", failing)
    result = invoke("when", small_path, "--model", "big-moe", "--price-output", 10)
    no_traceback(result)
    assert result.exit_code == 1 and "could not be solved" in result.stderr


def test_refuses_to_overwrite_without_force(small_path, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("run", small_path, "--out", out, "-q")
    no_traceback(result)
    assert result.exit_code == 2 and "use --force" in result.stderr
    assert os.listdir(out) == ["keep.txt"]


def test_out_is_a_file(small_path, tmp_path):
    out = tmp_path / "out"
    out.write_text("a file")
    result = invoke("run", small_path, "--out", out, "-q")
    no_traceback(result)
    assert result.exit_code == 2 and "is a file" in result.stderr    # click's own check
    with pytest.raises(InputError, match="exists and is not a directory"):
        with atomic_directory(str(out)):
            pass
    assert out.read_text() == "a file"


def test_success_makes_an_ordinary_directory(small_path, tmp_path):
    out = tmp_path / "deeper" / "out"
    result = invoke("run", small_path, "--out", out, "-q")
    assert result.exit_code == 0, result.output
    assert leftovers(out.parent) == []
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o777 & ~mask  # not mkdtemp's private 0700
    assert json.loads((out / "summary.json").read_text())["provenance"]["input_sha256"]
