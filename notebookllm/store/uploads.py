"""The upload memory: which files the Files API already holds, by content hash, so each is uploaded once.

A row maps (content SHA-256, API account) to the uploaded file's name and URI and when it expires (the API keeps
uploads 48 hours). A lookup answers only uploads that stay valid for a safety margin longer, so a request is
never sent with a file about to vanish; past that, the file is uploaded again and the row replaced. The account
is the API endpoint plus a short digest of the key (never the key): an upload made with one key or to one
emulator is not offered to another.

Example:
    >>> from notebookllm.store import Store
    >>> memory = UploadMemory(Store.open(memory=True), clock=lambda: 1000.0)
    >>> memory.remember(Upload("ab12", "acct", "files/x", "http://h/v1beta/files/x", "image/png", 10, 1000.0, 9e9))
    >>> memory.valid("acct")["ab12"].name
    'files/x'
    >>> memory.valid("another account")
    {}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import Store

__all__ = ["UPLOAD_MARGIN_S", "Upload", "UploadMemory"]

#: An upload expiring sooner than this is treated as gone: a run may take hours to reach its last row.
UPLOAD_MARGIN_S = 3600.0


@dataclass(frozen=True)
class Upload:
    """One file the Files API holds: its content hash, account, ``files/...`` name, URI, type, size, and when it
    was uploaded and expires (epoch seconds)."""

    sha256: str
    account: str
    name: str
    uri: str
    mime_type: str
    size: int
    uploaded_at: float
    expires_at: float


_COLUMNS = tuple(f.name for f in fields(Upload))


class UploadMemory:
    """The ``media_uploads`` table of a :class:`~notebookllm.store.Store`.

    Args:
        store: the store whose file holds the table (default: the project store, ``Store.open()``).
        clock: epoch seconds (tests pass the emulator's clock to move past an expiry).
        margin_s: how long an upload must stay valid to be reused.
    """

    def __init__(
        self, store: Store | None = None, *, clock: Callable[[], float] = time.time, margin_s: float = UPLOAD_MARGIN_S
    ) -> None:
        if store is None:
            from .store import Store

            store = Store.open()
        self._db = store._db  # same package: shares the store's connection and its memory fallback
        self._clock = clock
        self._margin_s = margin_s

    def valid(self, account: str) -> dict[str, Upload]:
        """Every upload of ``account`` that stays valid for the margin, by content hash (one query for a run's
        worth of lookups)."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM media_uploads WHERE account = ? AND expires_at > ?"
        params = (account, self._clock() + self._margin_s)
        rows = self._db.run(lambda conn: conn.execute(sql, params).fetchall())
        return {row[0]: Upload(*row) for row in rows}

    def usable(self, upload: Upload) -> bool:
        """Whether ``upload`` still stays valid for the margin (a run may outlast an upload read at its start)."""
        return upload.expires_at > self._clock() + self._margin_s

    def remember(self, upload: Upload) -> None:
        """Record an upload (replacing an older one of the same content and account)."""
        sql = f"INSERT OR REPLACE INTO media_uploads ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
        self._db.run(lambda conn: conn.execute(sql, astuple(upload)))

    def forget(self, sha256: str, account: str) -> None:
        """Drop a recorded upload (the API no longer has it)."""
        sql = "DELETE FROM media_uploads WHERE sha256 = ? AND account = ?"
        self._db.run(lambda conn: conn.execute(sql, (sha256, account)))

    def now(self) -> float:
        """The memory's clock (epoch seconds)."""
        return self._clock()
