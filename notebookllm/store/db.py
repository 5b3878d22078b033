"""The SQLite connections behind a store: a file in WAL mode, and a memory database for what the file refuses.

One :class:`Database` holds one file connection, shared by the writer thread and readers under a lock (SQLite
serialises the writes of one connection anyway). WAL mode lets a second process read while this one writes.

When the file refuses a write — locked past the busy timeout by another kernel, the batch CLI, a DB browser or a
backup tool; a read-only or full disk; the folder deleted under a live kernel — the store is *degraded*, not given
up: the rows go to a memory database (readable at once) and to a backlog, a :class:`StoreWarning` says so, and
every later write tries the file again first, backlog included. Once the file takes them the store is healthy
again and nothing was lost. What the file already holds stays readable throughout (reads merge file and memory),
through a read-only connection when the file cannot be opened for writing at all (a read-only folder or mount).
Only a file that can never be used — not a database, or written by a newer notebookllm — keeps the store in
memory for the session; it is left untouched.

Example:
    >>> db = Database(None)           # memory only
    >>> db.run(lambda conn: conn.execute("SELECT count(*) FROM responses").fetchone()[0])
    0
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..core.redaction import get_logger
from .migrations import NewerSchemaError, schema_version, upgrade

__all__ = ["Database", "Statement", "StoreWarning"]

T = TypeVar("T")
Statement = tuple[str, tuple[Any, ...]]

_log = get_logger(__name__)

# The failures of the *file* (I/O, locks, corruption). Programming errors (bad SQL, wrong parameters) and
# integrity errors stay exceptions: falling back would only hide a bug.
_FILE_ERRORS = (sqlite3.OperationalError, sqlite3.DatabaseError)
# A file with these is unusable for the whole session; anything else (a lock, a full disk) may pass.
_PERMANENT = ("file is not a database", "malformed")


def _is_file_error(exc: BaseException) -> bool:
    return type(exc) in _FILE_ERRORS or isinstance(exc, (OSError, NewerSchemaError))


class StoreWarning(UserWarning):
    """The store's file could not take some results; they are kept in memory until it can."""


class Database:
    """A file connection, with a memory database and a backlog for the writes the file refuses.

    Args:
        path: the SQLite file (its folder is created), or ``None`` for memory only.
        timeout: seconds to wait for another connection's lock before treating a write as refused.
    """

    def __init__(self, path: Path | None, *, timeout: float = 5.0) -> None:
        self.path = path
        self.fallback_reason: str | None = None
        self._timeout = timeout
        self._lock = threading.RLock()
        self._permanent = path is None
        self._file: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._file_id: tuple[int, int] | None = None
        self._memory = _connect_memory()
        self._backlog: list[Statement] = []
        if path is not None:
            with self._lock:
                self._usable_file()

    @property
    def in_memory(self) -> bool:
        """Whether new rows live in memory only right now (no path, or the file refused the last write)."""
        return self.path is None or self.fallback_reason is not None

    @property
    def degraded(self) -> bool:
        """Whether this store has a file that is not taking its rows (see :attr:`fallback_reason`)."""
        return self.path is not None and self.fallback_reason is not None

    @property
    def backlog(self) -> int:
        """Rows held in memory until the file takes them."""
        return len(self._backlog)

    @property
    def schema_version(self) -> int:
        return self.run(schema_version)

    def write(self, statements: Sequence[Statement]) -> list[BaseException]:
        """Apply ``statements`` (and any backlog) in one transaction on the file, else keep them in memory.

        A statement that cannot be applied at all (a value SQLite cannot bind) is skipped alone, never taking
        its transaction with it; the errors of the skipped ones are returned.
        """
        with self._lock:
            conn = self._usable_file()
            if conn is not None:
                pending = [*self._backlog, *statements]
                try:
                    skipped = _apply(conn, pending)
                except _FILE_ERRORS as exc:
                    if not _is_file_error(exc):
                        raise
                    self._degrade(exc)
                else:
                    self._recovered(len(self._backlog))
                    return skipped
            if not self._permanent:
                self._backlog.extend(statements)
            return _apply(self._memory, statements)

    def retry(self, busy_timeout_s: float = 0.2) -> bool:
        """Try the file again now (the start of a run does), waiting at most ``busy_timeout_s`` for a lock.

        Returns whether the store is healthy afterwards.
        """
        with self._lock:
            if not self.degraded or self._permanent:
                return not self.degraded
            conn = self._usable_file()
            if conn is not None:
                conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
                try:
                    self.write(())
                finally:
                    conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            return not self.degraded

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> list[T]:
        """``fn`` on the file (when it can be read) and on the memory database, in that order."""
        with self._lock:
            found = []
            conn = self._usable_file()
            if conn is not None:
                try:
                    found.append(fn(conn))
                except _FILE_ERRORS as exc:
                    if not _is_file_error(exc):
                        raise
                    self._degrade(exc)
            elif (reader := self._read_only_file()) is not None:
                with contextlib.suppress(*_FILE_ERRORS):  # an old schema or a vanished file: nothing to serve
                    found.append(fn(reader))
            found.append(fn(self._memory))
            return found

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` under the lock on the file; if the file fails, on the memory database.

        ``fn`` must be safe to run twice (a transaction it opened on the failed file is rolled back first).
        """
        with self._lock:
            conn = self._usable_file()
            if conn is not None:
                try:
                    return fn(conn)
                except _FILE_ERRORS as exc:
                    if not _is_file_error(exc):
                        raise
                    _rollback(conn)
                    self._degrade(exc)
            return fn(self._memory)

    def close(self) -> None:
        with self._lock:
            for conn in (self._file, self._reader):
                if conn is not None:
                    conn.close()
            self._file = self._reader = None
            self._memory.close()

    def _read_only_file(self) -> sqlite3.Connection | None:
        """A read-only connection to a file that cannot be opened for writing, so what it holds is still served."""
        if self._permanent or self.path is None or not self.path.exists():
            return None
        if self._reader is None:
            self._reader = _connect_read_only(self.path, self._timeout)
        return self._reader

    def _usable_file(self) -> sqlite3.Connection | None:
        """The file connection, (re)opened when needed; ``None`` if the file cannot be used now."""
        if self._permanent:
            return None
        assert self.path is not None
        if self._file is not None and _identity(self.path) != self._file_id:
            # Deleted or replaced under us (``rm -r .notebookllm`` in a live kernel): writing on would go nowhere.
            self._file.close()
            self._file = None
            self._warn(f"the file {self.path} was deleted or replaced; a new one is started")
        if self._file is None:
            try:
                self._file = self._connect_file(self.path)
            except Exception as exc:
                if not _is_file_error(exc):
                    raise
                permanent = isinstance(exc, NewerSchemaError) or any(p in str(exc) for p in _PERMANENT)
                self._degrade(exc, permanent=permanent)
                return None
            self._file_id = _identity(self.path)
            if self._reader is not None:  # writable again: one connection serves both
                self._reader.close()
                self._reader = None
        return self._file

    def _connect_file(self, path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        try:
            mode = _switch_to_wal(conn, self._timeout)
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch to WAL mode (journal_mode={mode})")
            # NORMAL in WAL mode: a commit survives a killed process (only an OS crash can lose the last ones).
            conn.execute("PRAGMA synchronous=NORMAL")
            upgrade(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _degrade(self, exc: BaseException, *, permanent: bool = False) -> None:
        if self._file is not None and permanent:
            self._file.close()
            self._file = None
        self._permanent = self._permanent or permanent
        reason = f"{type(exc).__name__}: {exc}"
        if reason != self.fallback_reason:  # once per new problem; runs warn again while it lasts
            self.fallback_reason = reason
            self._warn(None)

    def _recovered(self, rows: int) -> None:
        if self.fallback_reason is None:
            return
        self.fallback_reason = None
        self._backlog.clear()
        # Everything in memory is on the file now, which is the one to read from again.
        self._memory.close()
        self._memory = _connect_memory()
        _log.warning(
            "notebookllm store %s is writable again; the %d writes held in memory are on it now", self.path, rows
        )

    def warning_text(self) -> str | None:
        """What a run should tell the user while the store is degraded, else ``None``."""
        if not self.degraded:
            return None
        held = f"{self.backlog:,} writes held in memory" if self.backlog else "new results kept in memory"
        retry = "" if self._permanent else "; the file is tried again at every write"
        return f"store {self.path} is not taking results ({self.fallback_reason}): {held}{retry}"

    def _warn(self, detail: str | None) -> None:
        if detail is None:
            advice = (
                "If the file is damaged, move it away to start a fresh store."
                if self._permanent
                else "The file is tried again at every write; close the process that holds it (or free space, or "
                "make it writable) to let them through."
            )
            detail = (
                f"notebookllm store {self.path} cannot be used ({self.fallback_reason}). Results are kept in memory "
                f"only for now and would not survive a restart. {advice}"
            )
        warnings.warn(detail, StoreWarning, stacklevel=5)


def _switch_to_wal(conn: sqlite3.Connection, timeout: float) -> str:
    """``PRAGMA journal_mode=WAL``, waiting up to ``timeout`` for a lock: SQLite answers "database is locked" at
    once, without its busy handler, when another process is switching the same new file at the same moment."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _connect_read_only(path: Path, timeout: float) -> sqlite3.Connection | None:
    """The file opened read-only, or ``None``. In a read-only folder SQLite cannot create a WAL file's shared
    memory, so ``mode=ro`` fails there; ``immutable=1`` reads it anyway (nobody can be writing it)."""
    for flag in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{path.absolute().as_uri()}?{flag}", uri=True, timeout=timeout, check_same_thread=False
            )
        except _FILE_ERRORS:
            continue
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except _FILE_ERRORS:
            conn.close()
            continue
        return conn
    return None


def _connect_memory() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    upgrade(conn)
    return conn


def _rollback(conn: sqlite3.Connection) -> None:
    # The file is failing anyway: a transaction that cannot be rolled back is dropped with the statement.
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _apply(conn: sqlite3.Connection, statements: Sequence[Statement]) -> list[BaseException]:
    """Run ``statements`` in one transaction, grouped by SQL; skip (and return the errors of) rows SQLite refuses.

    File errors roll the transaction back and propagate: the caller keeps the rows elsewhere.
    """
    if not statements:
        return []
    skipped: list[BaseException] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for sql, group in itertools.groupby(statements, key=lambda s: s[0]):
            rows = [params for _, params in group]
            conn.execute("SAVEPOINT nl_group")
            try:
                conn.executemany(sql, rows)
            except (ValueError, TypeError, OverflowError, sqlite3.Error) as exc:
                if _is_file_error(exc):
                    raise
                conn.execute("ROLLBACK TO nl_group")  # the rows before the bad one, applied again singly below
                skipped.extend(_one_by_one(conn, sql, rows))
            conn.execute("RELEASE nl_group")
    except BaseException:
        _rollback(conn)
        raise
    conn.execute("COMMIT")
    return skipped


def _one_by_one(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> list[BaseException]:
    """A group one of whose rows SQLite refused: apply the rows singly, skipping (and returning) the refused ones."""
    skipped: list[BaseException] = []
    for params in rows:
        try:
            conn.execute(sql, params)
        except (ValueError, TypeError, OverflowError, sqlite3.Error) as exc:
            if _is_file_error(exc):
                raise
            skipped.append(exc)
    return skipped
