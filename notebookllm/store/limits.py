"""Rate limits Google reported: the ``quotaValue`` of a 429's ``QuotaFailure``, the latest per account, model and
kind (``"rpm"``, ``"tpm"``: requests and input tokens per minute; ``"rpd"``, ``"tpd"``: per day). A later run
given no ``rpm=``/``tpm=`` paces at the per-minute ones, and ``mode="auto"`` plans with them.

The account is :func:`~notebookllm.gemini.connection.account_of`'s base URL and key fingerprint, never the key.

Example:
    >>> import sqlite3
    >>> from notebookllm.store.migrations import upgrade
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> _ = upgrade(conn)
    >>> remember(conn, "acct", "gemini-x", {"rpm": 10.0}, now=1_795_348_800.0)
    >>> latest(conn, "gemini-x", "acct").text()
    'pacing at 10 requests/min, the limit Google reported on 2026-11-22'
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = ["LIMIT_KINDS", "ObservedLimits", "latest", "remember"]

LIMIT_KINDS = ("rpm", "tpm", "rpd", "tpd")
"""Requests and input tokens per minute, requests and tokens per day."""

_UPSERT = (
    "INSERT INTO observed_limits (account, model, kind, value, observed_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (model, account, kind) DO UPDATE SET value = excluded.value, observed_at = excluded.observed_at"
)
_SELECT = "SELECT kind, value, observed_at FROM observed_limits WHERE model = ?"


@dataclass(frozen=True)
class ObservedLimits:
    """The latest limits Google reported for a model (``None`` where none was reported) and when."""

    rpm: float | None
    tpm: float | None
    rpd: float | None
    tpd: float | None
    observed_at: float

    @property
    def per_minute(self) -> bool:
        """A per-minute limit is known (what a run can pace at)."""
        return self.rpm is not None or self.tpm is not None

    def text(self) -> str:
        """``"pacing at 10 requests/min, the limit Google reported on 2026-12-03"``."""
        paces = [f"{value:,.0f} {unit}/min" for value, unit in ((self.rpm, "requests"), (self.tpm, "tokens"))
                 if value is not None]  # fmt: skip
        day = datetime.fromtimestamp(self.observed_at, timezone.utc).date().isoformat()
        noun = "limits" if len(paces) > 1 else "limit"
        return f"pacing at {' and '.join(paces)}, the {noun} Google reported on {day}"


def remember(conn: sqlite3.Connection, account: str, model: str, limits: Mapping[str, float], *, now: float) -> None:
    """Keep ``limits`` (kind → value) as the latest reported for ``account`` and ``model``."""
    conn.executemany(_UPSERT, [(account, model, kind, float(value), now) for kind, value in limits.items()])


def latest(conn: sqlite3.Connection, model: str, account: str | None = None) -> ObservedLimits | None:
    """The limits last reported for ``model`` to ``account`` (any account when ``None``: the newest report of
    each kind); ``None`` when no 429 reported one."""
    sql, args = (_SELECT, (model,)) if account is None else (_SELECT + " AND account = ?", (model, account))
    found: dict[str, tuple[float, float]] = {}
    for kind, value, at in conn.execute(sql, args):
        if kind not in found or at > found[kind][1]:
            found[kind] = (value, at)
    if not found:
        return None
    values = {kind: found[kind][0] if kind in found else None for kind in LIMIT_KINDS}
    return ObservedLimits(**values, observed_at=max(at for _, at in found.values()))
