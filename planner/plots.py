"""Plots (matplotlib, PNG or SVG by file extension), written atomically."""
from __future__ import annotations

import os
import tempfile

import pandas as pd


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str) -> None:
    """Save ``fig`` to ``path`` via a temporary file renamed into place."""
    directory = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1] or ".png"
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=directory)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", metadata={"Software": None}
                    if suffix == ".png" else {"Date": None})
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def plot_pareto(frames: dict[str, pd.DataFrame], model: str, quarter: str, path: str) -> None:
    """Cost per M output tokens versus tokens/s per user, one line per system, log axes."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for system, frame in frames.items():
        ax.plot(frame["output_tokens_per_s_per_user"], frame["usd_per_m_output"], marker="o",
                markersize=3, label=system)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("output tokens/s per user")
    ax.set_ylabel("$ per M output tokens")
    ax.set_title(f"{model}: cost versus speed, {quarter}")
    ax.grid(True, which="both", alpha=0.3)
    if frames:
        ax.legend(fontsize=8)
    save(fig, path)
    plt.close(fig)
