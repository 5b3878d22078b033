"""Grouped commits from one background thread.

Callers (the event loop) only put statements on a queue, which never blocks. The writer thread takes everything
queued, and what else arrives within :data:`_LINGER_S` of the first statement, runs it in one transaction and
commits, then starts over: under load a commit carries hundreds of rows, and a run whose replies trickle in (a
hundred a second) still commits a few per transaction, where one transaction per row cost about 200 µs of CPU a
row against 50 µs for ten. A flush commits at once. What a hard kill can lose is therefore what arrived during
the linger and one commit (tens of milliseconds), far below the one-second budget.

Example:
    >>> from notebookllm.store.db import Database
    >>> w = Writer(Database(None))
    >>> w.submit("INSERT INTO runs VALUES (?, ?, ?, ?, ?)", ("r", None, 0, 0.0, 0.0))
    >>> w.flush().result()
"""

from __future__ import annotations

import atexit
import queue
import threading
import weakref
from concurrent.futures import Future
from typing import Any

from ..core.redaction import get_logger
from .db import Database, Statement

__all__ = ["Writer"]

_log = get_logger(__name__)

_STOP = object()
_MAX_BATCH = 5000  # rows per transaction: bounds a commit's latency under a flood of results
_LINGER_S = 0.025  # how long a commit waits for more rows after its first

_live_writers: weakref.WeakSet[Writer] = weakref.WeakSet()


class Writer:
    """Applies queued statements to a :class:`Database` in grouped transactions, on its own thread."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._urgent = threading.Event()  # a flush or a stop is queued: commit without lingering
        self.committed = 0  # statements committed so far (for reports and tests)

    def submit(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue one statement; it is committed with whatever else is queued. Never blocks."""
        self._ensure_started()
        self._queue.put((sql, params))

    def flush(self) -> Future[None]:
        """A future that completes once everything queued before this call is committed."""
        done: Future[None] = Future()
        self._ensure_started()
        self._queue.put(done)
        self._urgent.set()
        return done

    def close(self) -> None:
        """Commit what is queued and stop the thread (a later :meth:`submit` starts a new one)."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            self._urgent.set()
            thread.join()

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="notebookllm-store-writer", daemon=True)
                self._thread.start()
                _live_writers.add(self)

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            if isinstance(batch[0], tuple):
                # Linger on an event, not on the queue: waiting on the queue woke this thread for every row, a
                # thread switch and a GIL hand-over per row taken from the event loop. A flush or a stop sets it.
                self._urgent.wait(_LINGER_S)
            self._urgent.clear()
            while len(batch) < _MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            else:  # a full transaction: more is queued, maybe a flush behind it, so the next one does not linger
                self._urgent.set()
            statements = [op for op in batch if isinstance(op, tuple)]
            error = self._commit(statements) if statements else None
            for op in batch:
                if isinstance(op, Future):
                    op.set_exception(error) if error else op.set_result(None)
            if any(op is _STOP for op in batch):
                return

    def _commit(self, statements: list[Statement]) -> BaseException | None:
        try:
            skipped = self._db.write(statements)  # kept in memory (and retried next time) if the file refuses them
        except Exception as exc:  # a bug, not a file failure: report it, keep the thread alive for later rows
            _log.exception("notebookllm store: could not write %d rows", len(statements))
            return exc
        for error in skipped:
            _log.warning("notebookllm store: one row could not be stored (its result is still returned): %r", error)
        self.committed += len(statements) - len(skipped)
        return None


@atexit.register
def _flush_all_at_exit() -> None:
    """A notebook or script that never closed its session still gets its queued results written."""
    for writer in list(_live_writers):
        writer.close()
