"""A virtual-time event loop: time moves only when every task is waiting for a timer, and then jumps to it.

The engine reads time from ``loop.time()`` and waits on the loop (backoff, cooldowns, ramps, rate limits), so on this
loop a run of your own strategy takes no wall time and every wait is exact and repeatable: the way to see what a
retry or rate-limit setting does to a run before paying for one. Not for real I/O: a request in flight does not hold
the clock back (the loop's self-pipe, for thread-safe calls, is still polled without waiting). Our tests and the
faults benchmark's breakdown run on it.

Example:
    >>> import asyncio
    >>> async def wait_a_day():
    ...     await asyncio.sleep(86_400)
    ...     return asyncio.get_running_loop().time()
    >>> run_virtual(wait_a_day())
    86400.0
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["VirtualClockLoop", "run_virtual"]

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualClockLoop | None = None

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # Nothing scheduled and nothing ready: only another thread can wake us (pytest-timeout bounds it).
            return super().select(None)
        assert self.loop is not None
        self.loop.now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """``loop.time()`` starts at 0.0 and advances only by jumping to the next timer."""

    def __init__(self) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self.now = 0.0

    def time(self) -> float:
        return self.now


def run_virtual(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a fresh :class:`VirtualClockLoop`."""
    loop = VirtualClockLoop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()
