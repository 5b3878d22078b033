"""A per-attempt deadline on the attempt's task.

``asyncio.wait_for`` would wrap the attempt's task in one more task; ``asyncio.timeout`` does not exist on Python
3.10. :class:`Deadline` does what ``asyncio.timeout`` does: a loop timer cancels a task at the deadline and
remembers that it did, so the caller can tell its own timeout from an outside cancellation.

Example:
    >>> task = loop.create_task(call())  # doctest: +SKIP
    >>> deadline = Deadline(loop, task, loop.time() + 30)
    >>> try:
    ...     return await task
    ... except asyncio.CancelledError:
    ...     if deadline.expired():
    ...         raise TimeoutError from None
    ...     raise
    ... finally:
    ...     deadline.disarm()
"""

from __future__ import annotations

import asyncio

__all__ = ["Deadline"]


class Deadline:
    """Cancel ``task`` at loop time ``when`` unless disarmed first."""

    __slots__ = ("_handle", "_pending", "_task")

    def __init__(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[object], when: float) -> None:
        self._task = task
        self._pending = False
        self._handle = loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self._pending = True
        self._task.cancel()

    def expired(self) -> bool:
        """Call on a ``CancelledError``: True when it was this deadline alone that cancelled the task.

        On Python 3.11+ the cancellation request is withdrawn (``Task.uncancel``) and an outside cancellation that
        arrived at the same time is reported as False. Python 3.10 cannot tell the two apart; callers that cancel
        tasks themselves also check their own stop flag.
        """
        if not self._pending:
            return False
        self._pending = False
        uncancel = getattr(self._task, "uncancel", None)
        return uncancel is None or uncancel() == 0

    def disarm(self) -> None:
        """Stop the timer; if it fired but the awaited code swallowed the cancellation, withdraw the request."""
        self._handle.cancel()
        if self._pending:
            self._pending = False
            uncancel = getattr(self._task, "uncancel", None)
            if uncancel is not None:
                uncancel()
