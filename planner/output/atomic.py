"""Atomic result directories: written to a temporary sibling, renamed into place at the end.

A finished directory carries a marker file (MARKER): ``--force`` replaces only a directory
that has it, that is an earlier planner result. The final rename happens under an exclusive
lock on the parent folder and fails rather than overwrite what another run put there.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile

from planner.errors import InputError, Problem, RunError

MARKER = ".planner-output"
MARKER_TEXT = ("This directory was written by `planner`; `--force` may replace it as a whole.\n"
               "Do not keep input files here.\n")


@contextlib.contextmanager
def atomic_directory(directory: str, force: bool = False, inputs: tuple[str, ...] = (),
                     marker: bool = True):
    """Yield a temporary directory that replaces ``directory`` only if the block succeeds.

    An existing non-empty ``directory`` is refused unless ``force``, and even then unless it
    carries the marker of an earlier planner output, holds none of ``inputs`` (file paths)
    and is neither the working directory nor one of its ancestors. On any failure (an error
    while writing, a full disk, Ctrl-C, SIGTERM) the temporary directory is removed, a
    replaced directory is put back, and nothing is left behind. If another process filled
    ``directory`` meanwhile, this run's results are dropped with a RunError, never theirs.
    A write error (OSError) becomes a RunError naming the directory; other exceptions pass
    through unchanged. ``marker=False`` (for scenario files, which are inputs) writes none.
    """
    target = check_destination(directory, force, inputs)
    parent = os.path.dirname(target)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".planner-", dir=parent)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; results are ordinary files
    except OSError as exc:
        raise InputError([Problem(directory, None, "", f"cannot write here: {_reason(exc)}")]) from None
    old, done = None, False
    try:
        yield tmp
        if marker:
            with open(os.path.join(tmp, MARKER), "w", encoding="utf-8") as handle:
                handle.write(MARKER_TEXT)
        with _locked(parent):
            if force and _non_empty(target):
                _check_replaceable(directory, target, inputs)
                old = tempfile.mkdtemp(prefix=".planner-old-", dir=parent)
                os.rename(target, os.path.join(old, "previous"))
            try:
                # creates the directory, or replaces an empty one; never a non-empty one
                os.rename(tmp, target)
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST) and old is None:
                    raise RunError(f"{directory} was filled by another process while this run "
                                   "was writing; its files were kept and nothing of this run "
                                   "was written") from None
                raise
        done = True
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            previous = os.path.join(old, "previous")
            if os.path.isdir(previous) and not os.path.exists(target):
                os.rename(previous, target)
        if isinstance(exc, OSError):
            raise RunError(f"could not write the results to {directory}: {_reason(exc)}; "
                           "nothing was written") from None
        raise
    finally:
        # the replaced results are deleted only once the new ones are in place (or put back)
        if old is not None and (done or not os.path.exists(os.path.join(old, "previous"))):
            shutil.rmtree(old, ignore_errors=True)


def check_destination(directory: str, force: bool = False, inputs: tuple[str, ...] = ()) -> str:
    """The absolute path of ``directory`` if results may be written there (InputError if not):
    the checks :func:`atomic_directory` makes first, for commands to make before their work."""
    if not str(directory).strip():
        raise InputError([Problem("--out", None, "", "is empty; give a directory name")])
    target = os.path.abspath(directory)
    _check_target(directory, target)
    if _non_empty(target):
        if not force:
            raise InputError([Problem(directory, None, "", "directory exists and is not empty; "
                                      "use --force to replace it or choose another --out")])
        _check_replaceable(directory, target, inputs)
    return target


def _check_target(directory: str, target: str) -> None:
    """Refuse a target that is a file or lies under one, with the path that is in the way."""
    if os.path.exists(target) and not os.path.isdir(target):
        raise InputError([Problem(directory, None, "", "exists and is not a directory")])
    if _under(os.path.realpath(os.getcwd()), os.path.realpath(target)):
        raise InputError([Problem(directory, None, "", "is the working directory or holds it; "
                                  "results go into a directory of their own: choose another "
                                  "--out")])
    ancestor = os.path.dirname(target)
    while ancestor and not os.path.isdir(ancestor):
        if os.path.lexists(ancestor):
            raise InputError([Problem(directory, None, "", f"'{ancestor}' is a file, so no "
                                      "directory can be made under it; choose another --out")])
        if os.path.dirname(ancestor) == ancestor:
            break
        ancestor = os.path.dirname(ancestor)


def _check_replaceable(directory: str, target: str, inputs: tuple[str, ...]) -> None:
    """--force replaces only an earlier planner output that holds no input of this run."""
    real = os.path.realpath(target)
    for path in inputs:
        if _under(os.path.realpath(path), real):
            raise InputError([Problem(directory, None, "", f"holds the input file {path}; "
                                      "--force never replaces a directory holding an input: "
                                      "move the input or choose another --out")])
    if not os.path.isfile(os.path.join(target, MARKER)):
        raise InputError([Problem(directory, None, "", "is not an earlier planner output (it "
                                  f"has no {MARKER} file); --force replaces only those: empty "
                                  "it yourself or choose another --out")])


def _under(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def _non_empty(target: str) -> bool:
    return os.path.isdir(target) and bool(os.listdir(target))


@contextlib.contextmanager
def _locked(folder: str):
    """An exclusive lock on ``folder`` (flock on its descriptor): one final rename at a time."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
