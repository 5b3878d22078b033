"""What the store's past replies say about a model: output tokens and latency of its recent successful replies.

``nl.estimate`` reads it to expect output tokens and wall time before a run.

Example:
    >>> import sqlite3
    >>> from notebookllm.store.migrations import upgrade
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> _ = upgrade(conn)
    >>> recent_replies(conn, "gemini-2.5-flash", limit=10)
    []
"""

from __future__ import annotations

import json
import sqlite3

__all__ = ["recent_replies"]

_SQL = (
    "SELECT token_usage, latency_s FROM responses "
    "WHERE success = 1 AND json_extract(metadata, '$.model') = ? ORDER BY created_at DESC LIMIT ?"
)


def recent_replies(conn: sqlite3.Connection, model: str, *, limit: int) -> list[tuple[int, float | None]]:
    """``(output + thinking tokens, latency in seconds)`` of the ``limit`` latest successful replies of ``model``."""
    rows = []
    for usage, latency in conn.execute(_SQL, (model, limit)):
        tokens = json.loads(usage)
        rows.append((int(tokens.get("output_tokens", 0)) + int(tokens.get("thoughts_tokens", 0)), latency))
    return rows
