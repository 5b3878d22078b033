"""The Batch API job ledger: one ``batch_jobs`` row per submitted job, in the project's store.

What it is for:

* **No duplicate jobs.** A job is recorded with a fingerprint of its payload (requests and settings). Creating
  the same payload again finds the recorded job (:meth:`BatchLedger.reusable`) unless it ended FAILED, EXPIRED
  or CANCELLED, so a re-run cell or script re-attaches to its job instead of paying twice.
* **Jobs belong to an endpoint and a key.** Each row keeps the base URL and a fingerprint of the API key (never
  the key) it was created with; only rows of the current endpoint and key are re-attached to, so switching from
  the emulator to a real key, or between keys, never polls a job the endpoint cannot know. A job the API reports
  as gone is kept, marked lost with the reason (:meth:`BatchLedger.mark_lost`), and no longer reused.
* **Mapping back.** Each request of a job carries a key; the row maps keys to the caller's item ids.
* **Refetching.** :meth:`BatchLedger.completed_since` selects jobs by when they *completed*, not when they were
  created, and a refetch never clears a completion marker: the ``fetched_at`` marker is only ever set after a
  successful fetch.

Every change is one SQL statement or one transaction on the store's connection (no file rewritten whole, no
second file to keep in step).

Example:
    >>> from notebookllm.store import Store
    >>> ledger = BatchLedger(Store.open(memory=True), clock=lambda: 100.0)
    >>> ledger.record(LedgerEntry(name="batches/abc", display_name=None, model="gemini-2.5-flash",
    ...     fingerprint="f1", request_keys={"k0": "row-0"}, options={}, state="JOB_STATE_PENDING"))
    >>> ledger.reusable("f1").name
    'batches/abc'
    >>> ledger.update_state("batches/abc", "JOB_STATE_SUCCEEDED", completed_at=90.0)
    >>> [e.name for e in ledger.completed_since(hours=1)]
    ['batches/abc']
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store

__all__ = ["FAILED_STATES", "SUCCEEDED_STATE", "TERMINAL_STATES", "BatchLedger", "LedgerEntry"]

SUCCEEDED_STATE = "JOB_STATE_SUCCEEDED"
FAILED_STATES = frozenset({"JOB_STATE_FAILED", "JOB_STATE_EXPIRED", "JOB_STATE_CANCELLED"})
"""End states without results: a job in one of them is never reused by an identical create."""
TERMINAL_STATES = FAILED_STATES | {SUCCEEDED_STATE}

_COLUMNS = (
    "name",
    "display_name",
    "model",
    "fingerprint",
    "request_keys",
    "options",
    "state",
    "created_at",
    "updated_at",
    "completed_at",
    "fetched_at",
    "endpoint",
    "key_fingerprint",
    "lost_reason",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM batch_jobs"
_FAILED_SQL = ", ".join(f"'{state}'" for state in sorted(FAILED_STATES))
_TERMINAL_SQL = ", ".join(f"'{state}'" for state in sorted(TERMINAL_STATES))


@dataclass
class LedgerEntry:
    """One recorded batch job.

    Attributes:
        name: ``batches/...``.
        display_name: the job's display name.
        model: the model the job runs on.
        fingerprint: digest of the payload and request settings (what an identical create is recognised by).
        request_keys: request key → the caller's item id, in submission order.
        options: how to read the results back (e.g. ``{"filter_json": true, "source": "file"}``).
        state: the last state seen, a ``JOB_STATE_*`` name.
        created_at / updated_at: epoch seconds (ledger clock).
        completed_at: when the job reached an end state (the server's end time when it gave one), else ``None``.
        fetched_at: when its results were last fetched successfully, else ``None``.
        endpoint: the base URL the job was created at (``None`` for rows recorded before endpoints were kept).
        key_fingerprint: a digest of the API key it was created with (see :func:`key_fingerprint`), never the key.
        lost_reason: why the job is lost (the API no longer knows it), else ``None``.
    """

    name: str
    display_name: str | None
    model: str
    fingerprint: str
    request_keys: dict[str, str]
    options: dict[str, Any]
    state: str
    created_at: float = 0.0
    updated_at: float = 0.0
    completed_at: float | None = None
    fetched_at: float | None = field(default=None)
    endpoint: str | None = None
    key_fingerprint: str | None = None
    lost_reason: str | None = None

    @property
    def done(self) -> bool:
        """Whether the job reached an end state."""
        return self.state in TERMINAL_STATES


class BatchLedger:
    """The ``batch_jobs`` table of a :class:`~notebookllm.store.Store`.

    Args:
        store: the store whose file holds the ledger (default: the project store, ``Store.open()``).
        clock: epoch seconds, for creation, update and refetch windows (tests pass the emulator's clock).
    """

    def __init__(self, store: Store | None = None, *, clock: Callable[[], float] = time.time) -> None:
        if store is None:
            from .store import Store

            store = Store.open()
        self.store = store
        self._db = store._db  # same package: the ledger shares the store's connection and its memory fallback
        self._clock = clock

    def record(self, entry: LedgerEntry) -> None:
        """Add a newly created job (one statement; ``created_at``/``updated_at`` default to now)."""
        now = self._clock()
        entry.created_at = entry.created_at or now
        entry.updated_at = entry.updated_at or now
        row = (
            entry.name,
            entry.display_name,
            entry.model,
            entry.fingerprint,
            json.dumps(entry.request_keys),
            json.dumps(entry.options, sort_keys=True),
            entry.state,
            entry.created_at,
            entry.updated_at,
            entry.completed_at,
            entry.fetched_at,
            entry.endpoint,
            entry.key_fingerprint,
            entry.lost_reason,
        )
        sql = f"INSERT OR REPLACE INTO batch_jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
        self._db.run(lambda conn: conn.execute(sql, row))

    def get(self, name: str) -> LedgerEntry | None:
        """The recorded job ``name``, or ``None``."""
        return _first(self._select("WHERE name = ?", (name,)))

    def state(self, name: str) -> str | None:
        """The state last recorded for job ``name``, or ``None``. Reads that one column: every poll of a job asks,
        and a whole entry carries the job's request keys, megabytes of JSON for 100,000 requests."""
        row = self._db.run(lambda conn: conn.execute("SELECT state FROM batch_jobs WHERE name = ?", (name,)).fetchone())
        return None if row is None else str(row[0])

    def reusable(
        self, fingerprint: str, *, endpoint: str | None = None, key_fingerprint: str | None = None
    ) -> LedgerEntry | None:
        """The newest job with this payload fingerprint, created at ``endpoint`` with the key of
        ``key_fingerprint``, that did not end FAILED, EXPIRED or CANCELLED and is not lost. Rows recorded before
        endpoints were kept match any endpoint (the API says whether it knows them)."""
        where = (
            f"WHERE fingerprint = ? AND state NOT IN ({_FAILED_SQL}) AND lost_reason IS NULL"
            " AND (endpoint IS NULL OR (endpoint = ? AND key_fingerprint IS ?)) ORDER BY created_at DESC LIMIT 1"
        )
        return _first(self._select(where, (fingerprint, endpoint, key_fingerprint)))

    def mark_lost(self, name: str, reason: str) -> None:
        """Keep the job but mark it lost (the API no longer knows it): it is never reused or polled again."""
        now = self._clock()
        self._db.run(
            lambda conn: conn.execute(
                "UPDATE batch_jobs SET lost_reason = ?, updated_at = ? WHERE name = ?", (reason, now, name)
            )
        )

    def update_state(self, name: str, state: str, *, completed_at: float | None = None) -> None:
        """Record the state seen; an end state also records when the job completed (kept once set; default now)."""
        self.update_states({name: (state, completed_at)})

    def mark_fetched(self, name: str) -> None:
        """Set the fetched marker: call only after the results were read and handed over."""
        now = self._clock()
        self._db.run(
            lambda conn: conn.execute(
                "UPDATE batch_jobs SET fetched_at = ?, updated_at = ? WHERE name = ?", (now, now, name)
            )
        )

    def unfetched(self) -> list[LedgerEntry]:
        """Jobs whose results were never fetched and that may still have some (not FAILED/EXPIRED/CANCELLED),
        oldest first: what ``notebookllm batch fetch --check-all-pending`` checks."""
        where = f"WHERE fetched_at IS NULL AND state NOT IN ({_FAILED_SQL}) AND lost_reason IS NULL ORDER BY created_at"
        return self._select(where)

    def completed_since(self, hours: float) -> list[LedgerEntry]:
        """Jobs that *completed* successfully within the last ``hours`` (by completion time, not creation time) and
        are not lost, oldest completion first."""
        if hours < 0:
            raise ValueError(f"hours must not be negative, got {hours!r}")
        since = self._clock() - hours * 3600.0
        where = "WHERE state = ? AND completed_at >= ? AND lost_reason IS NULL ORDER BY completed_at"
        return self._select(where, (SUCCEEDED_STATE, since))

    def entries(self, *, limit: int | None = None) -> list[LedgerEntry]:
        """Recorded jobs, newest first."""
        return self._select("ORDER BY created_at DESC" + (" LIMIT ?" if limit else ""), (limit,) if limit else ())

    def update_states(self, states: Mapping[str, tuple[str, float | None]]) -> None:
        """Record several ``name → (state, completed_at)`` observations in one transaction."""
        now = self._clock()
        rows = [
            (state, now, completed if completed is not None or state not in TERMINAL_STATES else now, name)
            for name, (state, completed) in states.items()
        ]
        sql = "UPDATE batch_jobs SET state = ?, updated_at = ?, completed_at = COALESCE(completed_at, ?) WHERE name = ?"

        def apply(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                conn.executemany(sql, rows)

        self._db.run(apply)

    def _select(self, where: str, params: tuple[Any, ...] = ()) -> list[LedgerEntry]:
        rows = self._db.run(lambda conn: conn.execute(f"{_SELECT} {where}", params).fetchall())
        return [_entry(row) for row in rows]


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["request_keys"] = json.loads(values["request_keys"])
    values["options"] = json.loads(values["options"])
    return LedgerEntry(**values)


def _first(entries: list[LedgerEntry]) -> LedgerEntry | None:
    return entries[0] if entries else None


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
