"""Helpers for writing strategies.

Example:
    >>> class MyStrategy(PrepareOnceMixin, LLMCallStrategy[str]):
    ...     async def _prepare_once(self) -> None:
    ...         self.connection = await open_connection()
    ...     async def execute(self, prompt, attempt, timeout):
    ...         return await self.connection.generate(prompt), None
"""

from __future__ import annotations

import asyncio

__all__ = ["PrepareOnceMixin"]


class PrepareOnceMixin:
    """Makes ``prepare()`` run :meth:`_prepare_once` exactly once per instance, however many coroutines call it.

    Concurrent callers wait for the first one to finish. If ``_prepare_once`` raises, the instance is not marked
    prepared and the next ``prepare()`` tries again. Put it before ``LLMCallStrategy`` in the bases so that its
    ``prepare`` wins. Needs no ``__init__`` call: the state is created on first use.
    """

    _prepare_once_done: bool = False
    _prepare_once_lock: asyncio.Lock | None = None

    async def prepare(self) -> None:
        if self._prepare_once_done:
            return
        if self._prepare_once_lock is None:
            self._prepare_once_lock = asyncio.Lock()
        async with self._prepare_once_lock:
            if not self._prepare_once_done:
                await self._prepare_once()
                self._prepare_once_done = True

    async def _prepare_once(self) -> None:
        """Override: the expensive set-up (clients, caches, connections)."""
