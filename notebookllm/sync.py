"""Running a coroutine to completion from synchronous code, in a script and inside Jupyter's running loop.

The one place that does it: the sync twins of every layer (``nl.run``, ``Results.retry_failed``, the Batch API's
``create_batch_job``, ...) call :func:`run_sync`, so the engine stays async all the way down.

* No loop running in this thread (a script, a plain REPL): one loop kept per thread and reused by every sync
  call, closed at exit. Not a fresh loop per call as :func:`asyncio.run` would: google-genai 1.x binds
  ``client.aio``'s HTTP session to the first loop that used it, so the second ``nl.run`` of a script would fail.
* A loop already running (a Jupyter cell, an ``async def`` test calling sync code): ``nest_asyncio2`` is applied
  to that loop — lazily, only now, never at import, because it swaps asyncio's C tasks for slower Python ones —
  and the coroutine runs on it re-entrantly ("This event loop is already running" never reaches the user).

In both cases Ctrl+C (SIGINT, when it still has Python's default handler) cancels the task instead of raising
:class:`KeyboardInterrupt` wherever the main thread happens to be, so the coroutine can wind down and return what
it finished; :func:`user_interrupted` tells it that the cancellation came from the user. A second Ctrl+C raises
:class:`KeyboardInterrupt` as usual.

Example:
    >>> async def answer():
    ...     return 42
    >>> run_sync(answer())
    42
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import signal
import sys
import threading
import weakref
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from .environment import running_loop

__all__ = ["run_sync", "user_interrupted"]

T = TypeVar("T")

# Tasks the user interrupted with Ctrl+C (as opposed to tasks cancelled by code, e.g. a timeout).
_interrupted: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
_thread = threading.local()  # .holder: this thread's loop for sync calls


def user_interrupted(task: asyncio.Task[Any] | None) -> bool:
    """Whether ``task`` was cancelled because the user pressed Ctrl+C while :func:`run_sync` ran it."""
    return task is not None and task in _interrupted


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion and return its result, whether or not a loop is already running here."""
    loop = running_loop()
    if loop is None:
        return _run_on_thread_loop(coro)
    # Only here: importing or applying it earlier would patch asyncio for everyone. nest_asyncio2, not the original
    # nest_asyncio: ipykernel 7 runs every cell in one shared contextvars Context, and the original re-entered it
    # ("cannot enter context ... is already entered"), losing every cell queued after the first sync run.
    import nest_asyncio2

    nest_asyncio2.apply(loop)
    return _run_task(loop, coro)


class _ThreadLoop:
    """Holds a thread's loop; the loop is closed when the thread ends (its thread-local holder is dropped).

    Without it every thread that called ``nl.run`` leaked its loop's selector and self-pipe file descriptors.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        weakref.finalize(self, _close_loop, self.loop)


def _run_on_thread_loop(coro: Coroutine[Any, Any, T]) -> T:
    holder = getattr(_thread, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _thread.holder = _ThreadLoop()
        if threading.current_thread() is threading.main_thread():
            atexit.register(_close_loop, holder.loop)
    return _run_task(holder.loop, coro)


def _run_task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    task = loop.create_task(coro)
    try:
        with _sigint_cancels(loop, task):
            return loop.run_until_complete(task)
    except asyncio.CancelledError:
        # A coroutine that did not turn the user's interrupt into a result: report it the way Python would.
        if task in _interrupted:
            raise KeyboardInterrupt from None
        raise


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """What :func:`asyncio.run` does on the way out: cancel leftovers, finish async generators, close."""
    if loop.is_closed():
        return
    try:
        leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in leftovers:
            t.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        _close_http_sessions(loop)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def _close_http_sessions(loop: asyncio.AbstractEventLoop) -> None:
    """Close the aiohttp sessions bound to ``loop`` (google-genai opens one per loop for ``client.aio`` and never
    closes it): their connections would outlive the loop, two file descriptors each with a local server."""
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is None:
        return
    sessions = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, aiohttp.ClientSession) and getattr(obj, "_loop", None) is loop and not obj.closed
    ]
    for session in sessions:
        with contextlib.suppress(Exception):
            loop.run_until_complete(session.close())


@contextlib.contextmanager
def _sigint_cancels(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> Iterator[None]:
    """While inside, the first SIGINT cancels ``task`` (marked as a user interrupt); later ones raise as usual.

    Only in the main thread and only over Python's default handler: a handler someone else installed (the
    Jupyter kernel's async-cell handler, an application's) is left alone.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return

    def on_sigint(signum: int, frame: Any) -> None:
        if task.done() or task in _interrupted:
            raise KeyboardInterrupt
        _interrupted.add(task)
        loop.call_soon_threadsafe(task.cancel)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
