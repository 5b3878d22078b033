"""``nl.run(..., mode="batch", deadline=...)``: a batch job that finishes online what it has not done in time.

A deadline is an aware ``datetime``, a naive one (local time), a ``timedelta`` or seconds from now; one already
past, or more than :data:`MAX_AHEAD` away (a batch job expires after 48 hours: probably the wrong units), is a
:class:`ConfigurationError` before anything is sent.

The run works out how long the rows to send would take online at its own limits (``max_workers``, ``rpm``,
``tpm``, the store's median latency: as :func:`nl.estimate <notebookllm.estimate>` does) and gives the job until
``deadline − that − a safety margin`` (:func:`safety_margin`). A job that ends by then is read as usual: no cancel,
nothing online. Otherwise the job is cancelled (``batches.cancel``), the replies it has are recorded (a job cancelled
while running keeps the output of the requests it had processed; they are billed at the batch price), and every
other row — never processed, or a per-request error — runs online under the run's rate limits, retries and store,
in the same progress display. So no row is paid twice. The ledger records the job as CANCELLED, so running the
same call again never re-attaches to it: the store answers what it answered. A job that ends FAILED or EXPIRED
before its time is finished online the same way. When the deadline leaves the job no time at all, nothing is
submitted and every row runs online.

The progress line and ``results.deadline`` (also in ``summary()``) say what happened, e.g.
``batch job batches/x cancelled at 14:02:10 UTC: 412 rows answered by the job, 88 finished online``.

Example:
    >>> results = nl.run(df, prompt="Classify: {review}", mode="batch", deadline=timedelta(hours=3))  # doctest: +SKIP
    >>> results.deadline.by_job + results.deadline.online == len(df)                                  # doctest: +SKIP
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import numbers
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.errors import ConfigurationError
from ..core.results import WorkItemResult
from ..core.work_item import LLMWorkItem
from ..media.prompt import input_tokens
from .estimate import open_store, typical_latency, wall_time

if TYPE_CHECKING:
    from google.genai import types

    from ..gemini.batch import GeminiBatch
    from ..store import RunSession
    from .progress import Progress
    from .runner import RunOptions
    from .spend import GeminiSpend

__all__ = [
    "MAX_AHEAD",
    "MIN_MARGIN_S",
    "DeadlineOutcome",
    "check_deadline_mode",
    "clock_text",
    "give_up_time",
    "model_history",
    "online_time",
    "resolve_deadline",
    "run_before_deadline",
    "safety_margin",
]

T = TypeVar("T")

MAX_AHEAD = timedelta(days=7)
"""The furthest a deadline may be: a batch job expires after 48 hours, so one further away is probably a mistake."""

MIN_MARGIN_S = 60.0
"""The least time kept between the online fallback's expected end and the deadline (seconds)."""

_MARGIN_SHARE = 0.25
# How long to wait for a cancelled job to reach its end state (the service cancels asynchronously).
_CANCEL_WAIT_S = 60.0
_HISTORY = 1000


def resolve_deadline(value: Any, *, now: datetime | None = None) -> datetime | None:
    """``value`` (aware or naive ``datetime``, ``timedelta``, seconds from ``now``, or ``None``) as an aware UTC
    ``datetime``; a :class:`ConfigurationError` when it is past, further than :data:`MAX_AHEAD`, or not a time.

    >>> start = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
    >>> resolve_deadline(timedelta(hours=2), now=start).isoformat()
    '2026-12-03T14:00:00+00:00'
    >>> resolve_deadline(90, now=start).isoformat()
    '2026-12-03T12:01:30+00:00'
    """
    if value is None:
        return None
    now = now or datetime.now(timezone.utc)
    if isinstance(value, datetime):
        at = value.astimezone(timezone.utc)  # a naive datetime is local time, as datetime.astimezone() reads it
    elif isinstance(value, timedelta):
        at = now + value
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ConfigurationError(f"deadline must be a finite number of seconds, got {value!r}")
        at = now + timedelta(seconds=float(value))
    else:
        raise ConfigurationError(
            f"deadline must be a datetime, a timedelta or seconds from now, got {type(value).__name__}"
        )
    if at <= now:
        raise ConfigurationError(f"the deadline {clock_text(at)} has already passed (it is {clock_text(now)})")
    if at - now > MAX_AHEAD:
        raise ConfigurationError(
            f"the deadline {at:%Y-%m-%d %H:%M} UTC is more than {MAX_AHEAD.days} days away; a batch job expires "
            "after 48 hours (seconds are counted from now: was it meant in other units?)"
        )
    return at


def check_deadline_mode(options: RunOptions, mode: str) -> None:
    """``deadline=`` is for ``mode="batch"`` and ``mode="auto"``: refuse it online before anything is sent."""
    if options.deadline is not None and mode == "online" and not options.config.dry_run:
        raise ConfigurationError("deadline= is for mode='batch' or mode='auto' (an online run does not wait for a job)")


def safety_margin(online_s: float) -> float:
    """Seconds kept between the online fallback's expected end and the deadline: a quarter of the online time,
    at least :data:`MIN_MARGIN_S` (cancelling, reading the job's output and the estimate's error take time)."""
    return max(MIN_MARGIN_S, _MARGIN_SHARE * online_s)


def give_up_time(deadline: datetime, online_s: float) -> datetime:
    """When to stop waiting for the job: ``deadline − online_s − safety_margin(online_s)``."""
    return deadline - timedelta(seconds=online_s + safety_margin(online_s))


def online_time(items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions, history: list[Any]) -> tuple[float, str]:
    """Seconds ``items`` would take online at ``options``' limits with the latency of ``history`` (the store's
    replies of the model: :func:`model_history`), and the limit that sets the pace."""
    if not items:
        return 0.0, "nothing to send"
    latency, _ = typical_latency(history)
    expected_output = options.config.rate_limit.expected_output_tokens
    tokens = sum(input_tokens(item.prompt) for item in items) / len(items) + expected_output
    return wall_time(len(items), latency, tokens, options)


def model_history(items: Sequence[LLMWorkItem[Any, Any]], options: RunOptions) -> tuple[Any, list[Any]]:
    """The run's store (``None`` with ``cache="off"``) and its latest replies of the items' Gemini models."""
    from ..gemini import GeminiStrategy

    store = open_store(options)
    models = {i.strategy.model for i in items if isinstance(i.strategy, GeminiStrategy)}
    history = [reply for model in models for reply in store.recent_replies(model, limit=_HISTORY)] if store else []
    return store, history


@dataclass(frozen=True)
class DeadlineOutcome:
    """What a batch run with a deadline did; ``str()`` is the line the progress display and summary show.

    Attributes:
        deadline: the deadline (UTC).
        job: the batch job's name, ``None`` when the deadline left no time to submit one.
        state: the job's end state (``JOB_STATE_*``), ``None`` without a job.
        cancelled_at: when the run cancelled the job (UTC), ``None`` when it did not.
        by_job: rows the job answered (billed at the batch price).
        online: rows finished online instead.
    """

    deadline: datetime
    job: str | None
    state: str | None
    cancelled_at: datetime | None
    by_job: int
    online: int

    def __str__(self) -> str:
        return self.line()

    def line(self, *, finished: bool = True) -> str:
        """What happened (``str()``); ``finished=False`` words it for the moment the online part starts."""
        rows = f"{self.by_job:,} row{'s' if self.by_job != 1 else ''} answered by the job"
        online = f"{self.online:,} {'finished' if finished else 'to finish'} online"
        if self.job is None:
            sent = f"{self.online:,} rows {'sent' if finished else 'going'} online"
            return f"the deadline {clock_text(self.deadline)} left no time for a batch job: {sent}"
        if self.cancelled_at is not None:
            return f"batch job {self.job} cancelled at {clock_text(self.cancelled_at)}: {rows}, {online}"
        if self.online:
            ended = (self.state or "").removeprefix("JOB_STATE_")
            return f"batch job {self.job} ended {ended}: {rows}, {online}"
        return f"batch job {self.job} finished before the deadline {clock_text(self.deadline)}: {rows}"


async def run_before_deadline(
    batch: GeminiBatch,
    items: Sequence[LLMWorkItem[Any, Any]],
    options: RunOptions,
    session: RunSession | None,
    progress: Progress | None,
    on_state: Callable[[types.BatchJob], None],
    spend: GeminiSpend | None = None,
) -> tuple[list[WorkItemResult[Any, Any]], DeadlineOutcome]:
    """Run ``items`` as one batch job that gives up in time for the rest to finish online before
    ``options.deadline`` (see the module docstring). Every result is recorded in ``session`` and shown in
    ``progress`` as it arrives; returns them in item order with what happened. Under a spend cap (``spend``, the
    job's rows admitted already) the job's answers are settled at their bill and the rows that go online are
    estimated again at the online price (:meth:`GeminiSpend.go_online`).

    Interrupted while the job runs, the job goes on (the same call again re-attaches to it); once the job is being
    cancelled, its answers are recorded before the interruption goes on; during the online part, every finished
    row is recorded.
    """
    from ..gemini.batch import INLINE_REPLIES_KEYED, job_state
    from ..gemini.batch_errors import BatchDeadlineError
    from ..store.ledger import SUCCEEDED_STATE

    deadline = options.deadline
    assert deadline is not None
    items = list(items)
    _, history = model_history(items, options)
    online_s, _ = online_time(items, options, history)
    give_up = give_up_time(deadline, online_s)
    if give_up <= datetime.now(timezone.utc):
        outcome = DeadlineOutcome(deadline, None, None, None, 0, len(items))
        online = await _run_online(items, options, session, progress, outcome, spend)
        if progress is not None:
            progress.set_phase(str(outcome))
        return _in_order(items, online), outcome
    if not INLINE_REPLIES_KEYED:
        batch.inline_limit_bytes = 0  # a cancelled job's partial replies must map back by key: send it as a file
    name = await batch.acreate_batch_job([i.prompt for i in items], item_ids=[i.item_id for i in items])

    def show_state(job: types.BatchJob) -> None:
        on_state(job)
        if progress is not None:  # while waiting, the line also says when the rows go online
            progress.set_phase(f"{progress.state.phase} (online at {clock_text(give_up)} if not done)")

    cancelled_at = None
    left = max(0.0, (give_up - datetime.now(timezone.utc)).total_seconds())  # submitting (an upload) took some
    try:
        job: types.BatchJob | None = await batch.await_job(name, deadline=left, on_state=show_state)
    except BatchDeadlineError:
        cancelled_at = datetime.now(timezone.utc)
        job, by_job = await _uninterrupted(_cancel_and_read(batch, name, items, session, progress))
    else:
        by_job = await _read(batch, name, items, session, progress, complete=job_state(job) == SUCCEEDED_STATE)
    state = job_state(job) if job is not None else None
    outcome = DeadlineOutcome(deadline, name, state, cancelled_at, len(by_job), len(items) - len(by_job))
    if spend is not None:
        spend.settle(by_job)
    answered = {r.item_id for r in by_job}
    rest = [i for i in items if i.item_id not in answered]
    online = await _run_online(rest, options, session, progress, outcome, spend) if rest else []
    if progress is not None:
        progress.set_phase(str(outcome))
    return _in_order(items, [*by_job, *online]), outcome


async def _cancel_and_read(
    batch: GeminiBatch,
    name: str,
    items: list[LLMWorkItem[Any, Any]],
    session: RunSession | None,
    progress: Progress | None,
) -> tuple[types.BatchJob | None, list[WorkItemResult[Any, Any]]]:
    """Cancel the job, wait for its end state and record what it answered. A job that reaches no end state in
    time (the service cancels asynchronously) answered nothing as far as the run knows: its rows all run online."""
    from ..gemini.batch_errors import BatchCancelError, BatchDeadlineError

    # A job that ended (or is still ending) on its own raises; what it answered is read all the same.
    with contextlib.suppress(BatchCancelError):
        await batch.acancel_batch_job(name)
    try:
        job = await batch.await_job(name, poll_initial=1.0, poll_max=5.0, deadline=_CANCEL_WAIT_S)
    except BatchDeadlineError:
        return None, []
    return job, await _read(batch, name, items, session, progress, complete=False)


async def _read(
    batch: GeminiBatch,
    name: str,
    items: list[LLMWorkItem[Any, Any]],
    session: RunSession | None,
    progress: Progress | None,
    *,
    complete: bool,
) -> list[WorkItemResult[Any, Any]]:
    """The job's results, recorded and shown: every row of a job that succeeded before its time (failed requests
    included, as without a deadline); only the rows it answered otherwise (the rest go online)."""
    from .runner import _deliver

    replies = await batch.afetch_batch_replies(name, contexts=[i.context for i in items], answered_only=not complete)
    results = [reply.result for reply in replies]
    for result in results:
        _deliver(result, session, progress)
    return results


async def _uninterrupted(step: Awaitable[T]) -> T:
    """Run ``step`` to its end even when the run is interrupted meanwhile (then re-raise the interruption): a job
    cancelled but not yet read would leave its answers unrecorded, and a rerun would pay for them again."""
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


async def _run_online(
    items: list[LLMWorkItem[Any, Any]],
    options: RunOptions,
    session: RunSession | None,
    progress: Progress | None,
    outcome: DeadlineOutcome,
    spend: GeminiSpend | None,
) -> list[WorkItemResult[Any, Any]]:
    """``items`` online under the run's limits, retries and store; each result recorded and shown as it finishes
    (the progress line says why they go online). Interrupted, every result the processor finished is recorded
    before the interruption goes on."""
    from .runner import _deliver, _processor

    if progress is not None:
        progress.set_phase(outcome.line(finished=False))

    if spend is not None:
        spend.go_online(items)
    processor = _processor(items, options, progress, spend)
    try:
        async with processor:
            await processor.add_many(items)
            async for result in processor.as_completed():
                _deliver(result, session, progress)
    except BaseException:
        if processor.result is not None and session is not None:
            for result in processor.result.results:  # recording one twice is harmless; losing a paid answer is not
                session.record_nowait(result)
        raise
    assert processor.result is not None
    return list(processor.result.results)


def _in_order(
    items: list[LLMWorkItem[Any, Any]], results: list[WorkItemResult[Any, Any]]
) -> list[WorkItemResult[Any, Any]]:
    by_id = {r.item_id: r for r in results}
    return [by_id[i.item_id] for i in items]


def clock_text(moment: datetime) -> str:
    """``14:02:10 UTC`` (with the date when it is not today)."""
    moment = moment.astimezone(timezone.utc)
    today = datetime.now(timezone.utc).date()
    return f"{moment:%H:%M:%S} UTC" if moment.date() == today else f"{moment:%Y-%m-%d %H:%M:%S} UTC"
