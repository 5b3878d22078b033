"""Two-column reports (a label and a value per line) as aligned text and as an HTML table.

Used by the summaries that show a handful of figures: ``RunSummary``, ``Estimate``, ``Significance``.

>>> print(key_value_text([("rows", "12"), ("cost", "$0.01")]))
rows  12
cost  $0.01
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["key_value_html", "key_value_text"]


def key_value_text(lines: Sequence[tuple[str, str]]) -> str:
    """The lines with their labels padded to one width."""
    width = max((len(k) for k, _ in lines), default=0)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in lines)


def key_value_html(lines: Sequence[tuple[str, str]], css_class: str | None = None) -> str:
    """The lines as an HTML table, labels in header cells, everything escaped."""
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in lines)  # fmt: skip
    return f"<table class='{css_class}'>{body}</table>" if css_class else f"<table>{body}</table>"
