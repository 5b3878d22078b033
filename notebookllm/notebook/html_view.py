"""The HTML Jupyter shows for :class:`~notebookllm.notebook.results.Results`: a summary line and a head/tail table.

Hand-written rather than ``DataFrame.style`` (which needs jinja2) and escaped cell by cell. Made for real sizes:

- a long run shows its first and last rows with a marked gap between them, never every row;
- a long value is cut to ``cell_chars`` with the whole text one click away (``<details>``);
- a wide schema scrolls inside its own box instead of stretching the notebook;
- failed and blocked rows are marked (class, colour and a sign in the index cell), safety levels are coloured.

Only inline styles and plain elements are used, so the table reads the same in JupyterLab, VS Code, Colab, on
GitHub and in exported HTML. Classes (``notebookllm-failed``, ``notebookllm-blocked``, ``notebookllm-safety-HIGH``,
``notebookllm-gap``) name what each element shows, for CSS and for tests.

Example:
    >>> from notebookllm.notebook.html_view import safety_cell_style
    >>> safety_cell_style("HIGH")
    'background:#f5a3a3;font-weight:bold'
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from .results import SAFETY_COLUMNS, format_usd, is_missing

if TYPE_CHECKING:
    from .results import RunSummary

__all__ = ["results_html", "safety_cell_style"]

_FAILED_ROW = "background:#fdecea"
_BLOCKED_ROW = "background:#fdecea;box-shadow:inset 4px 0 0 #6a1b9a"
_SAFETY_STYLE = {
    "NEGLIGIBLE": "background:#e3f2e1",
    "LOW": "background:#f4f7c8",
    "MEDIUM": "background:#ffe0a3",
    "HIGH": "background:#f5a3a3;font-weight:bold",
}
_ERROR_CELL = "color:#b00020"
_CELL = "text-align:left;vertical-align:top"
_HEAD_CELL = f"{_CELL};position:sticky;top:0;background:var(--jp-layout-color1,#fff)"
# The box the table scrolls in: a wide schema scrolls sideways, a tall page of rows downwards.
_BOX = "overflow:auto;max-width:100%;max-height:42em"
#: The most of one value the expanded ``<details>`` holds; ``.df`` has the rest.
_FULL_CHARS = 20_000


def results_html(summary: RunSummary, df: pd.DataFrame, *, max_rows: int, cell_chars: int) -> str:
    """A summary header and a table of ``df``: every row if there are at most ``max_rows``, else the first and
    last ``max_rows // 2`` with a gap row between them."""
    columns = list(df.columns)
    head = "".join(f"<th style='{_HEAD_CELL}'>{_text(c, cell_chars)}</th>" for c in [df.index.name or "", *columns])
    if len(df) > max_rows:
        shown = [df.head(max_rows - max_rows // 2), df.tail(max_rows // 2)]
        hidden = len(df) - max_rows
        gap = (
            f"<tr class='notebookllm-gap'><td colspan='{len(columns) + 1}' style='text-align:center;color:#666'>"
            f"⋯ {hidden:,} rows not shown ⋯</td></tr>"
        )
        note = (
            f"<p>showing the first {len(shown[0]):,} and last {len(shown[1]):,} of {len(df):,} rows;"
            " <code>.df</code> has them all</p>"
        )
    else:
        shown, gap, note = [df], "", ""
    bodies = ["".join(_row(index, dict(zip(columns, row, strict=True)), cell_chars) for index, row in _rows(part))
              for part in shown]  # fmt: skip
    return (
        f"<div class='notebookllm-results'>{_header(summary)}<div style='{_BOX}'>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{gap.join(bodies)}</tbody></table></div>{note}</div>"
    )


def safety_cell_style(level: Any) -> str:
    """The inline style of a safety cell holding ``level`` (``""`` for no rating or an unknown level)."""
    return _SAFETY_STYLE.get(level, "") if isinstance(level, str) else ""


def _rows(part: pd.DataFrame) -> zip[tuple[Any, tuple[Any, ...]]]:
    return zip(part.index, part.itertuples(index=False, name=None), strict=True)


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
    if s.daily_quota:
        parts.append(f"<span style='{_ERROR_CELL}'>daily quota: {html.escape(s.daily_quota)}</span>")
    if s.requests_today:
        today = ", ".join(f"{html.escape(model)} {n:,}" for model, n in s.requests_today.items())
        parts.append(f"requests today (this store): {today}")
    return f"<p class='notebookllm-summary'>{' · '.join(parts)}</p>"


def _row(index: Any, values: dict[Any, Any], cell_chars: int) -> str:
    if values.get("blocked"):
        kind, row_style, sign = "blocked", _BLOCKED_ROW, "⊘ "
    elif not values.get("success", True):
        kind, row_style, sign = "failed", _FAILED_ROW, "✗ "
    else:
        kind, row_style, sign = "", "", ""
    cells = [f"<th style='{_CELL}'{f' title={kind!r}' if kind else ''}>{sign}{_text(index, cell_chars)}</th>"]
    for name, value in values.items():
        style, cls = _CELL, ""
        if name in SAFETY_COLUMNS and (level := safety_cell_style(value)):
            style += ";" + level
            cls = f" class='notebookllm-safety-{value}'"
        elif name in ("error", "error_type") and not is_missing(value):
            style += ";" + _ERROR_CELL
        elif name == "blocked" and value:
            style += ";" + _ERROR_CELL + ";font-weight:bold"
        cells.append(f"<td{cls} style='{style}'>{_text(value, cell_chars)}</td>")
    row_attrs = f" class='notebookllm-{kind}' style='{row_style}'" if kind else ""
    return f"<tr{row_attrs}>{''.join(cells)}</tr>"


def _text(value: Any, limit: int) -> str:
    """``value`` escaped; past ``limit`` characters, cut with the whole text in a ``<details>`` below the cut."""
    text = "" if is_missing(value) else str(value)
    if len(text) <= limit:
        return html.escape(text)
    full = html.escape(text[:_FULL_CHARS])
    if len(text) > _FULL_CHARS:
        full += f"<i> … {len(text) - _FULL_CHARS:,} more characters in <code>.df</code></i>"
    return (
        f"<details class='notebookllm-long'><summary>{html.escape(text[: limit - 1])}… "
        f"<i>({len(text):,} chars)</i></summary><div style='white-space:pre-wrap'>{full}</div></details>"
    )
