"""The HTML Jupyter shows for :class:`~notebookllm.notebook.results.Results`: a summary line and the first rows.

Hand-written rather than ``DataFrame.style`` (which needs jinja2) and escaped cell by cell. Failed rows and
MEDIUM/HIGH safety ratings stand out; every value is shortened so a long output cannot flood the notebook.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from .results import SAFETY_COLUMNS, format_usd, is_missing

if TYPE_CHECKING:
    from .results import RunSummary

__all__ = ["results_html"]

_FAILED_ROW = "background:#fdecea"
_SAFETY_STYLE = {"MEDIUM": "background:#ffe0a3", "HIGH": "background:#f5a3a3;font-weight:bold"}
_ERROR_CELL = "color:#b00020"
_CELL = "text-align:left;vertical-align:top"


def results_html(summary: RunSummary, df: pd.DataFrame, *, max_rows: int, cell_chars: int) -> str:
    """A summary header and a table of the first ``max_rows`` rows of ``df``."""
    shown = df.head(max_rows)
    head = "".join(f"<th style='{_CELL}'>{_text(c, cell_chars)}</th>" for c in [df.index.name or "", *df.columns])
    columns = list(df.columns)
    rows = zip(shown.index, shown.itertuples(index=False, name=None), strict=True)
    body = "".join(_row(index, dict(zip(columns, row, strict=True)), cell_chars) for index, row in rows)
    more = (
        f"<p>showing {len(shown):,} of {len(df):,} rows; <code>.df</code> has them all</p>"
        if len(df) > len(shown)
        else ""
    )
    return (
        f"<div class='notebookllm-results'>{_header(summary)}"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>"
    )


def _header(s: RunSummary) -> str:
    parts = [f"<b>{s.total:,} rows</b>", f"{s.succeeded:,} succeeded"]
    if s.failed:
        parts.append(f"<span style='{_ERROR_CELL};font-weight:bold'>{s.failed:,} failed</span>")
    if s.blocked:
        parts.append(f"<span style='{_ERROR_CELL}'>{s.blocked:,} blocked</span>")
    if s.from_cache:
        parts.append(f"{s.from_cache:,} from cache")
    parts.append(f"tokens {s.input_tokens:,} in / {s.output_tokens:,} out / {s.cached_tokens:,} cached")
    if s.cost_usd is not None:
        parts.append(f"cost {format_usd(s.cost_usd)}")
    if s.interrupted:
        parts.append(f"<span style='{_ERROR_CELL};font-weight:bold'>interrupted</span>")
    return f"<p>{' · '.join(parts)}</p>"


def _row(index: Any, values: dict[Any, Any], cell_chars: int) -> str:
    failed = not values.get("success", True)
    cells = [f"<th style='{_CELL}'>{_text(index, cell_chars)}</th>"]
    for name, value in values.items():
        style = _CELL
        if name in SAFETY_COLUMNS and value in _SAFETY_STYLE:
            style += ";" + _SAFETY_STYLE[value]
        elif name in ("error", "error_type") and not is_missing(value):
            style += ";" + _ERROR_CELL
        elif name == "blocked" and value:
            style += ";" + _ERROR_CELL + ";font-weight:bold"
        cells.append(f"<td style='{style}'>{_text(value, cell_chars)}</td>")
    row_style = f" style='{_FAILED_ROW}'" if failed else ""
    return f"<tr{row_style}>{''.join(cells)}</tr>"


def _text(value: Any, limit: int) -> str:
    text = "" if is_missing(value) else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text)
