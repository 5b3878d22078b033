"""Keeping a store in shape: how big it is, and removing old replies.

Example:
    >>> print(store.size_report())                 # doctest: +SKIP
    .notebookllm/store.sqlite: 12,034 replies (3 failed) from 5 runs, 18.2 MB, schema v3
    >>> store.clear(older_than=timedelta(days=30))  # doctest: +SKIP
    5210
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

__all__ = ["SizeReport", "clear_older_than", "cutoff", "size_report"]


@dataclass(frozen=True, slots=True)
class SizeReport:
    """What a store holds.

    Attributes:
        path: the file (``None`` in memory).
        in_memory: rows live in memory only (no path, or the file failed: see ``Store.fallback_reason``).
        bytes_on_disk: the file plus its WAL.
        replies / failed_replies: stored replies, and how many of those are failures (``cache_failures=True``).
        runs: runs recorded.
        saved_cost_usd: the cost of the stored replies, i.e. what a full rerun from the store saves.
        oldest / newest: creation times of the oldest and newest reply (epoch seconds), ``None`` when empty.
        schema_version: the file's schema version.
    """

    path: Path | None
    in_memory: bool
    bytes_on_disk: int
    replies: int
    failed_replies: int
    runs: int
    saved_cost_usd: float
    oldest: float | None
    newest: float | None
    schema_version: int

    def __str__(self) -> str:
        where = "memory" if self.path is None else str(self.path) + (" (memory fallback)" if self.in_memory else "")
        return (
            f"{where}: {_count(self.replies, 'reply', 'replies')} ({self.failed_replies:,} failed) "
            f"from {_count(self.runs, 'run', 'runs')}, "
            f"{self.bytes_on_disk / 1e6:.1f} MB, ${self.saved_cost_usd:.4f} stored, schema v{self.schema_version}"
        )


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def size_report(conn: sqlite3.Connection, *, path: Path | None, in_memory: bool) -> SizeReport:
    """The :class:`SizeReport` of the store behind ``conn``."""
    replies, failed, cost, oldest, newest = conn.execute(
        "SELECT count(*), coalesce(sum(success = 0), 0), coalesce(sum(cost_usd), 0.0), min(created_at), "
        "max(created_at) FROM responses"
    ).fetchone()
    runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    files = [] if in_memory or path is None else [path, path.with_name(path.name + "-wal")]
    size = sum(f.stat().st_size for f in files if f.exists())
    return SizeReport(path, in_memory, size, replies, failed, runs, float(cost), oldest, newest, version)


def cutoff(older_than: timedelta | float | None, now: float) -> float | None:
    """The creation time before which rows go; ``None`` means everything. ``older_than`` is a timedelta or seconds."""
    if older_than is None:
        return None
    seconds = older_than.total_seconds() if isinstance(older_than, timedelta) else float(older_than)
    if seconds < 0:
        raise ValueError(f"older_than must not be negative, got {older_than!r}")
    return now - seconds


def clear_older_than(conn: sqlite3.Connection, before: float | None) -> int:
    """Delete replies created before ``before`` (everything when ``None``) and runs not updated since; return the
    number of replies removed. Reclaims the space of a full clear at once (``VACUUM``)."""
    bound = float("inf") if before is None else before
    conn.execute("BEGIN IMMEDIATE")
    try:
        removed = conn.execute("DELETE FROM responses WHERE created_at < ?", (bound,)).rowcount
        conn.execute("DELETE FROM runs WHERE updated_at < ?", (bound,))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if before is None:
        conn.execute("VACUUM")
    return removed
