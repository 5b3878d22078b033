"""Events a run emits, and the observer interface that receives them.

Observers are for watching (metrics, logs, dashboards); they cannot change results. The processor builds no
event at all when it has no observers. An observer that raises is logged and ignored.

Event data (a dict) always has ``"item_id"`` for item events, plus:

* ``ITEM_STARTED``: ``attempt`` (each attempt emits one).
* ``ITEM_RETRYING``: ``attempt`` (the one that failed), ``error``, ``error_info``, ``wait`` (backoff seconds).
* ``RATE_LIMIT_HIT``: ``attempt``, ``error``, ``error_info``.
* ``ITEM_COMPLETED`` / ``ITEM_FAILED``: ``result`` (every item ends with exactly one of these).
* ``COOLDOWN_STARTED``: ``until`` (loop time), ``seconds``; ``COOLDOWN_ENDED``: nothing else.
* ``PROCESSING_STARTED``: ``total``; ``PROCESSING_COMPLETED``: ``result`` (the BatchResult).

Example:
    >>> class Printer(BaseObserver):
    ...     async def on_event(self, event, data):
    ...         if event is ProcessingEvent.ITEM_FAILED:
    ...             print("failed:", data["item_id"])
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["BaseObserver", "ProcessingEvent"]


class ProcessingEvent(str, enum.Enum):
    """What happened."""

    PROCESSING_STARTED = "processing_started"
    PROCESSING_COMPLETED = "processing_completed"
    ITEM_STARTED = "item_started"
    ITEM_COMPLETED = "item_completed"
    ITEM_FAILED = "item_failed"
    ITEM_RETRYING = "item_retrying"
    RATE_LIMIT_HIT = "rate_limit_hit"
    COOLDOWN_STARTED = "cooldown_started"
    COOLDOWN_ENDED = "cooldown_ended"


class BaseObserver:
    """Receives every event of a run. Override :meth:`on_event` (a coroutine)."""

    async def on_event(self, event: ProcessingEvent, data: dict[str, Any]) -> None:
        """Called for each event, in the order they happen."""
