"""In-flight claims: two runs of the same job on one store do not pay twice.

A run claims the keys it is about to request (one transaction, so two runs starting together split the work, never
share it). A key another live run holds is not requested: the run waits for that answer to reach the store and takes
it from there, or — if the other run ends without storing it (a failure, an interrupt) or dies — claims it and
requests it itself. A claim is a lease: it names its owner (host, process, run) and expires unless renewed, and a
claim of a process on this host that no longer exists is void at once, so a SIGKILLed run never makes a rerun wait.
Repeats are therefore bounded by what was in flight when a run died.

Example:
    >>> owner = new_owner()                                                        # doctest: +SKIP
    >>> taken = db.run(lambda conn: claim(conn, ["k1", "k2"], owner, now=0.0))     # doctest: +SKIP
    >>> taken  # keys a live run of someone else holds                              # doctest: +SKIP
    set()
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections.abc import Sequence

__all__ = ["LEASE_S", "RELEASE_SQL", "RENEW_SQL", "claim", "new_owner"]

LEASE_S = 120.0
"""Seconds a claim lasts unless renewed (a run renews its claims as its results arrive)."""

RELEASE_SQL = "DELETE FROM claims WHERE owner = ?"
RENEW_SQL = "UPDATE claims SET expires_at = ? WHERE owner = ?"
_CHUNK = 500
_HOST = socket.gethostname()


def new_owner() -> str:
    """A claim owner id for one run: ``host:pid:random``."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim(conn: sqlite3.Connection, keys: Sequence[str], owner: str, *, now: float, lease: float = LEASE_S) -> set[str]:
    """Claim every key of ``keys`` no other live run holds; return the keys others hold.

    Runs in its own ``BEGIN IMMEDIATE`` transaction, so concurrent claimers are serialised by SQLite.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return set()
    conn.execute("BEGIN IMMEDIATE")
    try:
        held: set[str] = set()
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            sql = f"SELECT key, owner, expires_at FROM claims WHERE key IN ({','.join('?' * len(chunk))})"
            for key, other, expires_at in conn.execute(sql, chunk):
                if other != owner and expires_at > now and _alive(other):
                    held.add(key)
        conn.executemany(
            "INSERT OR REPLACE INTO claims (key, owner, expires_at) VALUES (?, ?, ?)",
            [(key, owner, now + lease) for key in keys if key not in held],
        )
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return held


def _alive(owner: str) -> bool:
    """Whether the process behind ``owner`` may still be running (always assumed for other hosts)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True
