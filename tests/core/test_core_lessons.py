"""One test (at least) per defect of batch-llm v0.3 (reference/lessons.md, items 1–12 and 14–16).

Time-dependent behaviour runs on a virtual clock (notebookllm.core.virtual_clock): the asserted times are loop times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import itertools
import json

import pytest
from core_scripted import QuotaExhausted, RateLimited, ScriptClassifier, Scripted, items, run, run_items

from notebookllm import (
    DefaultErrorClassifier,
    LLMCallStrategy,
    LLMWorkItem,
    MetricsObserver,
    ParallelBatchProcessor,
    ProcessingEvent,
    ProcessorConfig,
    RateLimitConfig,
    RetryConfig,
    current_attempt,
)
from notebookllm.core.events import BaseObserver
from notebookllm.core.virtual_clock import run_virtual


def _config(**kw) -> ProcessorConfig:
    kw.setdefault("retry", RetryConfig(max_attempts=3, initial_wait=1, jitter=False))
    kw.setdefault("rate_limit", RateLimitConfig(cooldown_seconds=5, slow_start_items=0))
    return ProcessorConfig(**kw)


class _Recorder(BaseObserver):
    def __init__(self) -> None:
        self.events: list[tuple[float, ProcessingEvent, dict]] = []

    async def on_event(self, event, data):
        self.events.append((asyncio.get_running_loop().time(), event, data))

    def of(self, kind: ProcessingEvent) -> list[dict]:
        return [d for _, e, d in self.events if e is kind]


# 1. A 429 paused every worker, then failed the item anyway (classified non-retryable).
def test_01_rate_limited_item_is_retried_even_if_classified_not_retryable():
    strategy = Scripted({"a": [RateLimited(), RateLimited()]})
    batch = run(items(strategy, ["a"]), _config(), error_classifier=ScriptClassifier())
    (result,) = batch.results
    assert result.success and result.output == "A"
    assert (result.attempts, result.rate_limit_waits) == (1, 2)  # the waits have their own count


# 2. Rate-limit retries used up max_attempts, and the backoff was added on top of the cooldown.
def test_02_rate_limit_waits_use_no_attempts_and_add_no_backoff():
    strategy = Scripted({"a": [RateLimited(), RateLimited(), RateLimited()]})
    config = _config(retry=RetryConfig(max_attempts=1, initial_wait=30, jitter=False))
    batch = run(items(strategy, ["a"]), config, error_classifier=ScriptClassifier())
    assert batch.results[0].success
    # Exactly one cooldown (5 s) between calls: no 30 s backoff on top; the attempt number never advanced.
    assert [(t, n) for t, _, n in strategy.calls] == [(0, 1), (5, 1), (10, 1), (15, 1)]


def test_02_permanent_rate_limit_still_ends():
    strategy = Scripted({"a": [RateLimited()] * 100})
    config = _config(rate_limit=RateLimitConfig(cooldown_seconds=1, slow_start_items=0, max_rate_limit_waits=3))
    batch = run(items(strategy, ["a"]), config, error_classifier=ScriptClassifier())
    result = batch.results[0]
    assert not result.success and isinstance(result.error, RateLimited)
    assert (result.attempts, result.rate_limit_waits) == (0, 4) and result.error_info.is_rate_limit


# 3. Retries already in flight ignored a cooldown another worker had started.
def test_03_cooldown_holds_retries_waiting_in_backoff():
    class Strategy(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            if prompt == "b" and attempt == 1 and self.seen.get("b", 0) == 0:
                self.seen["b"] = 1
                self.calls.append((asyncio.get_running_loop().time(), prompt, attempt))
                await asyncio.sleep(1)
                raise RateLimited(retry_after=30)
            return await super().execute(prompt, attempt, timeout, state)

    strategy = Strategy({"a": [ConnectionError("reset")]})
    config = _config(max_workers=2, retry=RetryConfig(initial_wait=5, jitter=False))
    batch = run(items(strategy, ["a", "b"]), config, error_classifier=ScriptClassifier())
    assert batch.succeeded == 2
    a_calls = [t for t, p, _ in strategy.calls if p == "a"]
    # a failed at 0 and would retry at 5, but b's 429 at 1 holds everyone until 31.
    assert a_calls[0] == 0 and a_calls[1] == pytest.approx(31)


# 4. Slow start slept per worker, so N workers released N requests at once after a cooldown.
def test_04_ramp_releases_waiting_workers_one_at_a_time():
    prompts = [f"p{i}" for i in range(5)]
    strategy = Scripted({p: [RateLimited(retry_after=10)] for p in prompts}, delay=1)
    config = _config(
        max_workers=5, rate_limit=RateLimitConfig(cooldown_seconds=5, slow_start_items=5, slow_start_interval=0.5)
    )
    recorder = _Recorder()
    batch = run(items(strategy, prompts), config, error_classifier=ScriptClassifier(), observers=[recorder])
    assert batch.succeeded == 5
    # All five were in flight together and got their 429 at t=1; the cooldown ends at 11.
    assert [t for t, _, _ in strategy.calls[:5]] == [0] * 5
    second_calls = sorted(t for t, _, _ in strategy.calls[5:])
    # One at a time, each gap half the one before: the ramp doubles the rate per request and is over in < 1 s.
    assert second_calls == pytest.approx([11, 11.5, 11.75, 11.875, 11.9375])
    assert len(recorder.of(ProcessingEvent.COOLDOWN_STARTED)) == 1  # five 429s, one shared cooldown
    assert len(recorder.of(ProcessingEvent.COOLDOWN_ENDED)) == 1


def test_04_the_ramp_is_never_slower_than_the_request_limit():
    prompts = ["p0", "p1", "p2"]
    strategy = Scripted({p: [RateLimited(retry_after=10)] for p in prompts}, delay=1)
    limits = RateLimitConfig(requests_per_minute=600, slow_start_items=3, slow_start_interval=0.5)
    batch = run(
        items(strategy, prompts), _config(max_workers=3, rate_limit=limits), error_classifier=ScriptClassifier()
    )
    assert batch.succeeded == 3
    # The bucket spaces requests 61/600 s apart from the start; the cooldown ends at 10 + 1 + 2 × 61/600, and the
    # ramp then keeps the limit's spacing instead of its own 0.5 s.
    end = 11 + 2 * 61 / 600
    assert sorted(t for t, _, _ in strategy.calls[3:]) == pytest.approx([end, end + 61 / 600, end + 2 * 61 / 600])


# 5. Items that failed after exhausting retries emitted no ITEM_FAILED event; metrics counted 0 failures.
def test_05_exhausted_items_emit_item_failed_and_metrics_count_them():
    prompts = ["a", "b", "c"]
    strategy = Scripted({p: [ConnectionError("down")] * 3 for p in ["a", "b"]})
    metrics, recorder = MetricsObserver(), _Recorder()
    batch = run(items(strategy, prompts), _config(), observers=[metrics, recorder])
    assert batch.failed == 2
    assert sorted(d["item_id"] for d in recorder.of(ProcessingEvent.ITEM_FAILED)) == ["a", "b"]
    m = metrics.get_metrics()
    assert (m["items_failed"], m["items_succeeded"], m["retries"], m["attempts"]) == (2, 1, 4, 7)
    assert m["errors_by_category"] == {"network": 2}


# 6. The progress callback fired only every progress_interval items and never on the last.
@pytest.mark.parametrize("is_async", [False, True])
def test_06_progress_callback_after_every_item_including_the_last(is_async):
    calls = []

    def sync_cb(completed, total, item_id):
        calls.append((completed, total, item_id))

    async def async_cb(completed, total, item_id):
        calls.append((completed, total, item_id))

    prompts = [f"p{i}" for i in range(7)]
    config = _config(progress_callback=async_cb if is_async else sync_cb)
    run(items(Scripted({"p3": [ConnectionError()] * 3}), prompts), config)
    assert [c[0] for c in calls] == list(range(1, 8))
    assert {c[1] for c in calls} == {7}
    assert sorted(c[2] for c in calls) == prompts


# 7. The batch's cached-token total was always 0; tokens billed by failed attempts were dropped.
def test_07_cached_tokens_and_tokens_of_failed_attempts_are_counted():
    class Billing(LLMCallStrategy[str]):
        async def execute(self, prompt, attempt, timeout, state=None):
            current_attempt().bill({"input_tokens": 100, "output_tokens": 7, "cached_input_tokens": 60})
            if attempt == 1:
                raise json.JSONDecodeError("bad reply", "{", 0)
            return "ok", {"input_tokens": 100, "output_tokens": 9, "cached_input_tokens": 60, "thoughts_tokens": 4}

    class AlwaysBad(LLMCallStrategy[str]):
        async def execute(self, prompt, attempt, timeout, state=None):
            current_attempt().bill({"input_tokens": 50, "output_tokens": 5})
            raise ValueError("unusable reply")  # not retryable

    batch = run([LLMWorkItem("good", Billing(), "x"), LLMWorkItem("bad", AlwaysBad(), "y")], _config())
    good, bad = batch.results
    assert (good.input_tokens, good.output_tokens, good.cached_input_tokens, good.thoughts_tokens) == (200, 16, 120, 4)
    assert (bad.success, bad.input_tokens, bad.output_tokens) == (False, 50, 5)
    assert batch.total_cached_tokens == 120 and batch.total_input_tokens == 250
    assert batch.total_thoughts_tokens == 4
    assert batch.cache_hit_rate() == pytest.approx(120 / 250)


# 8. With a bounded queue, add_work blocked before processing started: a deadlock.
def test_08_add_work_never_blocks_before_processing_starts():
    async def scenario():
        processor = ParallelBatchProcessor(ProcessorConfig(max_workers=1))
        strategy = Scripted()
        for item in items(strategy, [f"p{i}" for i in range(5000)]):
            await processor.add_work(item)  # all queued before any worker exists
        return await processor.process_all()

    assert run_virtual(scenario()).succeeded == 5000


# 9. If a worker crashed (a hook raised), process_all hung forever.
def test_09_every_hook_raising_still_gives_one_result_per_item(caplog):
    class Boom(Exception):
        pass

    class BadObserver(BaseObserver):
        async def on_event(self, event, data):
            raise Boom("observer")

    from notebookllm import BaseMiddleware

    class BadMiddleware(BaseMiddleware):
        async def before_process(self, item):
            raise Boom("before")

        async def after_process(self, result):
            raise Boom("after")

        async def on_error(self, item, error):
            raise Boom("on_error mw")

    class BadStrategy(Scripted):
        async def on_error(self, exception, attempt, state=None):
            raise Boom("strategy on_error")

    def bad_progress(completed, total, item_id):
        raise Boom("progress")

    async def bad_post(result):
        raise Boom("post")

    prompts = [f"p{i}" for i in range(20)]
    strategy = BadStrategy({p: [ConnectionError(), Boom("execute")] for p in prompts[::2]})
    batch = run(
        items(strategy, prompts),
        _config(max_workers=4, progress_callback=bad_progress),
        middlewares=[BadMiddleware()],
        observers=[BadObserver()],
        post_processor=bad_post,
    )
    assert [r.item_id for r in batch.results] == prompts
    assert batch.succeeded == 20  # Boom is "unknown" → retryable, third attempt echoes
    assert "progress_callback raised" in caplog.text and "post_processor raised" in caplog.text
    assert all(rec.name == "notebookllm" for rec in caplog.records)


# 10. Prepare-once by id(strategy) was skipped in 32 of 50 runs; one global lock serialised every prepare.
def test_10_prepare_runs_once_per_instance_in_every_run():
    for _ in range(50):
        strategy = Scripted()  # the previous one is garbage: its id is likely reused
        batch = run(items(strategy, ["a", "b", "c"]), _config(max_workers=3))
        assert batch.succeeded == 3 and strategy.prepared == 1
        del strategy
        gc.collect()


def test_10_equal_strategies_are_distinct_instances():
    @dataclasses.dataclass
    class Same(LLMCallStrategy[str]):
        model: str = "m"
        prepared: int = 0

        async def prepare(self):
            self.prepared += 1

        async def execute(self, prompt, attempt, timeout):
            return prompt, None

    one, two = Same(), Same()
    assert one == two  # and unhashable, as dataclasses with eq are
    run([LLMWorkItem("a", one, "x"), LLMWorkItem("b", two, "y")], _config())
    assert (one.prepared, two.prepared) == (1, 1)


def test_10_concurrent_prepare_once_and_no_global_lock():
    class Waiting(Scripted):
        def __init__(self, other_done: asyncio.Event | None, done: asyncio.Event) -> None:
            super().__init__()
            self.other_done, self.done = other_done, done

        async def prepare(self):
            self.prepared += 1
            if self.other_done is not None:
                # Under one global lock this waits forever (well: 60 virtual seconds, then fails the items).
                await asyncio.wait_for(self.other_done.wait(), 60)
            await asyncio.sleep(0.1)
            self.done.set()

    async def scenario():
        a_done, b_done = asyncio.Event(), asyncio.Event()
        a, b = Waiting(b_done, a_done), Waiting(None, b_done)
        work = items(a, [f"a{i}" for i in range(10)]) + items(b, [f"b{i}" for i in range(10)])
        batch = await run_items(work, _config(max_workers=20))
        return batch, a, b

    batch, a, b = run_virtual(scenario())
    assert batch.succeeded == 20
    assert (a.prepared, b.prepared) == (1, 1)


# 11. cleanup() ran once per item even for a shared strategy.
def test_11_cleanup_once_per_strategy_also_after_failures():
    class FailingPrepare(Scripted):
        async def prepare(self):
            await super().prepare()
            raise RuntimeError("no cache today")

    shared = Scripted({f"p{i}": [TypeError("bug")] for i in range(0, 30, 3)})
    broken = FailingPrepare()
    work = [*items(shared, [f"p{i}" for i in range(30)]), LLMWorkItem("x", broken, "x"), LLMWorkItem("y", broken, "y")]
    batch = run(work, _config(max_workers=8))
    assert (shared.prepared, shared.cleaned) == (1, 1)
    assert (broken.prepared, broken.cleaned) == (1, 1)
    x, y = batch.results[-2:]
    assert not x.success and str(x.error) == "no cache today" and x.attempts == 0 and x.error_info.category == "prepare"
    assert x.error is y.error
    assert batch.succeeded == 20 and batch.failed == 12


# 12. Dry run still called prepare(), so a cached strategy created a real (billed) Gemini cache.
def test_12_dry_run_calls_neither_prepare_nor_execute():
    strategy = Scripted()
    batch = run(items(strategy, ["hello world, four tokens"]), _config(dry_run=True))
    assert strategy.prepared == 0 and strategy.calls == [] and strategy.cleaned == 0
    (result,) = batch.results
    assert result.success and result.output.startswith("[dry run]") and result.input_tokens == 6


# 14. JSONDecodeError was never retried; any message containing "quota" triggered a global 300 s pause.
def test_14_json_decode_errors_are_retried():
    strategy = Scripted({"a": [json.JSONDecodeError("Expecting value", "", 0)]})
    (result,) = run(items(strategy, ["a"]), _config()).results
    assert result.success and result.attempts == 2


def test_14_quota_exhaustion_is_not_retried_and_pauses_nobody():
    strategy = Scripted({"a": [QuotaExhausted("daily quota")]})
    recorder = _Recorder()
    batch = run(
        items(strategy, ["a", "b", "c"]),
        _config(max_workers=1),
        error_classifier=ScriptClassifier(),
        observers=[recorder],
    )
    a, b, c = batch.results
    assert not a.success and a.attempts == 1 and a.error_info.is_quota_exhausted
    assert b.success and c.success
    assert [t for t, _, _ in strategy.calls] == [0, 0, 0]  # nobody waited
    assert not recorder.of(ProcessingEvent.COOLDOWN_STARTED) and not recorder.of(ProcessingEvent.RATE_LIMIT_HIT)


def test_14_the_word_quota_alone_is_no_rate_limit():
    info = DefaultErrorClassifier().classify(RuntimeError("quota project header missing"))
    assert not info.is_rate_limit and not info.is_quota_exhausted


# 15. Default cooldown 300 s growing to 600 s, not configurable past that.
def test_15_cooldown_is_short_by_default_configurable_and_capped():
    assert RateLimitConfig().cooldown_seconds <= 10

    def second_call(rate_limit: RateLimitConfig, error: Exception) -> float:
        strategy = Scripted({"a": [error]})
        run(items(strategy, ["a"]), _config(rate_limit=rate_limit), error_classifier=ScriptClassifier())
        return strategy.calls[1][0]

    assert second_call(RateLimitConfig(cooldown_seconds=2, slow_start_items=0), RateLimited()) == 2
    assert second_call(RateLimitConfig(cooldown_seconds=2, slow_start_items=0), RateLimited(retry_after=42)) == 42
    capped = RateLimitConfig(cooldown_seconds=2, max_cooldown_seconds=50, slow_start_items=0)
    assert second_call(capped, RateLimited(retry_after=1000)) == 50
    default = RateLimitConfig(slow_start_items=0)
    assert second_call(default, RateLimited()) == default.cooldown_seconds


def test_15_repeated_cooldowns_do_not_grow():
    strategy = Scripted({"a": [RateLimited()] * 4})
    run(items(strategy, ["a"]), _config(), error_classifier=ScriptClassifier())
    times = [t for t, _, _ in strategy.calls]
    assert [b - a for a, b in itertools.pairwise(times)] == [5, 5, 5, 5]


# 16. PrepareOnceMixin was described in the migration guide but never shipped.
def test_16_prepare_once_mixin_runs_once_under_concurrency():
    from notebookllm.mixins import PrepareOnceMixin

    class Strategy(PrepareOnceMixin, LLMCallStrategy[str]):
        count = 0

        async def _prepare_once(self):
            await asyncio.sleep(1)
            type(self).count += 1

        async def execute(self, prompt, attempt, timeout):
            return prompt, None

    async def scenario():
        one, two = Strategy(), Strategy()
        await asyncio.gather(*(s.prepare() for _ in range(50) for s in (one, two)))
        await one.prepare()
        await two.prepare()

    run_virtual(scenario())
    assert Strategy.count == 2  # once per instance, not once per class nor once per call
