"""Atomic result directories: written to a temporary sibling, renamed into place at the end."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

from planner.errors import InputError, Problem


@contextlib.contextmanager
def atomic_directory(directory: str, force: bool = False):
    """Yield a temporary directory that replaces ``directory`` only if the block succeeds.

    An existing non-empty ``directory`` is refused unless ``force``; on any failure
    (including Ctrl-C) the temporary directory is removed and nothing is left behind.
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
    except OSError as exc:
        raise InputError([Problem(directory, None, "", f"cannot write here: {exc.strerror}")]) from None
    try:
        yield tmp
        if os.path.isdir(target):
            old = tempfile.mkdtemp(prefix=".planner-old-", dir=parent)
            os.rename(target, os.path.join(old, "previous"))
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
