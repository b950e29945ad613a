"""Stage-by-stage progress on stderr (tqdm) for the long commands; never on stdout.

Shown only when stderr is a terminal (so pipes, CI logs and ``--json`` stay clean) and not
``quiet``. Use as ``with stages("solver"): ...``.
"""
from __future__ import annotations

import contextlib
import sys


class Stages:
    """A bar that counts named stages: ``loading [1/4] 0.3s``."""

    def __init__(self, total: int, quiet: bool = False, stream=None):
        from tqdm import tqdm

        stream = stream if stream is not None else sys.stderr
        self.bar = tqdm(total=total, file=stream, leave=False, dynamic_ncols=True,
                        disable=True if quiet else None,  # None: off unless a terminal
                        bar_format="{desc} [{n_fmt}/{total_fmt}] {elapsed}")

    @contextlib.contextmanager
    def __call__(self, name: str):
        self.bar.set_description_str(name)
        try:
            yield
        finally:
            self.bar.update(1)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
