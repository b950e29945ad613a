"""HTML building blocks of the report: escaping, sortable tables, inline figures."""
from __future__ import annotations

import base64
import html
import math

import pandas as pd

from planner.output.tables import _cell
from planner.report import findings
from planner.report.figures import Figure

# Column kinds: how a value is shown; data-v always holds the raw number for sorting.
PCT, NUM, TEXT = "pct", "num", "text"


def esc(value: object) -> str:
    """``value`` as HTML text (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def _td(value: object, kind: str) -> str:
    if kind == TEXT:
        return f"<td>{esc('' if findings.is_missing(value) else value)}</td>"
    number = float(value) if value is not None else math.nan
    if math.isnan(number):
        return '<td class="num" data-v="">-</td>'
    shown = f"{number:.0%}" if kind == PCT else _cell(number)
    return f'<td class="num" data-v="{number!r}">{esc(shown)}</td>'


def table(frame: pd.DataFrame, kinds: dict[str, str], caption: str = "",
          muted: pd.Series | None = None) -> str:
    """A sortable table; ``kinds`` maps column -> pct/num/text (default: by dtype); rows
    where ``muted`` is True are greyed out (e.g. quarters without demand)."""
    def kind(column):
        if column in kinds:
            return kinds[column]
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        return NUM if numeric and not pd.api.types.is_bool_dtype(frame[column]) else TEXT

    columns = list(frame.columns)
    kinds = {c: kind(c) for c in columns}
    head = "".join(f"<th scope=\"col\">{esc(c)}</th>" for c in columns)
    grey = [False] * len(frame) if muted is None else list(muted)
    body = "\n".join(("<tr class=\"muted\">" if g else "<tr>")
                     + "".join(_td(v, kinds[c]) for c, v in zip(columns, row)) + "</tr>"
                     for row, g in zip(frame.itertuples(index=False), grey))
    cap = f"<caption class=\"note\">{esc(caption)}</caption>" if caption else ""
    return (f'<div class="scroll"><table class="sortable">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>\n{body}\n</tbody></table></div>")


def figure_html(f: Figure) -> str:
    """One figure: its PNG inline, its title and caption (escaped)."""
    data = base64.b64encode(f.png).decode("ascii")
    return (f'<figure id="fig-{esc(f.name)}"><h3>{esc(f.title)}</h3>'
            f'<img alt="{esc(f.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(f.caption)} (Also in plots/{esc(f.name)}.png and "
            f".svg.)</figcaption></figure>")
