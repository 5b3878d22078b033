"""The SQLite connection behind a store: a file in WAL mode, or memory after a failure.

One :class:`Database` holds one connection, shared by the writer thread and readers under a lock (SQLite
serialises the writes of one connection anyway, and one connection is what makes the in-memory fallback see its
own rows). WAL mode lets a second process read while this one writes.

When the file cannot be used — not a database, malformed, locked past the busy timeout, on a read-only or full
disk, or written by a newer notebookllm — the store warns once (:class:`StoreWarning`) and carries on in memory,
so the results of the running session are never lost; only their durability is.

Example:
    >>> db = Database(None)           # memory only
    >>> db.run(lambda conn: conn.execute("SELECT count(*) FROM responses").fetchone()[0])
    0
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .migrations import NewerSchemaError, schema_version, upgrade

__all__ = ["Database", "StoreWarning"]

T = TypeVar("T")

# The failures of the *file* (I/O, locks, corruption). Programming errors (bad SQL, wrong parameters) and
# integrity errors stay exceptions: falling back would only hide a bug.
_FILE_ERRORS = (sqlite3.OperationalError, sqlite3.DatabaseError)


def _is_file_error(exc: BaseException) -> bool:
    return type(exc) in _FILE_ERRORS


class StoreWarning(UserWarning):
    """The store's file could not be used; results are kept in memory for this session only."""


class Database:
    """A connection that falls back to memory (with a :class:`StoreWarning`) when its file fails.

    Args:
        path: the SQLite file (its folder is created), or ``None`` for memory only.
        timeout: seconds to wait for another connection's lock before giving up on the file.
    """

    def __init__(self, path: Path | None, *, timeout: float = 5.0) -> None:
        self.path = path
        self.fallback_reason: str | None = None
        self._lock = threading.RLock()
        self._conn = self._connect_memory() if path is None else self._connect_file_or_memory(path, timeout)

    @property
    def in_memory(self) -> bool:
        """Whether rows live in memory only (no path, or the file failed)."""
        return self.path is None or self.fallback_reason is not None

    @property
    def schema_version(self) -> int:
        return self.run(schema_version)

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` under the lock. If the file fails, fall back to memory and run ``fn`` there.

        ``fn`` must be safe to run twice (a transaction it opened on the failed file is rolled back first).
        """
        with self._lock:
            try:
                return fn(self._conn)
            except _FILE_ERRORS as exc:
                if self.in_memory or not _is_file_error(exc):
                    raise
                self._fall_back(exc)
                return fn(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _connect_file_or_memory(self, path: Path, timeout: float) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            return self._fall_back_at_open(exc)
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch to WAL mode (journal_mode={mode})")
            # NORMAL in WAL mode: a commit survives a killed process (only an OS crash can lose the last ones).
            conn.execute("PRAGMA synchronous=NORMAL")
            upgrade(conn)
        except (NewerSchemaError, *_FILE_ERRORS) as exc:
            if not (isinstance(exc, NewerSchemaError) or _is_file_error(exc)):
                raise
            conn.close()
            return self._fall_back_at_open(exc)
        return conn

    @staticmethod
    def _connect_memory() -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        upgrade(conn)
        return conn

    def _fall_back_at_open(self, exc: BaseException) -> sqlite3.Connection:
        self._warn(exc)
        return self._connect_memory()

    def _fall_back(self, exc: BaseException) -> None:
        # The file is failing anyway: an open transaction that cannot be rolled back dies with the connection.
        with contextlib.suppress(sqlite3.Error):
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        self._conn.close()
        self._warn(exc)
        self._conn = self._connect_memory()

    def _warn(self, exc: BaseException) -> None:
        self.fallback_reason = f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"notebookllm store {self.path} cannot be used ({self.fallback_reason}). Results of this session are "
            "kept in memory only and will not survive a restart. If the file is damaged, move it away to start a "
            "fresh store; if another process holds it locked, close that process.",
            StoreWarning,
            stacklevel=4,
        )
