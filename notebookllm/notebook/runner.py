"""``nl.arun`` / ``nl.run``: a DataFrame (or list) in, :class:`~notebookllm.notebook.results.Results` out.

Everything is checked before the first request: options (:class:`ConfigurationError`), then every row
(:class:`InvalidWorkItemError` naming the row or column). Then the store answers what it already has, the
processor runs the rest with a live progress display, and every finished item is committed as it finishes.

Interrupting (Ctrl+C, or the Jupyter stop button) cancels the requests in flight and returns the results that
finished, with the unfinished rows failed as ``ItemCancelledError`` and ``results.interrupted`` set; running the
same call again requests only those. (An ``await nl.arun`` cancelled by code, e.g. a timeout, outside Jupyter
re-raises the cancellation as asyncio expects; what finished is in the store.)

Example:
    >>> import notebookllm as nl
    >>> strategy = nl.GeminiStrategy(nl.connect(), include_metadata=True)  # doctest: +SKIP
    >>> results = await nl.arun(df, prompt="Classify this review: {review}", strategy=strategy,  # doctest: +SKIP
    ...                         max_workers=32, rpm=600)
    >>> results = nl.run(df, prompt="Classify this review: {review}", strategy=strategy)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.budget import check_caps
from ..core.classification import DefaultErrorClassifier, ErrorClassifier, ErrorInfo
from ..core.config import ProcessorConfig, RateLimitConfig, RetryConfig
from ..core.errors import ConfigurationError, ItemCancelledError
from ..core.events import BaseObserver
from ..core.middleware import BaseMiddleware
from ..core.processor import ParallelBatchProcessor, PostProcessor
from ..core.results import BatchResult, WorkItemResult
from ..core.strategy import LLMCallStrategy, fingerprint_digest
from ..core.work_item import LLMWorkItem
from ..environment import in_jupyter_kernel
from ..media import MultimodalPrompt
from ..sync import run_sync, user_interrupted
from .inputs import Data, PromptSpec, build_items
from .model_versions import warn_if_version_changed
from .observed_limits import pace_at_observed, recorder_for
from .progress import Progress, check_progress_option, make_progress
from .results import RESULT_DTYPES, Results

if TYPE_CHECKING:
    from ..core.budget import Budget
    from ..store import RunSession, Store
    from .deadline import DeadlineOutcome
    from .spend import GeminiSpend

__all__ = ["RunInterruptedWarning", "RunOptions", "arun", "run"]


class RunInterruptedWarning(UserWarning):
    """A run was interrupted; the results returned hold what finished."""


@dataclass(frozen=True)
class RunOptions:
    """Everything about how to run, validated; shared by ``arun``, ``compare`` and ``retry_failed``."""

    config: ProcessorConfig
    progress: Any = True
    cache: str = "rw"
    run_name: str | None = None
    store: Any = None
    post_processor: PostProcessor | None = None
    error_classifier: ErrorClassifier | None = None
    middlewares: tuple[BaseMiddleware, ...] = ()
    observers: tuple[BaseObserver, ...] = ()
    max_cost: float | None = None
    max_tokens: int | None = None
    deadline: datetime | None = None

    @property
    def capped(self) -> bool:
        """A spend cap is set (and the run sends requests: a dry run spends nothing)."""
        return (self.max_cost is not None or self.max_tokens is not None) and not self.config.dry_run

    @classmethod
    def build(
        cls,
        *,
        max_workers: int = 16,
        rpm: float | None = None,
        tpm: int | None = None,
        max_attempts: int | None = None,
        timeout: float | None = None,
        retry: RetryConfig | None = None,
        rate_limit: RateLimitConfig | None = None,
        dry_run: bool = False,
        progress: Any = True,
        cache: Any = True,
        run: str | None = None,
        store: Any = None,
        post_processor: PostProcessor | None = None,
        error_classifier: ErrorClassifier | None = None,
        middlewares: Iterable[BaseMiddleware] = (),
        observers: Iterable[BaseObserver] = (),
        max_cost: float | None = None,
        max_tokens: int | None = None,
        deadline: datetime | timedelta | float | None = None,
    ) -> RunOptions:
        """Validate the keyword options of ``nl.run``; raises :class:`ConfigurationError` naming the bad one."""
        from .deadline import resolve_deadline

        retry = _override(retry or RetryConfig(), max_attempts=max_attempts)
        rate_limit = _override(rate_limit or RateLimitConfig(), requests_per_minute=rpm, tokens_per_minute=tpm)
        config_fields: dict[str, Any] = {"max_workers": max_workers, "retry": retry, "rate_limit": rate_limit}
        if timeout is not None:
            config_fields["timeout_per_item"] = timeout
        config = ProcessorConfig(**config_fields, dry_run=_flag("dry_run", dry_run))
        check_progress_option(progress)
        if run is not None and (not isinstance(run, str) or not run):
            raise ConfigurationError(f"run must be a non-empty name, got {run!r}")
        if store is not None and not isinstance(store, (str, Path)) and not _is_store(store):
            raise ConfigurationError(f"store must be a path or a Store, got {type(store).__name__}")
        check_caps(max_cost, max_tokens)
        return cls(
            config=config,
            progress=progress,
            # A dry run's placeholder outputs must never be stored as answers.
            cache="off" if dry_run else _cache_mode(cache),
            run_name=run,
            store=store,
            post_processor=post_processor,
            error_classifier=error_classifier,
            middlewares=tuple(middlewares),
            observers=tuple(observers),
            max_cost=max_cost,
            max_tokens=max_tokens,
            deadline=resolve_deadline(deadline),
        )

    def open_store(self) -> Store:
        """The store ``store=`` names (a :class:`~notebookllm.Store`, a path, or the project's default), open."""
        from ..store import Store

        return self.store if _is_store(self.store) else Store.open(self.store)

    def updated(self, **options: Any) -> RunOptions:
        """A copy with some ``nl.run`` keyword options changed (used by ``retry_failed(**options)``).

        A :class:`Progress` instance is not reused (it drew its run); the copy gets a new display. The deadline
        is kept as it is (it may have passed since: a rerun runs online) unless ``deadline=`` is given.
        """
        config = self.config
        current: dict[str, Any] = {
            "max_workers": config.max_workers,
            "timeout": config.timeout_per_item,
            "retry": config.retry,
            "rate_limit": config.rate_limit,
            "dry_run": config.dry_run,
            "progress": self.progress,
            "cache": self.cache,
            "run": self.run_name,
            "store": self.store,
            "post_processor": self.post_processor,
            "error_classifier": self.error_classifier,
            "middlewares": self.middlewares,
            "observers": self.observers,
            "max_cost": self.max_cost,
            "max_tokens": self.max_tokens,
        }
        unknown = set(options) - set(current) - {"max_attempts", "rpm", "tpm", "deadline"}
        if unknown:
            raise ConfigurationError(f"unknown option{'s' if len(unknown) > 1 else ''}: {', '.join(sorted(unknown))}")
        if isinstance(current["progress"], Progress):
            current["progress"] = True  # a display draws one run only
        built = RunOptions.build(**{**current, **options})
        return built if "deadline" in options else dataclasses.replace(built, deadline=self.deadline)


def _override(model: Any, **values: Any) -> Any:
    """``model`` with the given (non-None) fields replaced, validated again."""
    values = {k: v for k, v in values.items() if v is not None}
    return type(model)(**{**model.model_dump(), **values}) if values else model


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be True or False, got {value!r}")
    return value


def _cache_mode(value: Any) -> str:
    from ..store import CacheMode

    try:
        return CacheMode.coerce(value).value
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def _is_store(value: Any) -> bool:
    from ..store import Store

    return isinstance(value, Store)


# ------------------------------------------------------------------------------------------------ public API
async def arun(
    data: Data,
    *,
    prompt: PromptSpec | None = None,
    strategy: LLMCallStrategy[Any] | None = None,
    model: str | None = None,
    id_column: str | None = None,
    max_workers: int = 16,
    rpm: float | None = None,
    tpm: int | None = None,
    max_attempts: int | None = None,
    timeout: float | None = None,
    retry: RetryConfig | None = None,
    rate_limit: RateLimitConfig | None = None,
    dry_run: bool = False,
    progress: bool | str | Progress = True,
    cache: bool | str = True,
    run: str | None = None,
    store: str | Path | Store | None = None,
    post_processor: PostProcessor | None = None,
    error_classifier: ErrorClassifier | None = None,
    middlewares: Iterable[BaseMiddleware] = (),
    observers: Iterable[BaseObserver] = (),
    mode: str = "online",
    max_cost: float | None = None,
    max_tokens: int | None = None,
    deadline: datetime | timedelta | float | None = None,
) -> Results:
    """Run ``prompt`` over every row of ``data`` and return :class:`Results` (one row per input, in order).

    Args:
        data: a DataFrame, a list/Series of strings (column ``text``), a list of dicts, or a list of
            ``LLMWorkItem`` (see :mod:`notebookllm.notebook.inputs`).
        prompt: a template (``"Classify: {review}"``) or a function ``row -> str``. A field whose cell holds a
            file (``Path``, ``bytes``, a Pillow image, ``nl.File``) puts that file in the prompt at its place.
        strategy: the :class:`LLMCallStrategy` to call; without one, ``GeminiStrategy(model=model)`` on the
            client of the last ``nl.connect()`` (the embedded emulator when no API key is set).
        model: the Gemini model for that default strategy.
        id_column: the column holding each row's id (default: the index).
        max_workers: requests in flight at once.
        rpm / tpm: client-side requests- and tokens-per-minute limits. Given neither, a run with a store and one
            ``GeminiStrategy`` paces at the per-minute limits Google last reported in a 429 for its model and key
            (said in one line; see :mod:`notebookllm.notebook.observed_limits`).
        max_attempts: attempts per item, 429s and 503s not counted (default 5, google-genai's own);
            ``retry`` / ``rate_limit`` give full control through :class:`RetryConfig` / :class:`RateLimitConfig`.
        timeout: seconds one attempt may take.
        dry_run: call each strategy's ``dry_run`` instead: nothing is sent, billed or stored.
        progress: ``True`` (widget in Jupyter, a line on a terminal, else nothing), ``False``, ``"widget"``,
            ``"text"``, or a :class:`Progress` instance to keep a handle on.
        cache: ``True``/``"rw"`` (answer from the store what it has, store what finishes), ``"read"``,
            ``"refresh"``, ``False``/``"off"``.
        run: a name for the run; re-running with the same name resumes it. Without one the run is recognised by
            a fingerprint of its items.
        store: the store's SQLite path (default ``.notebookllm/store.sqlite`` under the working directory) or a
            ``Store``.
        post_processor, error_classifier, middlewares, observers: passed to the processor.
        mode: ``"online"`` (requests as above) or ``"batch"``: the rows the store does not answer go to the Gemini
            Batch API as one job at the batch price (one ``GeminiStrategy``; the progress display shows the job's
            state). Interrupted, the job goes on; running the same call again re-attaches to it instead of
            submitting it again (the job ledger in the store). ``"auto"``: online or batch, chosen from how long
            the rows the store does not answer would take online at these limits, and said in one line before
            anything is sent (see :mod:`notebookllm.notebook.auto`).
        max_cost / max_tokens: a spend cap in US dollars / tokens (input + output + thinking) for what this run
            sends; rows the store answers are free. No request is sent whose estimated cost (countTokens of its
            prompt, ``max_output_tokens`` or the store's longest reply; see :mod:`notebookllm.notebook.spend`)
            would take the run past the cap, counting requests in flight at their estimate until billed. Rows
            not sent fail with ``BudgetExceededError``; the progress display and ``summary()`` show spent / cap;
            running the same call with a higher cap sends only those rows. ``mode="batch"``: a job cannot be
            stopped midway, so it takes the rows, in order, whose estimates at the batch price fit the cap, and
            the rest fail unsent. A ``GeminiCachedStrategy``'s context cache counts too: its tokens at the cached
            price in every request, and creating and storing it for its TTL, counted before the first request (a
            cap too small for that is refused before the cache is created).
        deadline: with ``mode="batch"`` (or ``"auto"``), when the results are needed: an aware ``datetime``, a
            naive one (local time), a ``timedelta`` or seconds from now. If the job is not done in time for the
            rows it has not answered to finish online before it (at these limits, with a safety margin), it is
            cancelled, what it answered is kept and the rest runs online; no row is paid twice.
            ``results.deadline`` says what happened (see :mod:`notebookllm.notebook.deadline`). ``"auto"`` takes
            it into account in its choice.

    Raises:
        ConfigurationError: a bad option or an option that does not fit the data — before any request.
        InvalidWorkItemError: a bad row (empty prompt, missing value, duplicate id) — before any request.
    """
    options = RunOptions.build(
        max_workers=max_workers,
        rpm=rpm,
        tpm=tpm,
        max_attempts=max_attempts,
        timeout=timeout,
        retry=retry,
        rate_limit=rate_limit,
        dry_run=dry_run,
        progress=progress,
        cache=cache,
        run=run,
        store=store,
        post_processor=post_processor,
        error_classifier=error_classifier,
        middlewares=middlewares,
        observers=observers,
        max_cost=max_cost,
        max_tokens=max_tokens,
        deadline=deadline,
    )
    if strategy is not None and model is not None:
        raise ConfigurationError("pass either strategy= or model=, not both")
    if mode not in ("online", "batch", "auto"):
        raise ConfigurationError(f"mode must be 'online', 'batch' or 'auto', got {mode!r}")
    if options.deadline is not None:
        from .deadline import check_deadline_mode

        check_deadline_mode(options, mode)
    if strategy is None and not _are_work_items(data):
        strategy = default_strategy(model)
    inputs, items = build_items(data, prompt=prompt, strategy=strategy, id_column=id_column)
    _warn_renamed_columns(inputs)
    if mode != "batch":
        options = pace_at_observed(items, options)
    if mode == "auto":
        from .auto import choose_mode

        choice = choose_mode(items, options)
        print(choice)  # one line, before anything is sent: what was chosen and why
        mode = choice.mode
    if mode == "batch" and not options.config.dry_run:
        outcome = await run_batch_items(items, options)
        return outcome.results_for(inputs, items, options)
    return await _run_job(inputs, items, options)


def run(data: Data, **options: Any) -> Results:
    """:func:`arun`, synchronously: in a script (its own event loop) and inside Jupyter's running loop.

    Same arguments as :func:`arun`. Example: ``results = nl.run(df, prompt="Summarise: {text}", strategy=s)``.
    """
    return run_sync(arun(data, **options))


def default_strategy(model: str | None = None) -> LLMCallStrategy[Any]:
    """``GeminiStrategy(model=model, include_metadata=True)`` on the default client (see ``nl.connect``)."""
    from ..gemini import GeminiStrategy

    return GeminiStrategy(model=model, include_metadata=True)


def _are_work_items(data: Any) -> bool:
    return isinstance(data, Sequence) and bool(data) and isinstance(data[0], LLMWorkItem)


def _warn_renamed_columns(inputs: pd.DataFrame) -> None:
    clashes = [c for c in inputs.columns if c in RESULT_DTYPES]
    if clashes:
        warnings.warn(
            f"input column{'s' if len(clashes) > 1 else ''} {', '.join(map(repr, clashes))} shown as "
            f"{', '.join(repr(f'input_{c}') for c in clashes)} in results.df (the results use those names)",
            UserWarning,
            stacklevel=3,
        )


# ------------------------------------------------------------------------------------------------ running
@dataclass(frozen=True)
class RunOutcome:
    """The results of a list of items, in their order, and how the run went."""

    results: list[WorkItemResult[Any, Any]]
    interrupted: bool
    wall_s: float
    progress: Progress | None
    store_warning: str | None = None
    budget: str | None = None
    requests_today: dict[str, int] | None = None
    deadline: DeadlineOutcome | None = None

    def results_for(
        self, inputs: pd.DataFrame, items: list[LLMWorkItem[Any, Any]], options: RunOptions, start: int = 0
    ) -> Results:
        """:class:`Results` of the input rows, whose items are ``items[start:start + len(inputs)]``.

        ``retry_failed`` on them reruns those items with ``options``.
        """
        mine = items[start : start + len(inputs)]

        async def rerun(base: Results, positions: list[int], overrides: dict[str, Any]) -> Results:
            again = await run_items([mine[p] for p in positions], options.updated(**overrides))
            return base.merged(
                positions,
                again.results,
                interrupted=again.interrupted,
                progress=again.progress,
                store_warning=again.store_warning,
                budget=again.budget,
                requests_today=again.requests_today,
            )

        return Results(
            inputs,
            self.results[start : start + len(inputs)],
            interrupted=self.interrupted,
            wall_s=self.wall_s,
            progress=self.progress,
            rerun=rerun,
            store_warning=self.store_warning,
            budget=self.budget,
            requests_today=self.requests_today,
            deadline=self.deadline,
        )


async def _run_job(inputs: pd.DataFrame, items: list[LLMWorkItem[Any, Any]], options: RunOptions) -> Results:
    outcome = await run_items(items, options)
    return outcome.results_for(inputs, items, options)


async def run_items(items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions) -> RunOutcome:
    """Run ``items`` (already validated) with ``options``; results in item order.

    Returns normally after a user interrupt (``interrupted=True``); re-raises a cancellation that did not come
    from the user, and any other exception, after drawing the final progress state.
    """
    items = list(items)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    options = pace_at_observed(items, options)  # a no-op when arun paced them already
    spend = run_spend(items, options)  # a cap it cannot estimate is refused before the run begins
    session = _begin_session(items, options)
    finished = session.finished if session is not None else {}
    _remember_uploads_in_run_store(items, options)  # all items: a row another run leaves may come back here
    progress = make_progress(options.progress)
    if progress is not None:
        progress.start(len(items), finished.values(), options.config.max_workers)
        _show_store_warning(progress, session)
        if spend is not None:
            progress.set_budget(spend.budget)
    fresh: dict[str, WorkItemResult[Any, Any]] = {}
    processor: ParallelBatchProcessor[Any, Any, Any] | None = None
    status = "failed"
    try:
        to_run: list[LLMWorkItem[Any, Any]] | None = session.pending if session is not None else items
        while to_run is not None:
            if to_run:
                if spend is not None:
                    await spend.prepare(to_run)  # a cap too small for a context cache is refused before it exists
                processor = _processor(to_run, options, progress, spend)
                async with processor:
                    await processor.add_many(to_run)
                    # Results arrive here as they finish (no per-item events: those cost more than the whole display).
                    async for result in processor.as_completed():
                        _deliver(result, session, progress)
                fresh.update((r.item_id, r) for r in processor.result.results)  # type: ignore[union-attr]
            to_run = await _take_others(session, progress)
        status = "done"
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        status = "interrupted"
        if not _keep_going_after(exc):
            raise
    finally:
        batch = processor.result if processor is not None else None
        await _finish(progress, session, status, batch)
    if batch is not None:
        fresh.update((r.item_id, r) for r in batch.results)
    ordered = [
        finished[i.item_id] if i.item_id in finished else fresh[i.item_id] if i.item_id in fresh else _unfinished(i)
        for i in items
    ]
    if status == "interrupted":
        done = sum(1 for r in ordered if not isinstance(r.error, ItemCancelledError))
        warnings.warn(
            f"run interrupted: {done:,} of {len(ordered):,} items finished and are kept; "
            "the others are marked ItemCancelledError (run the same call again to finish them)",
            RunInterruptedWarning,
            stacklevel=2,
        )
    if spend is not None:
        spend.settle_caches()
    budget = None if spend is None else budget_line(spend.budget)
    requests_today = _check_against_store(session, options, fresh.values())
    return RunOutcome(
        ordered, status == "interrupted", loop.time() - t0, progress, _store_warning(session), budget, requests_today
    )


async def run_batch_items(
    items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions, spend: GeminiSpend | None = None
) -> RunOutcome:
    """Run ``items`` as one Gemini batch job (see ``arun(mode="batch")``): the store answers what it has, the rest
    is submitted (or re-attached to through the job ledger), waited for and recorded like an online run.

    Under a spend cap (``spend``: shared by several jobs, else the run's own) only the rows whose estimates fit
    are submitted; the others fail unsent (:meth:`GeminiSpend.admit`)."""
    from ..gemini.batch import GeminiBatch, job_state
    from ..store.ledger import BatchLedger
    from .deadline import run_before_deadline

    items = list(items)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    if spend is None:
        spend = run_spend(items, options, batch=True)
    session = _begin_session(items, options)
    finished = session.finished if session is not None else {}
    pending = session.pending if session is not None else items
    _remember_uploads_in_run_store(items, options)
    unanswered = [*pending, *(session.waiting if session is not None else ())]
    batch = None
    if unanswered:  # built first: a strategy batch mode cannot use is refused before anything is shown or sent
        store = options.open_store()
        batch = GeminiBatch(unanswered[0].strategy, ledger=BatchLedger(store))  # type: ignore[arg-type]
    progress = make_progress(options.progress)

    def show_state(job: Any) -> None:
        if progress is not None:
            progress.set_phase(f"batch job {job.name}: {job_state(job)}")

    if progress is not None:
        progress.start(len(items), finished.values())
        if spend is not None:
            progress.set_budget(spend.budget)
    status = "failed"
    fresh: list[WorkItemResult[Any, Any]] = []
    deadline = None
    try:
        to_run: list[LLMWorkItem[Any, Any]] | None = pending
        while to_run is not None:
            if to_run and spend is not None:
                to_run, refused = await spend.admit(to_run)  # decided before the job: it cannot be stopped midway
                for result in refused:
                    _deliver(result, session, progress)
                fresh += refused
            if to_run and batch is not None and options.deadline is not None:
                job_results, deadline = await run_before_deadline(
                    batch, to_run, options, session, progress, show_state, spend
                )
                fresh += job_results
            elif to_run and batch is not None:
                job_results = await batch.arun_items(to_run, on_state=show_state)
                if spend is not None:
                    spend.settle(job_results)
                for result in job_results:
                    _deliver(result, session, progress)
                fresh += job_results
            to_run = await _take_others(session, progress)  # a cell run twice at once submits one job
        status = "done"
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"  # the job goes on; the same call again re-attaches to it
        raise
    finally:
        await _finish(progress, session, status, None)
    by_id = {result.item_id: result for result in fresh}
    ordered = [finished[i.item_id] if i.item_id in finished else by_id[i.item_id] for i in items]
    budget = None if spend is None else budget_line(spend.budget)
    requests_today = _check_against_store(session, options, fresh)
    return RunOutcome(
        ordered, False, loop.time() - t0, progress, _store_warning(session), budget, requests_today, deadline
    )


def _check_against_store(
    session: RunSession | None, options: RunOptions, fresh: Iterable[WorkItemResult[Any, Any]]
) -> dict[str, int] | None:
    """After a run with a store: warn once when a model answered as another version than its stored rows, and
    count the requests each model answered today (``None`` without a store)."""
    if session is None:
        return None
    store = options.open_store()
    warn_if_version_changed(fresh, store)
    return store.requests_today()


async def _finish(
    progress: Progress | None, session: RunSession | None, status: str, batch: BatchResult | None
) -> None:
    """Record, commit and draw the end of a run. A run cut short may have finished items the loop never saw.

    Drawn after the commit, so that a store whose file refused the last rows says so in the final line.
    """
    cut_short = status != "done" and batch is not None
    if cut_short and session is not None:
        for result in batch.results:  # recording one twice is harmless; losing a paid answer is not
            session.record_nowait(result)
    try:
        await _flush(session)
    finally:
        if progress is not None:
            _draw_end(progress, session, status, batch if cut_short else None)


def _draw_end(progress: Progress, session: RunSession | None, status: str, batch: BatchResult | None) -> None:
    _show_store_warning(progress, session)
    recount = None
    if batch is not None:
        cached = session.finished.values() if session is not None else ()
        recount = [*cached, *batch.results]
    progress.finish(status, recount)  # type: ignore[arg-type]


def _deliver(result: WorkItemResult[Any, Any], session: RunSession | None, progress: Progress | None) -> None:
    """A finished result: committed (grouped, off the loop) and shown."""
    if session is not None:
        session.record_nowait(result)
    if progress is not None:
        progress.item_finished(result)


async def _take_others(session: RunSession | None, progress: Progress | None) -> list[LLMWorkItem[Any, Any]] | None:
    """Items another run of the same job is requesting: show the answers it stored, return the items it left to
    request now (possibly none yet); ``None`` once nothing waits on another run."""
    if session is None or not session.waiting:
        return None
    restored, to_run = await session.await_others()
    if progress is not None:
        for result in restored:
            progress.item_finished(result)
    return to_run


def _processor(
    items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions, progress: Progress | None, spend: GeminiSpend | None
) -> ParallelBatchProcessor[Any, Any, Any]:
    return ParallelBatchProcessor(
        options.config,
        post_processor=options.post_processor,
        error_classifier=_classifier(items, options, progress),
        middlewares=options.middlewares,
        observers=options.observers,
        budget=None if spend is None else spend.budget,
    )


def run_spend(items: list[LLMWorkItem[Any, Any]], options: RunOptions, *, batch: bool = False) -> GeminiSpend | None:
    """The run's spend cap and its estimator, when it has one (the store's history bounds the replies);
    ``batch``: priced for Batch API jobs."""
    if not options.capped:
        return None
    from .spend import GeminiSpend

    store = None
    if options.cache != "off":
        store = options.open_store()
    return GeminiSpend.create(
        items,
        max_cost=options.max_cost,
        max_tokens=options.max_tokens,
        store=store,
        workers=options.config.max_workers,
        batch=batch,
    )


def budget_line(budget: Budget) -> str:
    """``"$0.0480 / $0.05 · 12 rows not sent"``: what a capped run spent, and what it left for a higher cap."""
    refused = f" · {budget.refused:,} row{'s' if budget.refused != 1 else ''} not sent" if budget.refused else ""
    return budget.text() + refused


def _store_warning(session: RunSession | None) -> str | None:
    return session.store_warning if session is not None else None


def _show_store_warning(progress: Progress, session: RunSession | None) -> None:
    """While the store's file is not taking results, every run says so in its progress line."""
    warning = _store_warning(session)
    if warning:
        progress.set_phase(f"⚠ {warning}")


class _RetryWatcher(ErrorClassifier):
    """Classifies with the classifier the processor would have used, and shows retries and cooldowns live.

    Classification happens once per failed attempt only, so this costs nothing on the success path (an observer
    would see two events per item).
    """

    def __init__(self, delegate: ErrorClassifier, progress: Progress, rate_limit: RateLimitConfig) -> None:
        self._delegate = delegate
        self._progress = progress
        self._rate_limit = rate_limit

    def classify(self, exc: BaseException) -> ErrorInfo:
        info = self._delegate.classify(exc)
        cooldown = None
        if info.is_rate_limit and not info.is_quota_exhausted:
            # The processor's rule for the pause (RateLimitConfig): the server's delay, else the default, capped.
            wait = info.retry_after if info.retry_after is not None else self._rate_limit.cooldown_seconds
            cooldown = min(wait, self._rate_limit.max_cooldown_seconds)
        self._progress.attempt_failed(exc, info, cooldown)
        return info


def _classifier(
    items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions, progress: Progress | None
) -> ErrorClassifier | None:
    """The classifier to give the processor: the user's, wrapped to feed the progress display and to remember the
    limits 429s report (:mod:`notebookllm.notebook.observed_limits`) when it can be.

    Wrapping is exact when there is one classifier for the whole run: the user's, or the one strategy's own.
    With several strategies and no explicit classifier each keeps its own, and retries show when items finish.
    """
    delegate = options.error_classifier
    if delegate is None:
        strategies = {id(i.strategy): i.strategy for i in items}
        if len(strategies) != 1:
            return None
        (strategy,) = strategies.values()
        delegate = strategy.default_error_classifier() or DefaultErrorClassifier()
    if progress is not None:
        delegate = _RetryWatcher(delegate, progress, options.config.rate_limit)
    return recorder_for(delegate, items, options)


def _keep_going_after(exc: BaseException) -> bool:
    """Whether an interruption is the user's (return what finished) rather than code cancelling us (re-raise).

    Ctrl+C reaches us as KeyboardInterrupt, as a cancellation by :func:`run_sync`'s SIGINT handler, or — for
    ``await`` in a Jupyter cell — as the kernel cancelling the cell's task.
    """
    if isinstance(exc, KeyboardInterrupt):
        return True
    task = asyncio.current_task()
    if not (user_interrupted(task) or in_jupyter_kernel()):
        return False
    uncancel = getattr(task, "uncancel", None)  # Python 3.11+: the cancellation is handled, not pending
    if uncancel is not None:
        uncancel()
    return True


async def _flush(session: RunSession | None) -> None:
    # Even when the run was cancelled the results recorded so far must reach the disk; shield the flush from a
    # second cancellation arriving while it runs.
    if session is not None:
        await asyncio.shield(session.close())


def _unfinished(item: LLMWorkItem[Any, Any]) -> WorkItemResult[Any, Any]:
    now = time.time()
    error = ItemCancelledError(f"item {item.item_id!r} was not started: the run was interrupted")
    return WorkItemResult(item.item_id, False, error=error, started_at=now, finished_at=now, context=item.context)


def _begin_session(items: list[LLMWorkItem[Any, Any]], options: RunOptions) -> RunSession | None:
    if options.cache == "off":
        return None

    store = options.open_store()
    return store.begin_run(
        items,
        run_name=options.run_name,
        run_fingerprint=None if options.run_name else run_fingerprint(items),
        cache_mode=options.cache,
    )


def _remember_uploads_in_run_store(items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions) -> None:
    """Gemini strategies with files to send remember their uploads in the run's store (``store=``), so the
    store that answers a rerun is also the one that knows which files the Files API still holds."""
    strategies = {id(i.strategy): i.strategy for i in items if isinstance(i.prompt, MultimodalPrompt)}
    if not strategies or options.config.dry_run:  # a dry run uploads nothing
        return
    from ..gemini import GeminiStrategy

    store = options.open_store()
    for strategy in strategies.values():
        if isinstance(strategy, GeminiStrategy):
            strategy.media.use_store(store)


def run_fingerprint(items: Sequence[LLMWorkItem[Any, Any]]) -> str:
    """The identity of an unnamed run: its item ids, prompts and strategy classes, in order.

    Stable across kernel restarts (no object ids), so re-running the same cell resumes the same run. Strategies
    with a request fingerprint are cached per item anyway; this matters for the ones without.
    """
    return fingerprint_digest(
        {"items": [(i.item_id, i.prompt, type(i.strategy).__module__, type(i.strategy).__qualname__) for i in items]}
    )
