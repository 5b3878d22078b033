"""What the store's past replies say: output tokens and latency of a model's recent successful replies (``nl.estimate``
reads them to expect output tokens and wall time before a run), and how many requests each model answered since a
time (the summary's "requests today").

Example:
    >>> import sqlite3
    >>> from notebookllm.store.migrations import upgrade
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> _ = upgrade(conn)
    >>> recent_replies(conn, "gemini-2.5-flash", limit=10)
    []
    >>> answered_since(conn, 0.0)
    {}
    >>> versions_of(conn, "gemini-flash-latest")
    {}
"""

from __future__ import annotations

import json
import sqlite3

__all__ = ["answered_since", "recent_replies", "versions_of"]

# Rows a batch job answered are left out: the Batch API has quotas of its own, apart from the online per-day ones.
# A range on the created_at index, then one row lookup each: cheap for a day's rows however large the store (named,
# or SQLite would walk the whole model index for the GROUP BY).
_ANSWERED_SQL = (
    "SELECT model, count(*) FROM responses INDEXED BY responses_created_at "
    "WHERE created_at >= ? AND model IS NOT NULL AND json_extract(metadata, '$.batch') IS NULL "
    "GROUP BY model ORDER BY model"
)
# Covered by the responses_model_version index.
_VERSIONS_SQL = (
    "SELECT model_version, count(*) FROM responses "
    "WHERE model = ? AND model_version IS NOT NULL GROUP BY model_version ORDER BY model_version"
)
# Newest first along the created_at index, stopping at the limit (rather than sorting every row of the model).
_SQL = (
    "SELECT token_usage, latency_s FROM responses INDEXED BY responses_created_at "
    "WHERE success = 1 AND model = ? ORDER BY created_at DESC LIMIT ?"
)


def recent_replies(conn: sqlite3.Connection, model: str, *, limit: int) -> list[tuple[int, float | None]]:
    """``(output + thinking tokens, latency in seconds)`` of the ``limit`` latest successful replies of ``model``."""
    rows = []
    for usage, latency in conn.execute(_SQL, (model, limit)):
        tokens = json.loads(usage)
        rows.append((int(tokens.get("output_tokens", 0)) + int(tokens.get("thoughts_tokens", 0)), latency))
    return rows


def answered_since(conn: sqlite3.Connection, since: float) -> dict[str, int]:
    """Model → online requests it answered that were stored at or after ``since`` (epoch seconds)."""
    return {model: count for model, count in conn.execute(_ANSWERED_SQL, (since,))}


def versions_of(conn: sqlite3.Connection, model: str) -> dict[str, int]:
    """Model version → stored replies to requests for ``model`` (an alias may have several over time)."""
    return {version: count for version, count in conn.execute(_VERSIONS_SQL, (model,))}
