"""One run against the store: what is already answered, what is left, and recording what finishes.

Example:
    >>> session = store.begin_run(items, run_name="reviews")            # doctest: +SKIP
    >>> session.finished   # item_id -> WorkItemResult(from_cache=True)  # doctest: +SKIP
    >>> async with session:                                              # doctest: +SKIP
    ...     for result in await run_items(session.pending):
    ...         await session.record(result)
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..core.results import WorkItemResult
from ..core.tokens import ZERO_USAGE, TokenUsage
from ..core.work_item import LLMWorkItem
from . import records
from .checkpoints import RUN_UPSERT_SQL
from .claims import LEASE_S, RELEASE_SQL, RENEW_SQL
from .codec import UnstorableOutputError
from .db import StoreWarning

if TYPE_CHECKING:
    from .writer import Writer

__all__ = ["CacheMode", "RunSession", "SavedUsage"]

_Result = WorkItemResult[Any, Any]
_Item = LLMWorkItem[Any, Any]


class CacheMode(str, Enum):
    """How a run uses the store.

    * ``READ_WRITE`` (``"rw"``): answer from the store what it has, store what finishes. The default of ``nl.run``.
    * ``READ_ONLY`` (``"read"``): answer from the store, write nothing.
    * ``REFRESH`` (``"refresh"``): request everything again and overwrite what is stored.
    * ``OFF`` (``"off"``): do not touch the store.
    """

    READ_WRITE = "rw"
    READ_ONLY = "read"
    REFRESH = "refresh"
    OFF = "off"

    @property
    def reads(self) -> bool:
        return self in (CacheMode.READ_WRITE, CacheMode.READ_ONLY)

    @property
    def writes(self) -> bool:
        return self in (CacheMode.READ_WRITE, CacheMode.REFRESH)

    @classmethod
    def coerce(cls, value: CacheMode | str | bool | None) -> CacheMode:
        """Accept a mode, its value (``"rw"``, ``"read"``, ``"refresh"``, ``"off"``) or a bool (``cache=True``).

        >>> CacheMode.coerce(True), CacheMode.coerce("read")
        (<CacheMode.READ_WRITE: 'rw'>, <CacheMode.READ_ONLY: 'read'>)
        """
        if isinstance(value, bool) or value is None:
            return cls.READ_WRITE if value else cls.OFF
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in cls)
            raise ValueError(f"cache mode must be one of {choices} or a bool, got {value!r}") from None


@dataclass(frozen=True)
class _Claims:
    """How a session claims keys in its store and reads answers other runs stored (see :mod:`.claims`)."""

    owner: str
    claim: Callable[[list[str]], set[str]]
    restore: Callable[[list[LLMWorkItem[Any, Any]]], dict[str, WorkItemResult[Any, Any]]]


@dataclass(frozen=True, slots=True)
class SavedUsage:
    """What the store saved a run: replies not requested again, their tokens and their cost."""

    items: int = 0
    tokens: TokenUsage = ZERO_USAGE
    cost_usd: float = 0.0


class RunSession:
    """A run's view of the store; made by :meth:`Store.begin_run <notebookllm.store.Store.begin_run>`.

    Attributes:
        finished: item id → result restored from the store (``from_cache=True``): cache hits and the items this
            run finished before an interrupt or crash.
        pending: the items still to request, in input order.
        saved: items, tokens and cost (sum of ``metadata["cost_usd"]``) of what came from the store.
        run_id: the run's identity in the store (``None`` without a name or fingerprint).
        mode: the :class:`CacheMode`.
    """

    def __init__(
        self,
        *,
        writer: Writer,
        clock: Callable[[], float],
        items: list[LLMWorkItem[Any, Any]],
        keys: dict[str, str | None],
        finished: dict[str, WorkItemResult[Any, Any]],
        run_id: str | None,
        run_name: str | None,
        mode: CacheMode,
        cache_failures: bool,
        degraded: Callable[[], str | None] = lambda: None,
        claims: _Claims | None = None,
    ) -> None:
        self._writer = writer
        self._clock = clock
        self._keys = keys
        self._cache_failures = cache_failures
        self._degraded = degraded
        self._unstorable_warned: set[str] = set()
        self.run_id = run_id
        self.mode = mode
        self.finished = finished
        self._claims = claims
        self._renewed_at = clock()
        unanswered = [item for item in items if item.item_id not in finished]
        held = self._claim(unanswered)
        #: Items another live run is requesting right now: :meth:`await_others` takes their answers from the store.
        self.waiting = [item for item in unanswered if keys[item.item_id] in held]
        self.pending = [item for item in unanswered if keys[item.item_id] not in held]
        self.saved = _saved(finished.values())
        if mode.writes and run_id is not None:
            now = clock()
            writer.submit(RUN_UPSERT_SQL, (run_id, run_name, len(items), now, now))

    def record_nowait(self, result: WorkItemResult[Any, Any]) -> bool:
        """Queue ``result`` for the next grouped commit; return whether it will be stored.

        Not stored: results restored from the store, failed or blocked ones (unless ``cache_failures``), items
        without a key (no request fingerprint and no run identity), outputs of a type the store cannot write
        (warned once per type), and anything in read-only or off mode.
        """
        if result.item_id not in self._keys:
            raise KeyError(f"item {result.item_id!r} is not part of this run")
        key = self._keys[result.item_id]
        if (
            key is None
            or not self.mode.writes
            or result.from_cache
            or not records.is_storable(result, cache_failures=self._cache_failures)
        ):
            return False
        try:
            row = records.to_row(key, self.run_id, result, now=self._clock())
        except UnstorableOutputError as exc:
            if str(exc) not in self._unstorable_warned:  # once per offending type
                self._unstorable_warned.add(str(exc))
                warnings.warn(f"results are kept in memory only: {exc}", StoreWarning, stacklevel=3)
            return False
        self._writer.submit(records.INSERT_SQL, row)
        now = self._clock()
        if self._claims is not None and now - self._renewed_at > LEASE_S / 3:  # a long run keeps its claims
            self._renewed_at = now
            self._writer.submit(RENEW_SQL, (now + LEASE_S, self._claims.owner))
        return True

    async def await_others(
        self, poll_s: float = 0.2
    ) -> tuple[list[WorkItemResult[Any, Any]], list[LLMWorkItem[Any, Any]]]:
        """Wait for the :attr:`waiting` items: returns the results other runs stored (also added to
        :attr:`finished`) and the items to request after all (their run ended or died without storing them),
        now claimed by this session. Returns as soon as there is something to request; call again while
        :attr:`waiting` is not empty.
        """
        restored: list[WorkItemResult[Any, Any]] = []
        while self.waiting and self._claims is not None:
            found = self._claims.restore(self.waiting)
            for item in self.waiting:
                if item.item_id in found:
                    self.finished[item.item_id] = found[item.item_id]
                    restored.append(found[item.item_id])
            remaining = [item for item in self.waiting if item.item_id not in found]
            held = self._claim(remaining)
            self.waiting = [item for item in remaining if self._keys[item.item_id] in held]
            mine = [item for item in remaining if self._keys[item.item_id] not in held]
            if mine or not self.waiting:
                self.saved = _saved(self.finished.values())
                return restored, mine
            await asyncio.sleep(poll_s)  # the other run is still requesting them
        return restored, []

    def _claim(self, items: list[LLMWorkItem[Any, Any]]) -> set[str]:
        if self._claims is None:
            return set()
        keys = [key for key in (self._keys[item.item_id] for item in items) if key is not None]
        return self._claims.claim(keys) if keys else set()

    @property
    def store_warning(self) -> str | None:
        """While the store's file is not taking results (see ``Store.degraded``): what to tell the user."""
        return self._degraded()

    async def record(self, result: WorkItemResult[Any, Any]) -> bool:
        """Queue ``result`` for the next grouped commit (see :meth:`record_nowait`); never waits for the disk."""
        return self.record_nowait(result)

    async def flush(self) -> None:
        """Wait until everything recorded so far is committed, without blocking the event loop."""
        await asyncio.wrap_future(self._writer.flush())

    async def close(self) -> None:
        """Release this run's claims and flush. The store stays open for other runs."""
        if self._claims is not None:
            self._writer.submit(RELEASE_SQL, (self._claims.owner,))
        await self.flush()

    async def __aenter__(self) -> RunSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"RunSession(run_id={self.run_id!r}, mode={self.mode.value!r}, finished={len(self.finished)}, "
            f"pending={len(self.pending)})"
        )


def _saved(results: Any) -> SavedUsage:
    items, tokens, cost = 0, ZERO_USAGE, 0.0
    for result in results:
        items += 1
        tokens += result.token_usage
        value = result.metadata.get("cost_usd")
        cost += value if isinstance(value, (int, float)) else 0.0
    return SavedUsage(items=items, tokens=tokens, cost_usd=cost)
