"""Clocks. Quotas, cache expiry and the batch lifecycle read the emulator's clock, so tests can drive them.

>>> clock = ManualClock(1_000.0)
>>> _ = clock.advance(60)
>>> clock()
1060.0
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], float]
"""Epoch seconds (``time.time`` by default)."""

# 2026-11-22T12:00:00Z: a fixed, readable start for manual clocks.
DEFAULT_MANUAL_START = 1_795_348_800.0


class ManualClock:
    """A clock that moves only when told to (thread-safe: tests advance it while the server reads it)."""

    def __init__(self, start: float = DEFAULT_MANUAL_START) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds``; returns the new time."""
        with self._lock:
            self._now += seconds
            return self._now


def rfc3339(epoch: float) -> str:
    """``2026-11-22T12:00:00.000000Z``: the timestamp format of the real API."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> float:
    """Epoch seconds from an RFC 3339 timestamp (``Z`` or ``+00:00``; the SDK sends ``isoformat()``)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def parse_duration(text: str) -> float:
    """Seconds from a protobuf Duration string such as ``"600s"`` or ``"1.5s"``.

    >>> parse_duration("600s")
    600.0
    """
    text = str(text).strip()
    if not text.endswith("s"):
        raise ValueError(f"not a duration: {text!r}")
    return float(text[:-1])
