"""Atomic result directories: written to a temporary sibling, renamed into place at the end."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

from planner.errors import InputError, Problem, RunError


@contextlib.contextmanager
def atomic_directory(directory: str, force: bool = False):
    """Yield a temporary directory that replaces ``directory`` only if the block succeeds.

    An existing non-empty ``directory`` is refused unless ``force``; on any failure
    (an error while writing, a full disk, Ctrl-C) the temporary directory is removed, a
    replaced directory is put back, and nothing is left behind. A write error (OSError)
    becomes a RunError naming the directory; other exceptions pass through unchanged.
    """
    target = os.path.abspath(directory)
    if os.path.exists(target) and not os.path.isdir(target):
        raise InputError([Problem(directory, None, "", "exists and is not a directory")])
    if os.path.isdir(target) and os.listdir(target) and not force:
        raise InputError([Problem(directory, None, "", "directory exists and is not empty; "
                                  "use --force to replace it or choose another --out")])
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
        if os.path.isdir(target):
            old = tempfile.mkdtemp(prefix=".planner-old-", dir=parent)
            os.rename(target, os.path.join(old, "previous"))
        os.rename(tmp, target)
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


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
