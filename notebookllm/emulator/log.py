"""The request log tests assert on: one record per request, never the API key (only a short fingerprint).

>>> log = RequestLog()
>>> log.add("POST", "/v1beta/models/m:generateContent", "generateContent", "m", 200, 0.0, 0.001, "1a2b3c4d")
>>> log.count(endpoint="generateContent", status=200)
1
"""

from __future__ import annotations

import hashlib
from typing import Any, NamedTuple


class LogRecord(NamedTuple):
    """One request. ``endpoint`` is e.g. ``generateContent``, ``cachedContents.create``, ``batches.get``, or
    ``generateContent.batch`` for a request inside a batch job, logged when the job answers it (method ``BATCH``);
    ``model`` a bare model id or None; ``started_at`` epoch seconds (real time); ``key_fingerprint`` the first
    8 hex digits of sha256(api key), or None without a key; ``fault`` the injected fault's spec (``"503"``,
    ``"hang"``, ``"truncate"``, ``"reset"``, ...) or None; ``usage`` the ``usageMetadata`` of the reply the emulator
    produced (what it charged; None when it produced none: an error, a reset, a hang the client left). ``status`` is
    499 when the client went away first, 0 when the emulator reset the connection instead of answering.
    ``retry_delay_s`` is the RetryInfo delay a 429 told the client to wait (None without one); ``arrived`` is
    ``time.monotonic()`` when the request arrived: the clock of ``loop.time()`` in this process, so a test can
    order arrivals against the client's own events (a cooldown's start and end)."""

    method: str
    path: str
    endpoint: str
    model: str | None
    status: int
    started_at: float
    duration_s: float
    key_fingerprint: str | None
    fault: str | None = None
    usage: dict[str, Any] | None = None
    retry_delay_s: float | None = None
    arrived: float | None = None

    @property
    def billed_tokens(self) -> int:
        """The ``totalTokenCount`` the emulator billed for this request (0 when it produced no reply)."""
        return int((self.usage or {}).get("totalTokenCount", 0))


def fingerprint(api_key: str | None) -> str | None:
    """First 8 hex digits of sha256(key): enough to tell keys apart, useless to recover one."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:8] if api_key else None


class RequestLog:
    """Append-only records (appends are atomic under the GIL, so the server thread needs no lock)."""

    def __init__(self) -> None:
        self._records: list[LogRecord] = []

    def add(
        self,
        method: str,
        path: str,
        endpoint: str,
        model: str | None,
        status: int,
        started_at: float,
        duration_s: float,
        key_fingerprint: str | None,
        fault: str | None = None,
        usage: dict[str, Any] | None = None,
        retry_delay_s: float | None = None,
        arrived: float | None = None,
    ) -> None:
        self._records.append(
            LogRecord(
                method,
                path,
                endpoint,
                model,
                status,
                started_at,
                duration_s,
                key_fingerprint,
                fault,
                usage,
                retry_delay_s,
                arrived,
            )
        )

    def records(self) -> list[LogRecord]:
        """A snapshot copy."""
        return list(self._records)

    def count(self, endpoint: str | None = None, status: int | None = None, model: str | None = None) -> int:
        """How many records match every given filter."""
        return sum(
            1
            for r in self._records
            if (endpoint is None or r.endpoint == endpoint)
            and (status is None or r.status == status)
            and (model is None or r.model == model)
        )

    def counts(self) -> dict[str, int]:
        """Requests per endpoint."""
        result: dict[str, int] = {}
        for record in self._records:
            result[record.endpoint] = result.get(record.endpoint, 0) + 1
        return result
