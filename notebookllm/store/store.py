"""The store of a project folder: one SQLite file holding the response cache and run checkpoints.

Example:
    >>> store = Store.open()                       # <cwd>/.notebookllm/store.sqlite  # doctest: +SKIP
    >>> session = store.begin_run(items, run_name="reviews")                    # doctest: +SKIP
    >>> len(session.finished), len(session.pending)                             # doctest: +SKIP
    (180, 20)
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from ..core.errors import InvalidWorkItemError
from ..core.results import WorkItemResult
from ..core.work_item import LLMWorkItem
from ..quota_day import quota_day_start
from . import claims, history, hygiene, limits, records
from .checkpoints import item_key, run_identity
from .db import Database, StoreWarning
from .session import CacheMode, RunSession, _Claims
from .writer import Writer

__all__ = ["DEFAULT_PATH", "Store"]

DEFAULT_PATH = Path(".notebookllm") / "store.sqlite"
"""Where :meth:`Store.open` puts the store, relative to the working directory (the notebook's folder)."""


class Store:
    """The response cache and run checkpoints of one SQLite file.

    Use :meth:`open`: it returns the one open store of a file within a process, so that repeated runs from a
    notebook share its connection and writer thread. Writes go through a background thread in grouped commits;
    reads are bulk lookups. A second process may read the file at the same time (WAL mode).
    """

    _open_stores: ClassVar[dict[Path, Store]] = {}
    _open_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path | None, *, timeout: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self._db = Database(path, timeout=timeout)
        self._writer = Writer(self._db)
        self._clock = clock

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        memory: bool = False,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> Store:
        """The store at ``path`` (default ``<cwd>/.notebookllm/store.sqlite``), opened once per process.

        Args:
            path: the SQLite file; its folder is created.
            memory: keep everything in memory (nothing survives the process); ``path`` is ignored.
            timeout: seconds to wait for a lock held by another process before falling back to memory.
            clock: wall clock for creation times and ``clear(older_than=...)`` (tests pass a fake one).

        A file that cannot be used (corrupt, locked, newer schema, unwritable folder) gives a
        :class:`~notebookllm.store.StoreWarning` and a store in memory; nothing of the session is lost.
        """
        if memory:
            return cls(None, timeout=timeout, clock=clock)
        resolved = Path(path if path is not None else Path.cwd() / DEFAULT_PATH).expanduser().resolve()
        with cls._open_lock:
            store = cls._open_stores.get(resolved)
            if store is None:
                store = cls._open_stores[resolved] = cls(resolved, timeout=timeout, clock=clock)
            return store

    @property
    def path(self) -> Path | None:
        """The file (``None`` for a memory store)."""
        return self._db.path

    @property
    def in_memory(self) -> bool:
        """Whether rows live in memory only (a memory store, or the file failed)."""
        return self._db.in_memory

    @property
    def fallback_reason(self) -> str | None:
        """Why the file is not taking results right now, or ``None``."""
        return self._db.fallback_reason

    @property
    def degraded(self) -> str | None:
        """While the file is not taking results: what to tell the user (shown by every run), else ``None``.

        The file is tried again at every write and at the start of every run; rows it refused are held in
        memory (and served from there) until it takes them.
        """
        return self._db.warning_text()

    @property
    def schema_version(self) -> int:
        return self._db.schema_version

    def begin_run(
        self,
        items: Sequence[LLMWorkItem[Any, Any]],
        *,
        run_name: str | None = None,
        run_fingerprint: str | None = None,
        cache_mode: CacheMode | str | bool = CacheMode.READ_WRITE,
        cache_failures: bool = False,
    ) -> RunSession:
        """Split ``items`` into those the store answers and those still to request.

        Args:
            items: the run's work items (unique ids).
            run_name: the run's name; reusing it resumes the run (also for items whose strategy has no request
                fingerprint).
            run_fingerprint: the run's identity when it has no name (the notebook layer derives one).
            cache_mode: see :class:`CacheMode`; also ``"rw"``, ``"read"``, ``"refresh"``, ``"off"`` or a bool.
            cache_failures: also store and serve failed and blocked replies.

        Example:
            >>> session = store.begin_run(items, run_name="reviews", cache_mode="rw")  # doctest: +SKIP
        """
        mode = CacheMode.coerce(cache_mode)
        items = list(items)
        run_id = run_identity(run_name, run_fingerprint)
        keys: dict[str, str | None] = {}
        for item in items:
            if item.item_id in keys:
                raise InvalidWorkItemError(f"duplicate item_id {item.item_id!r}")
            keys[item.item_id] = item_key(item, run_id) if mode is not CacheMode.OFF else None
        if self._db.degraded and not self._db.retry():  # a new run tries the file again first
            warnings.warn(self._db.warning_text() or "", StoreWarning, stacklevel=2)
        finished = self._restore(items, keys, cache_failures=cache_failures) if mode.reads else {}
        owner = claims.new_owner()

        def claim(wanted: list[str]) -> set[str]:
            return self._db.run(lambda conn: claims.claim(conn, wanted, owner, now=self._clock()))

        def restore(wanted: list[LLMWorkItem[Any, Any]]) -> dict[str, WorkItemResult[Any, Any]]:
            return self._restore(wanted, keys, cache_failures=cache_failures)

        return RunSession(
            writer=self._writer,
            clock=self._clock,
            items=items,
            keys=keys,
            finished=finished,
            run_id=run_id,
            run_name=run_name,
            mode=mode,
            cache_failures=cache_failures,
            degraded=self._db.warning_text,
            # Only a run that both reads and writes shares work: it stores what it claims, and takes what it waits for.
            claims=_Claims(owner, claim, restore) if mode is CacheMode.READ_WRITE else None,
        )

    def size_report(self) -> hygiene.SizeReport:
        """Replies, failures, runs, bytes on disk and schema version (flushes pending writes first)."""
        self.flush()
        return self._db.run(lambda conn: hygiene.size_report(conn, path=self.path, in_memory=self.in_memory))

    def recent_replies(self, model: str, *, limit: int = 1000) -> list[tuple[int, float | None]]:
        """``(output + thinking tokens, latency_s)`` of the latest successful stored replies of ``model``."""
        self.flush()
        return self._db.run(lambda conn: history.recent_replies(conn, model, limit=limit))

    def requests_today(self) -> dict[str, int]:
        """Model → online requests this store recorded as answered since the quota day began (midnight Pacific,
        when Google resets per-day quotas). Only this store's: other notebooks, stores and keys are not seen.

        Example:
            >>> Store.open(memory=True).requests_today()
            {}
        """
        self.flush()
        since = quota_day_start(self._clock())
        return self._db.run(lambda conn: history.answered_since(conn, since))

    def model_versions(self, model: str) -> dict[str, int]:
        """Model version → stored replies to requests for ``model`` (e.g. an alias such as ``gemini-flash-latest``,
        which Google moves to newer models over time).

        Example:
            >>> Store.open(memory=True).model_versions("gemini-flash-latest")
            {}
        """
        self.flush()
        return self._db.run(lambda conn: history.versions_of(conn, model))

    def remember_limits(self, account: str, model: str, reported: dict[str, float]) -> None:
        """Keep the limits a 429 reported (kind → value, kinds in :data:`~notebookllm.store.limits.LIMIT_KINDS`)
        as the latest for ``account`` (base URL and key fingerprint) and ``model``."""
        self._db.run(lambda conn: limits.remember(conn, account, model, reported, now=self._clock()))

    def observed_limits(self, model: str, account: str | None = None) -> limits.ObservedLimits | None:
        """The limits Google last reported for ``model`` (to ``account``; any account when ``None``), or ``None``.

        Example:
            >>> Store.open(memory=True).observed_limits("gemini-3.8-flash") is None
            True
        """
        return self._db.run(lambda conn: limits.latest(conn, model, account))

    def clear(self, older_than: timedelta | float | None = None) -> int:
        """Remove replies created more than ``older_than`` ago (a timedelta or seconds; ``None``: all of them).

        Returns the number of replies removed.
        """
        before = hygiene.cutoff(older_than, self._clock())
        self.flush()
        return self._db.run(lambda conn: hygiene.clear_older_than(conn, before))

    def flush(self) -> None:
        """Block until every recorded result is committed (sessions have an async ``flush``)."""
        self._writer.flush().result()

    def close(self) -> None:
        """Commit what is queued and close the file. The next :meth:`open` of the path opens it again."""
        self._writer.close()
        self._db.close()
        with self._open_lock:
            if self.path is not None and self._open_stores.get(self.path) is self:
                del self._open_stores[self.path]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.path is None else str(self.path)
        return f"Store({where!r}{', degraded' if self.fallback_reason else ''})"

    def _restore(
        self, items: list[LLMWorkItem[Any, Any]], keys: dict[str, str | None], *, cache_failures: bool
    ) -> dict[str, WorkItemResult[Any, Any]]:
        wanted = [key for key in keys.values() if key is not None]
        rows: dict[str, Any] = {}
        if wanted:
            for found in self._db.read(lambda conn: records.fetch(conn, wanted)):
                rows.update(found)  # rows held in memory (newer than the file's) win
        finished: dict[str, WorkItemResult[Any, Any]] = {}
        undecodable: set[str] = set()
        for item in items:
            row = rows.get(keys[item.item_id])  # type: ignore[arg-type]
            if row is None:
                continue
            try:
                result = records.from_row(row, item_id=item.item_id, context=item.context)
            except Exception as exc:  # a type renamed or changed since it was stored: ask again
                undecodable.add(f"{type(exc).__name__}: {exc}")
                continue
            if records.is_storable(result, cache_failures=cache_failures):
                finished[item.item_id] = result
        if undecodable:
            warnings.warn(
                f"{len(undecodable)} kind(s) of stored replies could not be restored and will be requested again: "
                + "; ".join(sorted(undecodable)[:3]),
                StoreWarning,
                stacklevel=3,
            )
        return finished
