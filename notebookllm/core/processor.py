"""The parallel batch processor: many work items, a fixed number of workers, retries, rate limits, results.

Example:
    >>> config = ProcessorConfig(max_workers=16, retry=RetryConfig(max_attempts=4))
    >>> async with ParallelBatchProcessor(config=config) as processor:  # doctest: +SKIP
    ...     for i, text in enumerate(texts):
    ...         await processor.add_work(LLMWorkItem(f"row-{i}", strategy, text))
    ...     batch = await processor.process_all()
    >>> batch.succeeded, batch.failed  # doctest: +SKIP

Or, to see each result as it finishes (a progress display, a store that saves as it goes)::

    async for result in processor.as_completed():
        save(result)
    batch = processor.result

How it runs: ``min(max_workers, items)`` worker tasks take items in submission order. Each item gets one
:class:`RetryState` for all its attempts; each attempt passes the run's :class:`RateGate`, runs
``strategy.execute`` inside an :class:`AttemptContext` under a per-attempt deadline, and is classified on failure
(the processor's classifier, else the strategy's, else :class:`DefaultErrorClassifier`):

* rate limit: every worker pauses (one shared cooldown), then a ramp; the wait does not use an attempt;
* 503 (the service overloaded or down): backoff counted in 503s; it does not use an attempt either, and a run
  whose every attempt for ``RetryConfig.stop_when_unavailable_for`` seconds ended in one stops;
* quota exhausted / not retryable / attempts used up: the item fails;
* with a :class:`Budget`, an attempt whose estimated cost cannot fit fails its item (``BudgetExceededError``)
  without a request; one that fits only once the attempts in flight are billed waits for them;
* an error whose ``ErrorInfo.scope`` is ``"run"`` (an invalid key, a retired model, a spent daily quota): the item
  fails and so does every item not yet sent, with the same error, without a request; finished items are kept;
* otherwise: exponential backoff, then the next attempt.

While the workers run, what the process held before the run is left out of garbage collection
(:func:`~notebookllm.core.heap.frozen_heap`): the collections a run's allocations set off walk only the run's objects.

Whatever raises — ``execute``, ``on_error``, a middleware, an observer, the post-processor, the progress
callback — is logged to the ``"notebookllm"`` logger and the item still ends with exactly one result.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Generic

from .attempt import AttemptContext, _enter, _exit
from .backoff import backoff_delay
from .budget import OVER_BUDGET, Budget
from .classification import DefaultErrorClassifier, ErrorClassifier, ErrorInfo
from .config import ProcessorConfig
from .deadline import Deadline
from .errors import (
    BudgetExceededError,
    ConfigurationError,
    FrameworkTimeoutError,
    InvalidWorkItemError,
    ItemCancelledError,
)
from .events import BaseObserver, ProcessingEvent
from .heap import frozen_heap
from .middleware import BaseMiddleware
from .rate_limit import RateGate
from .redaction import get_logger
from .results import BatchResult, WorkItemResult
from .retry_state import RetryState
from .strategy import LLMCallStrategy, TOutput, _call_execute, _call_on_error
from .tokens import ZERO_USAGE, TokenUsage
from .work_item import LLMWorkItem, TContext, TInput

__all__ = ["ParallelBatchProcessor", "PostProcessor"]

logger = get_logger("notebookllm")

PostProcessor = Callable[[WorkItemResult[Any, Any]], Awaitable[None] | None]

_DEFAULT_CLASSIFIER = DefaultErrorClassifier()
_PREPARE_FAILED = ErrorInfo(retryable=False, category="prepare")
_CANCELLED = ErrorInfo(retryable=False, category="cancelled")
_CLASSIFIER_FAILED = ErrorInfo(retryable=False, category="unknown")
# Most attempts annotate nothing; sharing one read-only empty mapping saves a dict per kept result.
_NO_METADATA: Mapping[str, Any] = MappingProxyType({})
# BaseExceptions that stop the whole run rather than fail one item.
_STOP = (asyncio.CancelledError, KeyboardInterrupt, SystemExit)


class _StrategyRun:
    """What one run knows about one strategy instance: its classifier and whether ``prepare`` has run.

    Each strategy has its own lock, so one slow ``prepare`` does not hold up the others.
    """

    __slots__ = ("attempted", "classifier", "error", "lock", "ready", "strategy")

    def __init__(self, strategy: LLMCallStrategy[Any], classifier: ErrorClassifier | None) -> None:
        self.strategy = strategy
        self.classifier = classifier or strategy.default_error_classifier() or _DEFAULT_CLASSIFIER
        self.ready = False
        self.attempted = False
        self.error: Exception | None = None
        self.lock = asyncio.Lock()

    async def prepare(self) -> Exception | None:
        """Run ``strategy.prepare()`` unless done; returns the exception it raised, if it did."""
        async with self.lock:
            if not self.ready and self.error is None:
                self.attempted = True
                try:
                    await self.strategy.prepare()
                except Exception as exc:
                    logger.exception("prepare() of %s failed; its items fail", type(self.strategy).__name__)
                    self.error = exc
                else:
                    self.ready = True
        return self.error


async def _call_hook(what: str, hook: Callable[..., Any], *args: Any) -> Any:
    """Call a sync or async hook; log and swallow what it raises (returns None then)."""
    try:
        value = hook(*args)
        if inspect.isawaitable(value):
            value = await value
        return value
    except Exception:
        logger.exception("%s raised; ignored", what)
        return None


class _Interrupt(Exception):
    """Carries a KeyboardInterrupt or SystemExit out of an attempt's task to its worker. Raised in a task these
    escape the event loop at once; the worker stops the run in order instead (see ``_worker``)."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc


async def _attempt(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except (KeyboardInterrupt, SystemExit) as exc:
        raise _Interrupt(exc) from None


def _add_cost(total: float | None, metadata: Mapping[str, Any] | None) -> float | None:
    """``total`` plus the cost one attempt annotated (failed attempts are billed too)."""
    value = (metadata or _NO_METADATA).get("cost_usd")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return total
    return value if total is None else total + value


def _with_cost(metadata: Mapping[str, Any] | None, cost: float | None) -> Mapping[str, Any]:
    """The last attempt's annotations, with the cost of every attempt instead of only its own."""
    metadata = metadata or _NO_METADATA
    if cost is None or metadata.get("cost_usd") == cost:
        return metadata
    return {**metadata, "cost_usd": cost}


def _add(total: TokenUsage | None, more: TokenUsage | None) -> TokenUsage | None:
    if more is None:
        return total
    return more if total is None else total + more


class ParallelBatchProcessor(Generic[TInput, TOutput, TContext]):
    """Runs work items on ``config.max_workers`` workers. One processor is one run.

    Args:
        config: the run's settings.
        post_processor: ``fn(result)``, sync or async, called once per finished item (failed ones too) before
            observers and the progress callback see it.
        error_classifier: classifies every strategy's errors; without it each strategy's
            ``default_error_classifier()``, else :class:`DefaultErrorClassifier`.
        middlewares: :class:`BaseMiddleware` hooks around each item.
        observers: :class:`BaseObserver` receivers of :class:`ProcessingEvent` s (e.g. ``MetricsObserver``).
        budget: a :class:`Budget` checked right before each attempt is sent (a spend cap); ``None``: no cap.

    After the run, :attr:`result` holds the :class:`BatchResult` — also after a cancellation, with
    ``interrupted=True`` and an :class:`ItemCancelledError` result for every unfinished item.
    """

    def __init__(
        self,
        config: ProcessorConfig | None = None,
        *,
        post_processor: PostProcessor | None = None,
        error_classifier: ErrorClassifier | None = None,
        middlewares: Iterable[BaseMiddleware] = (),
        observers: Iterable[BaseObserver] = (),
        budget: Budget | None = None,
    ) -> None:
        if config is None:
            config = ProcessorConfig()
        if not isinstance(config, ProcessorConfig):
            raise ConfigurationError(f"config must be a ProcessorConfig, got {type(config).__name__}")
        if budget is not None and not isinstance(budget, Budget):
            raise ConfigurationError(f"budget must be a Budget, got {type(budget).__name__}")
        self.config = config
        # A dry run sends nothing, so it spends nothing.
        self._budget = None if config.dry_run else budget
        self.result: BatchResult[TOutput, TContext] | None = None
        self._post_processor = post_processor
        self._classifier = error_classifier
        self._middlewares = tuple(middlewares)
        self._observers = tuple(observers)
        # labels for the log, built once: _emit runs several times per item
        self._observer_hooks = tuple((f"{type(o).__name__}.on_event", o.on_event) for o in self._observers)
        self._items: list[LLMWorkItem[TInput, TContext]] = []
        self._ids: set[str] = set()
        # Keyed by id() for identity semantics (two equal dataclass strategies are two instances to prepare, and
        # unhashable strategies work); safe because each _StrategyRun holds its strategy, so no id is reused.
        self._runs: dict[int, _StrategyRun] = {}
        self._results: list[WorkItemResult[TOutput, TContext] | None] = []
        self._partial: dict[int, WorkItemResult[TOutput, TContext]] = {}
        self._driver: asyncio.Task[BatchResult[TOutput, TContext]] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._next = 0
        self._completed = 0
        self._stopping = False
        self._halted: tuple[Exception, ErrorInfo] | None = None  # the run-scoped error that stopped the run
        self._halt_signal = asyncio.Event()  # set with _halted: wakes the retries waiting in backoff
        self._unavailable_since: float | None = None  # when the attempts began to end in nothing but 503s
        self._interrupt_exc: BaseException | None = None
        self._stream: deque[WorkItemResult[TOutput, TContext]] | None = None
        self._stream_done = False
        self._waiter: asyncio.Future[None] | None = None

    async def __aenter__(self) -> ParallelBatchProcessor[TInput, TOutput, TContext]:
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        """Leaving the block finishes a run still going; leaving it by an exception cancels the run."""
        if self._driver is None or self._driver.done():
            return
        if exc_type is None:
            await self.process_all()
        else:
            await self._interrupt()

    # -- submitting ---------------------------------------------------------------------------------------

    async def add_work(self, item: LLMWorkItem[TInput, TContext]) -> None:
        """Queue ``item``; never blocks. Raises :class:`InvalidWorkItemError` on a bad or duplicate item."""
        if self._driver is not None:
            raise InvalidWorkItemError(f"item {getattr(item, 'item_id', item)!r}: this processor's run has started")
        if not isinstance(item, LLMWorkItem):
            raise InvalidWorkItemError(f"add_work() takes an LLMWorkItem, got {type(item).__name__}")
        if item.item_id in self._ids:
            raise InvalidWorkItemError(f"duplicate item_id {item.item_id!r}")
        self._ids.add(item.item_id)
        self._items.append(item)
        self._run_for(item.strategy)

    async def add_many(self, items: Iterable[LLMWorkItem[TInput, TContext]]) -> None:
        """``add_work`` for each item of ``items``."""
        for item in items:
            await self.add_work(item)

    def _run_for(self, strategy: LLMCallStrategy[Any]) -> _StrategyRun:
        run = self._runs.get(id(strategy))
        if run is None:
            run = self._runs[id(strategy)] = _StrategyRun(strategy, self._classifier)
        return run

    # -- running ------------------------------------------------------------------------------------------

    async def process_all(self) -> BatchResult[TOutput, TContext]:
        """Run every queued item and return the :class:`BatchResult` (results in submission order).

        Cancelling it (or a KeyboardInterrupt inside the run) cancels the attempts in flight, gives every
        unfinished item an :class:`ItemCancelledError` result, sets :attr:`result` with ``interrupted=True``,
        then re-raises. Calling it again after the run returns :attr:`result`.
        """
        if self._driver is not None and self._driver.done() and self.result is not None:
            return self.result
        return await self._outcome()

    async def as_completed(self) -> AsyncIterator[WorkItemResult[TOutput, TContext]]:
        """Drive the run (the same one ``process_all`` drives) and yield each result as its item finishes.

        When the loop ends, :attr:`result` is set. Leaving the loop early — ``break``, an exception, cancellation,
        KeyboardInterrupt — stops the run once the generator is closed, like cancelling ``process_all``.
        Results finished before this was called are yielded first.
        """
        if self._stream is not None:
            raise RuntimeError("as_completed() is already being consumed for this processor")
        stream = self._stream = deque(r for r in self._results if r is not None)
        self._start()
        loop = asyncio.get_running_loop()
        try:
            while True:
                while stream:
                    yield stream.popleft()
                if self._stream_done:
                    break
                self._waiter = loop.create_future()
                await self._waiter
        except BaseException:
            await self._interrupt()
            raise
        await self._outcome()

    def _start(self) -> asyncio.Task[BatchResult[TOutput, TContext]]:
        if self._driver is None:
            if self._budget is not None:
                self._budget.check(self._items)  # a bad estimator is a ConfigurationError before any request
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        return self._driver

    async def _outcome(self) -> BatchResult[TOutput, TContext]:
        """Wait for the run to end. If this caller is cancelled meanwhile, the run is interrupted first.

        A run interrupted by someone else returns its (interrupted) result; a KeyboardInterrupt raised inside the
        run is re-raised here.
        """
        driver = self._start()
        try:
            await asyncio.wait((driver,))
        except BaseException:
            await self._interrupt()
            raise
        if self._interrupt_exc is not None:
            raise self._interrupt_exc
        assert self.result is not None
        return self.result

    async def _interrupt(self) -> None:
        """Cancel the run if it is still going and wait until it has recorded every result."""
        driver = self._driver
        if driver is None:
            return
        if not driver.done():
            driver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await driver

    async def _drive(self) -> BatchResult[TOutput, TContext]:
        loop = asyncio.get_running_loop()
        config = self.config
        total = len(self._items)
        self._ids.clear()  # only add_work needs it, and no item can be added from now on
        self._results = [None] * total
        self._gate = RateGate(config.rate_limit)
        self._loop = loop
        self._progress = config.progress_callback
        interrupted = False
        try:
            if self._observers:
                await self._emit(ProcessingEvent.PROCESSING_STARTED, {"total": total})
            with frozen_heap():
                self._workers = [loop.create_task(self._worker()) for _ in range(min(config.max_workers, total))]
                if self._workers:
                    await asyncio.wait(self._workers)
        except asyncio.CancelledError:
            interrupted = True
            await self._stop_workers()
        cancelled = self._record_unfinished()
        self.result = BatchResult(self._results, interrupted=interrupted)  # type: ignore[arg-type]
        self._close_stream()
        await self._cleanup()
        for result in cancelled:
            await self._announce(result)
        if self._observers:
            await self._emit(ProcessingEvent.PROCESSING_COMPLETED, {"result": self.result})
        if interrupted:
            raise asyncio.CancelledError
        return self.result

    async def _stop_workers(self) -> None:
        self._stopping = True
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    def _record_unfinished(self) -> list[WorkItemResult[TOutput, TContext]]:
        """Give every item without a result an ItemCancelledError one (keeping what its attempts had billed)."""
        now = time.time()
        recorded = []
        for index, result in enumerate(self._results):
            if result is None:
                item = self._items[index]
                result = self._partial.pop(index, None) or WorkItemResult(
                    item.item_id,
                    False,
                    error=ItemCancelledError(f"item {item.item_id!r} was not finished: the run was interrupted"),
                    error_info=_CANCELLED,
                    started_at=now,
                    finished_at=now,
                    context=item.context,
                )
                self._store(index, result)
                recorded.append(result)
        return recorded

    async def _cleanup(self) -> None:
        for run in self._runs.values():
            if run.attempted:
                await _call_hook(f"cleanup() of {type(run.strategy).__name__}", run.strategy.cleanup)

    async def _worker(self) -> None:
        items = self._items
        total = len(items)
        while not self._stopping:
            index = self._next
            if index >= total:
                return
            self._next = index + 1
            try:
                await self._process(index, items[index])
            except asyncio.CancelledError:
                return
            except (KeyboardInterrupt, SystemExit) as exc:
                # Raised out of a task these would also escape the event loop; stop the run in order instead
                # and let process_all / as_completed re-raise it to the caller.
                self._interrupt_exc = exc
                if self._driver is not None:
                    self._driver.cancel()
                return

    async def _process(self, index: int, item: LLMWorkItem[TInput, TContext]) -> None:
        """Run one item to its single result. Only run-stopping exceptions escape, after recording the item."""
        loop = self._loop
        config = self.config
        retry = config.retry
        gate = self._gate
        budget = self._budget
        observers = self._observers
        started_at = time.time()
        t0 = loop.time()
        state = RetryState()
        attempt = 0  # attempts that count towards max_attempts (a rate-limited or 503 one is handed back)
        rate_limit_waits = 0
        unavailable_waits = 0
        cost: float | None = None  # the estimated cost of every attempt so far, as the strategies annotated it
        usage: TokenUsage | None = None  # billed by failed attempts
        metadata: Mapping[str, Any] = _NO_METADATA
        try:
            if self._middlewares:
                item = await self._before(item)
            run = self._runs.get(id(item.strategy)) or self._run_for(item.strategy)
            if not run.ready and not config.dry_run:
                error = await run.prepare()
                if error is not None:
                    await self._finish(
                        index, self._failure(item, error, _PREPARE_FAILED, 0, usage, metadata, t0, started_at)
                    )
                    return
            while True:
                if not gate.passthrough and await gate.acquire(gate.token_estimate(item.prompt)) and observers:
                    await self._emit(ProcessingEvent.COOLDOWN_ENDED, {})
                hold = None
                if budget is not None:
                    try:
                        hold = await budget.reserve(item)
                    except BudgetExceededError as exc:
                        # An item never sent cost nothing: its row says $0, not "unknown".
                        spent = _with_cost(metadata, 0.0 if cost is None else cost)
                        result = self._failure(
                            item,
                            exc,
                            OVER_BUDGET,
                            attempt,
                            usage,
                            spent,
                            t0,
                            started_at,
                            rate_limit_waits,
                            unavailable_waits,
                        )
                        break
                if self._halted is not None:  # checked after any cooldown wait, right before sending
                    if hold is not None:
                        budget.release(hold)  # type: ignore[union-attr]
                    error, info = self._halted
                    result = self._failure(
                        item,
                        error,
                        info,
                        attempt,
                        usage,
                        metadata,
                        t0,
                        started_at,
                        rate_limit_waits,
                        unavailable_waits,
                    )
                    break
                attempt += 1
                if observers:
                    try:
                        await self._emit(ProcessingEvent.ITEM_STARTED, {"item_id": item.item_id, "attempt": attempt})
                    except BaseException:
                        if hold is not None:  # cancelled before sending: a budget outliving the run stays exact
                            budget.release(hold)  # type: ignore[union-attr]
                        raise
                ctx = AttemptContext(item.item_id, attempt)
                token = _enter(ctx)
                used: TokenUsage | None = None
                error = None
                try:
                    output, raw_usage = await self._call(item, attempt, state)
                    used = TokenUsage.coerce(raw_usage) if raw_usage is not None else ctx.billed or ZERO_USAGE
                except Exception as exc:
                    error = exc
                except BaseException:
                    usage = _add(usage, ctx.billed)
                    cost = _add_cost(cost, ctx.metadata)
                    metadata = _with_cost(ctx.metadata, cost)
                    raise
                else:
                    self._unavailable_since = None
                    cost = _add_cost(cost, ctx.metadata)
                    result = WorkItemResult(
                        item.item_id,
                        True,
                        output,
                        None,
                        None,
                        attempt,
                        used if usage is None else usage + used,
                        _with_cost(ctx.metadata, cost),
                        loop.time() - t0,
                        started_at,
                        time.time(),
                        item.context,
                        rate_limit_waits=rate_limit_waits,
                        unavailable_waits=unavailable_waits,
                    )
                    break
                finally:
                    _exit(token)
                    if hold is not None:
                        # Ended without an answer or an error reply (timed out, cancelled): maybe billed.
                        unsure = (used is None and error is None) or isinstance(error, FrameworkTimeoutError)
                        budget.settle(  # type: ignore[union-attr]
                            hold, ctx.metadata.get("cost_usd"), used or ctx.billed, unsure=unsure
                        )
                usage = _add(usage, ctx.billed)
                cost = _add_cost(cost, ctx.metadata)
                metadata = _with_cost(ctx.metadata, cost)
                info = self._classify(run, error)
                if info.is_unavailable:
                    self._unavailable(error, info)
                else:
                    self._unavailable_since = None
                if info.scope == "run" and self._halted is None:
                    # notebookllm loggers redact secrets themselves (RedactingFilter)
                    logger.error("stopping the run (%s): %s", info.category, error)
                    self._halt(error, info)
                await _call_hook(
                    f"on_error() of {type(item.strategy).__name__}",
                    _call_on_error,
                    item.strategy,
                    error,
                    attempt,
                    state,
                )
                for middleware in self._middlewares:
                    await _call_hook(f"{type(middleware).__name__}.on_error", middleware.on_error, item, error)
                if info.is_rate_limit and not info.is_quota_exhausted:
                    rate_limit_waits += 1
                    attempt -= 1  # turned away, not answered: the wait does not use up an attempt
                    if rate_limit_waits <= config.rate_limit.max_rate_limit_waits:
                        await self._rate_limited(item, attempt + 1, error, info)
                        continue
                elif info.is_unavailable:
                    unavailable_waits += 1
                    attempt -= 1  # turned away, nothing generated or billed: no attempt used up
                    if self._halted is not None:
                        error, info = self._halted
                    elif unavailable_waits <= retry.max_unavailable_waits:
                        await self._back_off(item, attempt + 1, error, info, backoff_delay(retry, unavailable_waits))
                        continue
                elif (
                    info.retryable
                    and not info.is_quota_exhausted
                    and info.scope != "run"
                    and attempt < retry.max_attempts
                ):
                    await self._back_off(item, attempt, error, info, backoff_delay(retry, attempt))
                    continue
                result = self._failure(
                    item, error, info, attempt, usage, metadata, t0, started_at, rate_limit_waits, unavailable_waits
                )
                break
            await self._finish(index, result)
        except _STOP:
            if index not in self._partial and self._results[index] is None:
                self._partial[index] = WorkItemResult(
                    item.item_id,
                    False,
                    error=ItemCancelledError(f"item {item.item_id!r} was interrupted after {attempt} attempt(s)"),
                    error_info=_CANCELLED,
                    attempts=attempt,
                    rate_limit_waits=rate_limit_waits,
                    unavailable_waits=unavailable_waits,
                    token_usage=usage or ZERO_USAGE,
                    metadata=metadata,
                    latency_s=loop.time() - t0,
                    started_at=started_at,
                    finished_at=time.time(),
                    context=item.context,
                )
            raise

    async def _call(self, item: LLMWorkItem[TInput, TContext], attempt: int, state: RetryState) -> Any:
        """One attempt, in a task of its own, under the per-attempt deadline; our own timeout becomes
        FrameworkTimeoutError.

        Why a task per attempt, when the worker could await the call itself: measured end to end through the SDK
        (2,000 requests, 200 workers, client CPU saturated, 8 interleaved rounds), workers that await each request
        directly reach 0.92x the items/s of a ``Semaphore`` + ``gather`` loop, workers that await it as a task
        1.01x; this processor went from 0.87-0.91x to 0.96-0.97x (medians of 10 alternating rounds, twice). The cause
        is not pinned down (connections, selector wake-ups per item and GC time are the same in both shapes). The
        task also gives the deadline its own target: it cancels the attempt, never the worker.
        """
        timeout = self.config.timeout_per_item
        if self.config.dry_run:
            coro = item.strategy.dry_run(item.prompt)
        else:
            coro = _call_execute(item.strategy, item.prompt, attempt, timeout, state)
        loop = self._loop
        task = loop.create_task(_attempt(coro))
        deadline = Deadline(loop, task, loop.time() + timeout)
        try:
            return await task
        except asyncio.CancelledError:
            if deadline.expired() and not self._stopping:
                raise FrameworkTimeoutError(item.item_id, attempt, timeout) from None
            raise
        except _Interrupt as interrupt:
            raise interrupt.exc from None
        finally:
            deadline.disarm()

    def _classify(self, run: _StrategyRun, error: BaseException) -> ErrorInfo:
        try:
            return run.classifier.classify(error)
        except Exception:
            logger.exception("error classifier %s raised; the item is not retried", type(run.classifier).__name__)
            return _CLASSIFIER_FAILED

    def _halt(self, error: Exception, info: ErrorInfo) -> None:
        """Stop sending: every item not yet sent, or waiting to be sent again, ends failed with ``error``."""
        self._halted = (error, info)
        self._halt_signal.set()

    def _unavailable(self, error: Exception, info: ErrorInfo) -> None:
        """Count a 503 towards the streak that, at ``stop_when_unavailable_for`` seconds, stops the run."""
        now = self._loop.time()
        since = self._unavailable_since
        if since is None:
            self._unavailable_since = now
            return
        limit = self.config.retry.stop_when_unavailable_for
        if limit is not None and now - since >= limit and self._halted is None:
            logger.error(
                "stopping the run: every attempt for %.0f s ended in a 503 (unavailable): %s", now - since, error
            )
            self._halt(error, replace(info, retryable=False, scope="run"))

    async def _back_off(
        self, item: LLMWorkItem[TInput, TContext], attempt: int, error: Exception, info: ErrorInfo, wait: float
    ) -> None:
        """Wait ``wait`` seconds before the item's next attempt, or until the run is stopped."""
        if self._observers:
            await self._emit(
                ProcessingEvent.ITEM_RETRYING,
                {"item_id": item.item_id, "attempt": attempt, "error": error, "error_info": info, "wait": wait},
            )
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._halt_signal.wait(), wait)

    async def _rate_limited(
        self, item: LLMWorkItem[TInput, TContext], attempt: int, error: Exception, info: ErrorInfo
    ) -> None:
        seconds = self._gate.start_cooldown(info.retry_after)
        if self._observers:
            await self._emit(
                ProcessingEvent.RATE_LIMIT_HIT,
                {"item_id": item.item_id, "attempt": attempt, "error": error, "error_info": info},
            )
            if seconds is not None:
                until = self._loop.time() + seconds
                await self._emit(ProcessingEvent.COOLDOWN_STARTED, {"seconds": seconds, "until": until})

    def _failure(
        self,
        item: LLMWorkItem[TInput, TContext],
        error: Exception,
        info: ErrorInfo,
        attempts: int,
        usage: TokenUsage | None,
        metadata: Mapping[str, Any],
        t0: float,
        started_at: float,
        rate_limit_waits: int = 0,
        unavailable_waits: int = 0,
    ) -> WorkItemResult[TOutput, TContext]:
        return WorkItemResult(
            item.item_id,
            False,
            None,
            error,
            info,
            attempts,
            usage or ZERO_USAGE,
            metadata,
            self._loop.time() - t0,
            started_at,
            time.time(),
            item.context,
            rate_limit_waits=rate_limit_waits,
            unavailable_waits=unavailable_waits,
        )

    # -- hooks --------------------------------------------------------------------------------------------

    async def _before(self, item: LLMWorkItem[TInput, TContext]) -> LLMWorkItem[TInput, TContext]:
        for middleware in self._middlewares:
            replaced = await _call_hook(f"{type(middleware).__name__}.before_process", middleware.before_process, item)
            if replaced is None:
                continue
            if not isinstance(replaced, LLMWorkItem) or replaced.item_id != item.item_id:
                logger.error("%s.before_process returned %r; ignored", type(middleware).__name__, replaced)
                continue
            item = replaced
        return item

    async def _finish(self, index: int, result: WorkItemResult[TOutput, TContext]) -> None:
        """Record a finished item's result, then let the hooks see it."""
        if self._middlewares or self._post_processor is not None:
            # Parked first: if the run is cancelled while a hook runs, the item keeps this result.
            self._partial[index] = result
            for middleware in reversed(self._middlewares):
                replaced = await _call_hook(
                    f"{type(middleware).__name__}.after_process", middleware.after_process, result
                )
                if isinstance(replaced, WorkItemResult) and replaced.item_id == result.item_id:
                    result = self._partial[index] = replaced
            if self._post_processor is not None:
                await _call_hook("post_processor", self._post_processor, result)
            del self._partial[index]
        self._store(index, result)
        await self._announce(result)

    def _store(self, index: int, result: WorkItemResult[TOutput, TContext]) -> None:
        self._results[index] = result
        self._completed += 1
        stream = self._stream
        if stream is not None:
            stream.append(result)
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _close_stream(self) -> None:
        self._stream_done = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _announce(self, result: WorkItemResult[TOutput, TContext]) -> None:
        """Observers, then the progress callback — for every item, the last one included."""
        if self._observers:
            event = ProcessingEvent.ITEM_COMPLETED if result.success else ProcessingEvent.ITEM_FAILED
            await self._emit(event, {"item_id": result.item_id, "result": result})
        if self._progress is not None:
            await _call_hook("progress_callback", self._progress, self._completed, len(self._items), result.item_id)

    async def _emit(self, event: ProcessingEvent, data: dict[str, Any]) -> None:
        for label, on_event in self._observer_hooks:
            await _call_hook(label, on_event, event, data)
