"""``nl.arun(..., mode="batch", deadline=...)``: a batch job not done in time is cancelled, what it answered is kept
and the rest is finished online before the deadline, each row paid once (counted in the emulator's billing).

The job gives up at ``deadline − online time − safety margin``; these tests set the deadline half a second past the
margin and the online time of a few rows with no stored history (``DEFAULT_LATENCY_S``), so no test waits longer.
Several runs share one client, hence ``await nl.arun`` (see test_run_batch_mode.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

import notebookllm.notebook as nb
from notebookllm.core.errors import ConfigurationError
from notebookllm.core.events import BaseObserver, ProcessingEvent
from notebookllm.emulator import ManualClock
from notebookllm.gemini import GeminiStrategy, estimate_cost
from notebookllm.notebook.deadline import MIN_MARGIN_S, resolve_deadline
from notebookllm.notebook.estimate import DEFAULT_LATENCY_S
from notebookllm.notebook.progress import Progress
from notebookllm.store import BatchLedger, Store

pytestmark = pytest.mark.sdk_compat

PROMPT = "Review: {review}"
NEAR = timedelta(seconds=MIN_MARGIN_S + DEFAULT_LATENCY_S + 0.5)
"""A deadline whose job gives up half a second after it is submitted (a few rows, no stored latency)."""


@pytest.fixture
def store():
    return Store.open(memory=True)


def _reviews(n: int, marker: str = "") -> pd.DataFrame:
    return pd.DataFrame({"review": [f"review {i} {marker}".strip() for i in range(n)]})


def _paid(emulator) -> int:
    """Rows billed: by batch jobs at the batch price plus online generateContent requests."""
    return emulator.batch_rows_billed() + emulator.count(endpoint="generateContent")


async def test_a_stalled_job_is_cancelled_and_its_rows_finished_online_each_paid_once(emulator, emulator_client, store):
    strategy = GeminiStrategy(emulator_client)
    progress = Progress()
    df = _reviews(5, "[[job:stall]]")  # the marker keeps the job PENDING; online it is ordinary text
    results = await nb.arun(
        df, prompt=PROMPT, strategy=strategy, store=store, mode="batch", deadline=NEAR, progress=progress
    )
    assert results.df["success"].all()
    outcome = results.deadline
    assert outcome.cancelled_at is not None and (outcome.by_job, outcome.online) == (0, 5)
    assert emulator.count(endpoint="batches.cancel") == 1 and _paid(emulator) == 5
    assert emulator.count(endpoint="generateContent") == 5  # no row retried, none sent twice
    text = str(outcome)
    assert text.startswith(f"batch job {outcome.job} cancelled at ") and text.endswith(
        "0 rows answered by the job, 5 finished online"
    )
    assert str(outcome) in str(results.summary()) and progress.state.status == "done"
    [entry] = BatchLedger(store).entries()
    assert entry.name == outcome.job and entry.state == "JOB_STATE_CANCELLED"
    reuse = BatchLedger(store).reusable(
        entry.fingerprint, endpoint=entry.endpoint, key_fingerprint=entry.key_fingerprint
    )
    assert reuse is None  # the same payload again would never re-attach to the cancelled job
    again = await nb.arun(
        df, prompt=PROMPT, strategy=strategy, store=store, mode="batch", deadline=NEAR, progress=False
    )
    assert again.df["from_cache"].all() and _paid(emulator) == 5  # the store answers; the cancelled job is left be
    assert emulator.count(endpoint="batchGenerateContent") == 1


class _HalfwayClock(Progress):
    """A progress display that moves the emulator's clock halfway through the job's running time the first time
    the job is seen RUNNING: the job has then processed half of its requests when the run cancels it."""

    def __init__(self, clock: ManualClock, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds

    def set_phase(self, phase: str) -> None:
        if phase.endswith("JOB_STATE_RUNNING") and self.seconds:
            self.clock.advance(self.seconds)
            self.seconds = 0
        super().set_phase(phase)


async def test_a_job_cancelled_halfway_keeps_what_it_answered_and_the_rest_goes_online(make_emulator, store):
    clock = ManualClock()
    emulator = make_emulator(clock=clock, batch_running_s=100)
    strategy = GeminiStrategy(emulator.client(), include_metadata=True)
    results = await nb.arun(_reviews(6), prompt=PROMPT, strategy=strategy, store=store, mode="batch", deadline=NEAR,
                            progress=_HalfwayClock(clock, 50))  # fmt: skip
    assert results.df["success"].all()
    outcome = results.deadline
    assert (outcome.by_job, outcome.online) == (3, 3) and outcome.state == "JOB_STATE_CANCELLED"
    assert emulator.batch_rows_billed() == 3 and emulator.count(endpoint="generateContent") == 3
    # The job's rows are its first three requests, billed at the batch price; the others were answered online.
    for position, result in enumerate(results.results):
        price = estimate_cost(result.token_usage, strategy.model, batch=position < 3)
        assert result.metadata["cost_usd"] == price
    assert str(outcome).endswith("3 rows answered by the job, 3 finished online")


async def test_a_job_done_before_the_deadline_is_read_as_usual(emulator, emulator_client, store):
    strategy = GeminiStrategy(emulator_client)
    results = await nb.arun(_reviews(4), prompt=PROMPT, strategy=strategy, store=store, mode="batch",
                            deadline=timedelta(hours=1), progress=False)  # fmt: skip
    assert results.df["success"].all()
    outcome = results.deadline
    assert outcome.cancelled_at is None and (outcome.by_job, outcome.online) == (4, 0)
    assert emulator.count(endpoint="batches.cancel") == 0 and emulator.count(endpoint="generateContent") == 0
    assert str(outcome).startswith(f"batch job {outcome.job} finished before the deadline ")


async def test_a_job_that_fails_before_the_deadline_is_finished_online(emulator, emulator_client, store):
    strategy = GeminiStrategy(emulator_client)
    results = await nb.arun(_reviews(3, "[[job:fail]]"), prompt=PROMPT, strategy=strategy, store=store,
                            mode="batch", deadline=timedelta(hours=1), progress=False)  # fmt: skip
    assert results.df["success"].all()
    outcome = results.deadline
    assert outcome.state == "JOB_STATE_FAILED" and outcome.cancelled_at is None
    assert (outcome.by_job, outcome.online) == (0, 3) and _paid(emulator) == 3
    assert "ended FAILED: 0 rows answered by the job, 3 finished online" in str(outcome)


async def test_a_deadline_that_leaves_no_time_for_a_job_runs_online_without_one(emulator, emulator_client, store):
    strategy = GeminiStrategy(emulator_client)
    results = await nb.arun(_reviews(3), prompt=PROMPT, strategy=strategy, store=store, mode="batch",
                            deadline=timedelta(seconds=MIN_MARGIN_S / 2), progress=False)  # fmt: skip
    assert results.df["success"].all() and results.deadline.job is None
    assert emulator.count(endpoint="batchGenerateContent") == 0 and emulator.count(endpoint="generateContent") == 3
    assert "left no time for a batch job: 3 rows sent online" in str(results.deadline)


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        (datetime(2020, 1, 1), "has already passed"),  # naive: local time
        (timedelta(seconds=-5), "has already passed"),
        (0, "has already passed"),
        (timedelta(days=30), "more than 7 days away"),
        (3_600_000, "more than 7 days away"),  # milliseconds by mistake
        (float("nan"), "finite number of seconds"),
        (True, "a datetime, a timedelta or seconds from now"),
        ("14:00", "a datetime, a timedelta or seconds from now"),
    ],
)
def test_a_bad_deadline_is_refused_before_anything_is_sent(emulator, store, deadline, message):
    strategy = GeminiStrategy(emulator.client())
    with pytest.raises(ConfigurationError, match=message):
        nb.run(_reviews(2), prompt=PROMPT, strategy=strategy, store=store, mode="batch", deadline=deadline)
    assert emulator.log == []


def test_a_deadline_online_is_refused(emulator, store):
    strategy = GeminiStrategy(emulator.client())
    with pytest.raises(ConfigurationError, match="deadline= is for mode='batch' or mode='auto'"):
        nb.run(_reviews(2), prompt=PROMPT, strategy=strategy, store=store, deadline=timedelta(hours=1))
    assert emulator.log == []


class _InterruptAfter(BaseObserver):
    """Cancels the run's task (as Ctrl+C does) once ``n`` rows have finished online."""

    def __init__(self, n: int) -> None:
        self.n, self.done, self.task = n, 0, None

    async def on_event(self, event, data):
        if event is ProcessingEvent.ITEM_COMPLETED:
            self.done += 1
            if self.done == self.n:
                self.task.cancel()


async def test_an_interrupt_during_the_online_part_loses_nothing(emulator, emulator_client, store):
    strategy = GeminiStrategy(emulator_client)
    df = pd.DataFrame({"review": ["a [[job:stall]]", "b", "c", "d [[hang]]", "e [[hang]]"]})
    watcher = _InterruptAfter(3)
    watcher.task = asyncio.ensure_future(nb.arun(df, prompt=PROMPT, strategy=strategy, store=store, mode="batch",
                                                 deadline=NEAR, progress=False, observers=[watcher]))  # fmt: skip
    with pytest.raises(asyncio.CancelledError):
        await watcher.task
    assert (
        emulator.count(endpoint="batches.cancel") == 1 and emulator.count(endpoint="generateContent", status=200) == 3
    )
    again = await nb.arun(df.iloc[:3], prompt=PROMPT, strategy=strategy, store=store, mode="batch", deadline=NEAR,
                          progress=False)  # fmt: skip
    assert again.df["from_cache"].all()  # the three rows answered online before the interrupt were kept
    # and not requested again (the hung requests are logged when the emulator sees them dropped, at its own pace)
    assert emulator.count(endpoint="batchGenerateContent") == 1
    assert emulator.count(endpoint="generateContent", status=200) == 3


async def test_compare_in_batch_mode_finishes_a_stalled_job_online_before_its_deadline(
    emulator, emulator_client, store
):
    strategy = GeminiStrategy(emulator_client)
    prompts = {"plain": PROMPT, "short": "In one word: {review}"}
    comparison = await nb.acompare(_reviews(3, "[[job:stall]]"), prompts=prompts, strategy=strategy, store=store,
                                   mode="batch", deadline=NEAR, progress=False)  # fmt: skip
    assert all(results.df["success"].all() for results in comparison.results.values())
    assert emulator.count(endpoint="batches.cancel") == 1 and _paid(emulator) == 6
    with pytest.raises(ConfigurationError, match="deadline= is for mode='batch'"):
        await nb.acompare(_reviews(3), prompts=prompts, strategy=strategy, store=store, deadline=NEAR)


def test_a_naive_deadline_is_local_time_and_a_timedelta_counts_from_now():
    now = datetime.now(timezone.utc)
    local = (now + timedelta(hours=2)).astimezone().replace(tzinfo=None)  # what datetime.now() would show then
    assert resolve_deadline(local, now=now) == now + timedelta(hours=2)
    assert resolve_deadline(timedelta(minutes=5), now=now) == now + timedelta(minutes=5)
    assert resolve_deadline(90.5, now=now) == now + timedelta(seconds=90.5)
    assert resolve_deadline(None) is None


async def test_an_interrupt_while_the_job_is_cancelled_still_records_what_it_answered(make_emulator, front_for, store):
    clock = ManualClock()
    emulator = make_emulator(clock=clock, batch_running_s=100)
    front = front_for(emulator)
    strategy = GeminiStrategy(front.client(emulator.api_key))
    df = _reviews(6)
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(nb.arun(df, prompt=PROMPT, strategy=strategy, store=store, mode="batch",
                                         deadline=NEAR, progress=_HalfwayClock(clock, 50)))  # fmt: skip
    front.on_cancel = lambda: loop.call_soon_threadsafe(task.cancel)  # interrupted as the job is cancelled
    with pytest.raises(asyncio.CancelledError):
        await task
    assert emulator.batch_rows_billed() == 3 and emulator.count(endpoint="generateContent") == 0
    again = await nb.arun(df.iloc[:3], prompt=PROMPT, strategy=strategy, store=store, mode="batch", deadline=NEAR,
                          progress=False)  # fmt: skip
    assert again.df["from_cache"].all()  # the job's three answers were recorded: none is paid again
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="generateContent") == 0
