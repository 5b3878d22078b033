"""Cancellation, KeyboardInterrupt, timeouts: every item still ends with exactly one result, promptly."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest
from core_scripted import RateLimited, ScriptClassifier, Scripted, items

from notebookllm import (
    BaseMiddleware,
    BaseObserver,
    FrameworkTimeoutError,
    ItemCancelledError,
    ParallelBatchProcessor,
    ProcessorConfig,
    RateLimitConfig,
    RetryConfig,
    current_attempt,
)
from notebookllm.core.virtual_clock import run_virtual


async def _processor(strategy, prompts, **config):
    processor = ParallelBatchProcessor(ProcessorConfig(**config))
    for item in items(strategy, prompts):
        await processor.add_work(item)
    return processor


def _when(count: int) -> tuple[asyncio.Event, callable]:
    """An event set once ``count`` items have finished, and the progress callback that sets it."""
    reached = asyncio.Event()

    def progress(completed, total, item_id):
        if completed >= count:
            reached.set()

    return reached, progress


def test_cancelling_process_all_records_every_item_and_reraises():
    async def scenario():
        loop = asyncio.get_running_loop()
        strategy = Scripted(delay=10)
        reached, progress = _when(6)
        processor = await _processor(strategy, [f"p{i}" for i in range(10)], max_workers=3, progress_callback=progress)
        task = asyncio.create_task(processor.process_all())
        await reached.wait()
        cancelled_at = loop.time()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return processor, strategy, cancelled_at, loop.time()

    processor, strategy, cancelled_at, ended_at = run_virtual(scenario())
    batch = processor.result
    assert batch.interrupted and batch.total_items == 10
    assert ended_at == cancelled_at == 20  # in-flight attempts were cancelled, not waited for
    assert [r.success for r in batch.results] == [True] * 6 + [False] * 4
    for r in batch.results[6:]:
        assert isinstance(r.error, ItemCancelledError) and r.error_info.category == "cancelled"
    assert [r.attempts for r in batch.results[6:]] == [1, 1, 1, 0]  # three were in flight, one never started
    assert strategy.cleaned == 1


def test_keyboard_interrupt_in_execute_stops_the_run_and_is_reraised():
    class Interrupting(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            if prompt == "p4":
                current_attempt().bill({"input_tokens": 3})
                raise KeyboardInterrupt
            return await super().execute(prompt, attempt, timeout, state)

    async def scenario():
        strategy = Interrupting(delay=1)
        processor = await _processor(strategy, [f"p{i}" for i in range(10)], max_workers=2)
        with pytest.raises(KeyboardInterrupt):
            await processor.process_all()
        return processor, strategy

    processor, strategy = run_virtual(scenario())
    batch = processor.result
    assert batch.interrupted and len(batch.results) == 10
    assert batch.succeeded == 4
    p4 = batch.results[4]
    assert isinstance(p4.error, ItemCancelledError) and p4.input_tokens == 3
    assert all(isinstance(r.error, ItemCancelledError) for r in batch.results[4:])
    assert strategy.cleaned == 1
    # process_all afterwards hands back the interrupted result instead of raising again.
    assert run_virtual(processor.process_all()) is batch


def test_cancelling_the_as_completed_consumer_stops_the_run():
    async def scenario():
        strategy = Scripted(delay=5)
        processor = await _processor(strategy, [f"p{i}" for i in range(8)], max_workers=2)
        seen = []
        three = asyncio.Event()

        async def consume():
            async for result in processor.as_completed():
                seen.append(result.item_id)
                if len(seen) == 3:
                    three.set()

        task = asyncio.create_task(consume())
        await three.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return processor, seen

    processor, seen = run_virtual(scenario())
    batch = processor.result
    assert batch.interrupted and len(seen) >= 3
    assert batch.succeeded == len([r for r in batch.results if r.success]) >= 3
    assert all(isinstance(r.error, ItemCancelledError) for r in batch.results if not r.success)


def test_leaving_as_completed_early_stops_the_run():
    async def scenario():
        processor = await _processor(Scripted(delay=1), [f"p{i}" for i in range(6)], max_workers=1)
        async with contextlib.aclosing(processor.as_completed()) as results:
            async for result in results:
                assert result.item_id == "p0"
                break
        return processor.result

    batch = run_virtual(scenario())
    assert batch.interrupted and batch.succeeded == 1 and batch.failed == 5


def test_attempt_timeout_is_a_retryable_framework_timeout():
    strategy = Scripted({"a": ["hang", "hang"], "b": ["hang"] * 3})

    async def scenario():
        config = {"timeout_per_item": 3, "retry": RetryConfig(max_attempts=3, initial_wait=1, jitter=False)}
        processor = await _processor(strategy, ["a", "b"], max_workers=2, **config)
        return await processor.process_all()

    a, b = run_virtual(scenario()).results
    assert a.success and a.attempts == 3
    assert [t for t, p, _ in strategy.calls if p == "a"] == [0, 4, 9]  # 3 s timeout + 1 s, then 3 + 2 s
    assert not b.success and isinstance(b.error, FrameworkTimeoutError) and b.error_info.category == "timeout"
    assert b.error.timeout == 3 and b.latency_s == pytest.approx(12)  # 3 + 1 + 3 + 2 + 3


def test_a_strategy_swallowing_the_timeout_does_not_poison_the_worker():
    class Stubborn(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(100)
            return "late", None

    async def scenario():
        processor = await _processor(Stubborn(), ["a", "b"], max_workers=1, timeout_per_item=1)
        batch = await processor.process_all()
        await asyncio.sleep(1)  # a leftover cancellation request would surface here
        return batch

    batch = run_virtual(scenario())
    assert [r.output for r in batch.results] == ["late", "late"]


def test_each_attempt_runs_in_a_task_of_its_own_and_the_timeout_cancels_only_that_task():
    class Recording(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            tasks.append(asyncio.current_task())
            return await super().execute(prompt, attempt, timeout, state)

    tasks = []
    strategy = Recording({"a": ["hang"]})

    async def scenario():
        config = {"timeout_per_item": 2, "retry": RetryConfig(max_attempts=2, initial_wait=1, jitter=False)}
        processor = await _processor(strategy, ["a", "b"], max_workers=1, **config)
        return await processor.process_all()

    a, b = run_virtual(scenario()).results
    assert a.success and a.attempts == 2 and b.success
    assert len(set(map(id, tasks))) == 3  # one worker, three attempts, three tasks
    assert [t.cancelled() for t in tasks] == [True, False, False]


class _FlakyHooks(BaseMiddleware, BaseObserver):
    """Raises from every hook with the given probability."""

    def __init__(self, rng: random.Random, p: float) -> None:
        self.rng, self.p = rng, p

    def maybe_raise(self):
        if self.rng.random() < self.p:
            raise RuntimeError("hook fault")

    async def before_process(self, item):
        self.maybe_raise()

    async def after_process(self, result):
        self.maybe_raise()

    async def on_error(self, item, error):
        self.maybe_raise()

    async def on_event(self, event, data):
        self.maybe_raise()


@pytest.mark.parametrize("seed", range(5))
def test_chaos_every_item_ends_with_exactly_one_result(seed):
    rng = random.Random(seed)
    faults = [ConnectionError("x"), TypeError("bug"), ValueError("no"), "hang", RateLimited(1), KeyError("k"), "ok"]
    prompts = [f"p{i}" for i in range(150)]
    strategy = Scripted({p: [rng.choice(faults) for _ in range(4)] for p in prompts}, delay=0.1)
    hooks = _FlakyHooks(rng, 0.1)
    progress = []

    def on_progress(completed, total, item_id):
        progress.append(item_id)
        if rng.random() < 0.1:
            raise RuntimeError("progress fault")

    async def scenario():
        config = ProcessorConfig(
            max_workers=16,
            timeout_per_item=2,
            progress_callback=on_progress,
            retry=RetryConfig(max_attempts=3, initial_wait=0.5),
            rate_limit=RateLimitConfig(cooldown_seconds=1, max_rate_limit_waits=2),
        )
        hooked = {"middlewares": [hooks], "observers": [hooks], "post_processor": hooks.maybe_raise}
        processor = ParallelBatchProcessor(config, error_classifier=ScriptClassifier(), **hooked)
        for item in items(strategy, prompts):
            await processor.add_work(item)
        streamed = [r.item_id async for r in processor.as_completed()]
        return processor.result, streamed

    batch, streamed = run_virtual(scenario())
    assert [r.item_id for r in batch.results] == prompts
    assert sorted(streamed) == sorted(prompts) and sorted(progress) == sorted(prompts)
    assert not batch.interrupted and batch.succeeded + batch.failed == 150
    assert strategy.prepared == strategy.cleaned == 1
