"""The processor's everyday behaviour: results, state, classification, hooks, events, limits."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from core_scripted import Scripted, items, run

from notebookllm import (
    BaseMiddleware,
    BaseObserver,
    DefaultErrorClassifier,
    ErrorClassifier,
    ErrorInfo,
    ItemCancelledError,
    LLMCallStrategy,
    LLMWorkItem,
    MetricsObserver,
    ParallelBatchProcessor,
    ProcessingEvent,
    ProcessorConfig,
    RateLimitConfig,
    RetryConfig,
    TokenUsage,
    WorkItemResult,
    backoff_delay,
    current_attempt,
)
from notebookllm.core.deadline import Deadline
from notebookllm.core.virtual_clock import run_virtual

FAST = ProcessorConfig(retry=RetryConfig(max_attempts=3, initial_wait=1, jitter=False))


def test_results_in_submission_order_with_timings_and_context():
    class Slow(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            await asyncio.sleep(int(prompt[1:]))
            return await super().execute(prompt, attempt, timeout, state)

    work = [LLMWorkItem(p, Slow(), p, context={"row": i}) for i, p in enumerate(["t3", "t1", "t2"])]
    batch = run(work, FAST)
    assert [r.item_id for r in batch.results] == ["t3", "t1", "t2"]
    assert [r.latency_s for r in batch.results] == [3, 1, 2]
    assert [r.context for r in batch.results] == [{"row": 0}, {"row": 1}, {"row": 2}]
    r = batch.results[0]
    assert r.finished_at >= r.started_at > 1.7e9 and r.error_type is None and r.error_message is None
    assert not r.from_cache and batch.total_items == 3 and not batch.interrupted


def test_as_completed_yields_in_finish_order_and_sets_result():
    class Slow(LLMCallStrategy[str]):
        async def execute(self, prompt, attempt, timeout):
            await asyncio.sleep(float(prompt))
            return prompt, None

    async def scenario():
        processor = ParallelBatchProcessor(ProcessorConfig(max_workers=4))
        for i, delay in enumerate(["3", "1", "2", "0.5"]):
            await processor.add_work(LLMWorkItem(f"i{i}", Slow(), delay))
        order = [r.item_id async for r in processor.as_completed()]
        return order, processor

    order, processor = run_virtual(scenario())
    assert order == ["i3", "i1", "i2", "i0"]
    assert [r.item_id for r in processor.result.results] == ["i0", "i1", "i2", "i3"]
    assert run_virtual(processor.process_all()) is processor.result


def test_retry_state_lives_across_attempts_and_is_per_item():
    class Counting(LLMCallStrategy[int]):
        async def execute(self, prompt, attempt, timeout, state=None):
            state.set("n", state.get("n", 0) + 1)
            if state.get("n") < 3:
                raise ConnectionError("again")
            return state.get("n"), None

    batch = run(items(Counting(), ["a", "b"]), FAST)
    assert [r.output for r in batch.results] == [3, 3]


def test_strategies_without_state_parameter_keep_working():
    class Old(LLMCallStrategy[str]):
        def __init__(self):
            self.errors = []

        async def execute(self, prompt, attempt, timeout):
            if attempt == 1:
                raise ConnectionError
            return f"{prompt}@{attempt}", TokenUsage(input_tokens=2)

        async def on_error(self, exception, attempt):
            self.errors.append(attempt)

    strategy = Old()
    (result,) = run(items(strategy, ["a"]), FAST).results
    assert result.output == "a@2" and result.input_tokens == 2 and strategy.errors == [1]


def test_metadata_comes_from_the_last_attempt_and_billed_usage_is_the_fallback():
    class Annotating(LLMCallStrategy[str]):
        async def execute(self, prompt, attempt, timeout, state=None):
            ctx = current_attempt()
            assert (ctx.item_id, ctx.attempt) == (prompt, attempt)
            ctx.annotate(finish_reason="MAX_TOKENS" if attempt == 1 else "STOP", attempt_seen=attempt)
            ctx.bill({"input_tokens": 5, "output_tokens": 1})
            if attempt == 1:
                raise ConnectionError
            return "ok", None

    (result,) = run(items(Annotating(), ["a"]), FAST).results
    assert result.metadata == {"finish_reason": "STOP", "attempt_seen": 2}
    assert (result.input_tokens, result.output_tokens) == (10, 2)
    assert current_attempt() is None


def test_cost_of_every_attempt_is_in_the_result_failed_attempts_included():
    class Priced(LLMCallStrategy[str]):
        async def execute(self, prompt, attempt, timeout, state=None):
            current_attempt().annotate(cost_usd=0.25 * attempt, finish_reason="STOP")
            if attempt < int(prompt):
                raise ConnectionError
            return "ok", None

    class Unpriced(LLMCallStrategy[str]):
        async def execute(self, prompt, attempt, timeout, state=None):
            if attempt == 1:
                raise ConnectionError
            return "ok", None

    once, twice, never = run(items(Priced(), ["1", "2", "9"]), FAST).results
    assert once.metadata["cost_usd"] == 0.25
    assert twice.success and twice.metadata == {"cost_usd": 0.25 + 0.5, "finish_reason": "STOP"}
    assert not never.success and never.metadata["cost_usd"] == 0.25 + 0.5 + 0.75  # all three attempts billed
    (plain,) = run(items(Unpriced(), ["a"]), FAST).results
    assert plain.success and "cost_usd" not in plain.metadata


def test_classifier_precedence():
    class Never(ErrorClassifier):
        def classify(self, exc):
            return ErrorInfo(retryable=False, category="never")

    class Own(Scripted):
        def default_error_classifier(self):
            return Never()

    script = {"a": [ConnectionError()]}
    assert run(items(Scripted(script), ["a"]), FAST).results[0].attempts == 2  # DefaultErrorClassifier
    assert run(items(Own(script), ["a"]), FAST).results[0].error_info.category == "never"

    class Always(ErrorClassifier):
        def classify(self, exc):
            return ErrorInfo(retryable=True, category="always")

    result = run(items(Own({"a": [TypeError()] * 2}), ["a"]), FAST, error_classifier=Always()).results[0]
    assert result.success and result.attempts == 3

    class Broken(ErrorClassifier):
        def classify(self, exc):
            raise RuntimeError("classifier bug")

    result = run(items(Scripted(script), ["a"]), FAST, error_classifier=Broken()).results[0]
    assert not result.success and result.attempts == 1 and isinstance(result.error, ConnectionError)


def test_not_retryable_and_exhausted_errors():
    batch = run(items(Scripted({"bug": [TypeError("x")], "net": [ConnectionError()] * 3}), ["bug", "net"]), FAST)
    bug, net = batch.results
    assert (bug.attempts, bug.error_type, bug.error_info.category) == (1, "TypeError", "programming")
    assert (net.attempts, net.error_info.category, net.output) == (3, "network", None)


def test_backoff_schedule_on_the_loop_clock():
    config = ProcessorConfig(retry=RetryConfig(max_attempts=4, initial_wait=2, exponential_base=3, jitter=False))
    strategy = Scripted({"a": [ConnectionError()] * 3})
    run(items(strategy, ["a"]), config)
    assert [t for t, _, _ in strategy.calls] == [0, 2, 8, 26]


def test_the_default_retries_as_google_genai_does_five_attempts_one_second_doubling():
    strategy = Scripted({"down": [ConnectionError()] * 10})
    (result,) = run(items(strategy, ["down"])).results  # ProcessorConfig(): every default
    assert result.attempts == RetryConfig().max_attempts == 5  # HttpRetryOptions: 5 attempts, the first included
    times = [t for t, _, _ in strategy.calls]
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]
    # 1 s doubling, each wait drawn between half and all of it
    assert all(full / 2 <= wait <= full for wait, full in zip(waits, [1, 2, 4, 8], strict=True))


def test_backoff_delay_with_jitter_stays_within_half_to_full():
    import random

    config = RetryConfig(initial_wait=1, max_wait=10, jitter=True)
    rng = random.Random(1)
    for attempt, full in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)]:
        for _ in range(50):
            assert full / 2 <= backoff_delay(config, attempt, rng) <= full


def test_middleware_can_replace_items_and_results_and_sees_errors():
    class Rewrite(BaseMiddleware):
        def __init__(self):
            self.errors = []

        async def before_process(self, item):
            return LLMWorkItem(item.item_id, item.strategy, item.prompt + "!", item.context)

        async def after_process(self, result):
            return WorkItemResult(result.item_id, result.success, f"<{result.output}>", attempts=result.attempts)

        async def on_error(self, item, error):
            self.errors.append((item.item_id, type(error).__name__))

    middleware = Rewrite()
    seen = []
    batch = run(
        items(Scripted({"a!": [ConnectionError()]}), ["a"]), FAST, middlewares=[middleware], post_processor=seen.append
    )
    assert batch.results[0].output == "<A!>" and seen == batch.results
    assert middleware.errors == [("a", "ConnectionError")]


def test_event_order_for_one_item():
    class Recorder(BaseObserver):
        def __init__(self):
            self.events = []

        async def on_event(self, event, data):
            self.events.append(event)

    recorder = Recorder()
    run(items(Scripted({"a": [ConnectionError()]}), ["a"]), FAST, observers=[recorder])
    E = ProcessingEvent
    assert recorder.events == [
        E.PROCESSING_STARTED,
        E.ITEM_STARTED,
        E.ITEM_RETRYING,
        E.ITEM_STARTED,
        E.ITEM_COMPLETED,
        E.PROCESSING_COMPLETED,
    ]


def _most_in_a_window(times: list[float], weights: list[float], seconds: float = 60.0) -> float:
    """The largest total of ``weights`` sent within any ``seconds`` (a server's sliding window, both ends in)."""
    return max(sum(w for t, w in zip(times, weights, strict=True) if start <= t <= start + seconds) for start in times)


def test_requests_per_minute_admission_stays_inside_every_sliding_window():
    strategy = Scripted()
    config = ProcessorConfig(max_workers=50, rate_limit=RateLimitConfig(requests_per_minute=60))
    batch = run(items(strategy, [f"p{i}" for i in range(130)]), config)
    assert batch.succeeded == 130
    times = sorted(t for t, _, _ in strategy.calls)
    # One at a time, evenly, a little under the limit: no burst at the start, no 60 s window over 60 requests,
    # not even one a second wider (a request's time in transit), and still 60/61 of the allowed rate.
    assert times[:3] == pytest.approx([0, 61 / 60, 122 / 60], abs=0.01)
    assert _most_in_a_window(times, [1] * 130) == 60
    assert _most_in_a_window(times, [1] * 130, seconds=60.9) == 60
    assert 129 / times[-1] * 60 / 60 == pytest.approx(60 / 61, abs=0.001)


def test_tokens_per_minute_admission_counts_input_tokens_only_by_default():
    strategy = Scripted()
    prompt = "x" * 400  # 100 input tokens
    config = ProcessorConfig(max_workers=20, rate_limit=RateLimitConfig(tokens_per_minute=6100))
    work = [LLMWorkItem(f"i{i}", strategy, prompt) for i in range(130)]
    assert run(work, config).succeeded == 130
    times = sorted(t for t, _, _ in strategy.calls)
    # The bucket holds a second's worth (100 tokens) and drains 6000 a minute: one request every 61/60 s, so no
    # sliding window holds more than 6,100 tokens, and the pace is that of 100 tokens a request — no output
    # tokens added for a quota (Gemini's) that counts input only.
    assert times[:3] == pytest.approx([0, 61 / 60, 122 / 60], abs=0.01)
    assert _most_in_a_window(times, [100] * 130, seconds=60.9) <= 6100


def test_tokens_per_minute_admission_adds_expected_output_tokens_when_set():
    strategy = Scripted()
    config = ProcessorConfig(
        max_workers=20, rate_limit=RateLimitConfig(tokens_per_minute=12200, expected_output_tokens=100)
    )
    work = [LLMWorkItem(f"i{i}", strategy, "x" * 400) for i in range(5)]
    assert run(work, config).succeeded == 5
    times = sorted(t for t, _, _ in strategy.calls)
    assert times == pytest.approx([0, 61 / 60, 122 / 60, 183 / 60, 244 / 60], abs=0.01)  # 200 tokens a request


def test_metrics_observer_and_prometheus_export():
    metrics = MetricsObserver()
    work = items(Scripted({"b": [TypeError()]}, usage={"input_tokens": 10, "cached_input_tokens": 4}, delay=2), "ab")
    run(work, FAST, observers=[metrics])
    m = metrics.get_metrics()
    assert (m["items_succeeded"], m["items_failed"], m["items_finished"], m["attempts"]) == (1, 1, 2, 2)
    assert m["latency_p50_s"] == 2 and m["latency_p99_s"] == 2
    assert (m["input_tokens"], m["cached_input_tokens"]) == (10, 4)
    text = metrics.to_prometheus()
    assert "# TYPE notebookllm_items_failed_total counter" in text
    assert "notebookllm_items_failed_total 1" in text
    assert 'notebookllm_tokens_total{kind="cached_input"} 4' in text
    assert 'notebookllm_item_latency_seconds{quantile="0.95"} 2' in text
    assert 'notebookllm_errors_total{category="programming"} 1' in text


def test_metrics_percentiles_rate_limits_and_prometheus_format():
    import re

    from core_scripted import RateLimited, ScriptClassifier

    class Sleepy(Scripted):
        async def execute(self, prompt, attempt, timeout, state=None):
            await asyncio.sleep(int(prompt[1:]))
            return await super().execute(prompt, attempt, timeout, state)

    # 20 items taking 1..20 s; p20 is rate limited once (at 20 s: after every other item has finished)
    prompts = [f"p{i}" for i in range(1, 21)]
    strategy = Sleepy({"p20": [RateLimited(retry_after=5)]})
    config = ProcessorConfig(max_workers=20, rate_limit=RateLimitConfig(slow_start_items=0))
    metrics = MetricsObserver()
    run(items(strategy, prompts), config, error_classifier=ScriptClassifier(), observers=[metrics])
    m = metrics.get_metrics()
    # nearest rank over latencies 1, 2, ..., 19 and 45 (20 s, a 5 s cooldown, 20 s again)
    assert [m[f"latency_p{p}_s"] for p in (50, 90, 95, 99)] == [10, 18, 19, 45]
    assert m["latency_mean_s"] == pytest.approx((sum(range(1, 20)) + 45) / 20)
    assert (m["attempts"], m["rate_limit_hits"], m["cooldowns"], m["retries"]) == (21, 1, 1, 0)

    text = metrics.to_prometheus(prefix="job")
    sample = re.compile(r'^job_[a-z_]+(\{[a-z_]+="[^"]*"\})? -?[0-9.e+]+$')
    declared = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            declared.add(line.split()[2])
        elif not line.startswith("# HELP "):
            assert sample.match(line), line
            family = line.split("{")[0].split()[0].removesuffix("_sum").removesuffix("_count")
            assert family in declared, f"{family} sampled before its # TYPE line"
    assert 'job_item_latency_seconds{quantile="0.5"} 10' in text
    assert 'job_item_latency_seconds{quantile="0.99"} 45' in text
    assert "job_item_latency_seconds_sum 235" in text and "job_item_latency_seconds_count 20" in text
    assert "job_rate_limit_hits_total 1" in text and "job_attempts_total 21" in text


def test_async_with_finishes_a_run_left_going():
    async def scenario():
        async with ParallelBatchProcessor(ProcessorConfig(max_workers=2)) as processor:
            for item in items(Scripted(delay=1), ["a", "b", "c"]):
                await processor.add_work(item)
            running = asyncio.create_task(processor.process_all())
            await asyncio.sleep(0)  # one loop turn: the task starts the run; the block is left with it going
            assert not running.done()
        # the block's exit waited for the rest
        assert running.done()
        return processor, await running

    processor, batch = run_virtual(scenario())
    assert batch is processor.result and batch.total_items == 3
    assert batch.succeeded == 3 and not batch.interrupted


def test_breaking_out_of_as_completed_inside_async_with_stops_the_run():
    async def scenario():
        async with ParallelBatchProcessor(ProcessorConfig(max_workers=2)) as processor:
            for item in items(Scripted(delay=1), ["a", "b", "c"]):
                await processor.add_work(item)
            async for _ in processor.as_completed():
                break  # the abandoned generator is closed by the loop, which stops the run, as documented
        return processor.result

    batch = run_virtual(scenario())
    assert batch.interrupted and batch.total_items == 3
    assert [r.success for r in batch.results] == [True, True, False]
    assert isinstance(batch.results[2].error, ItemCancelledError)


def test_empty_run():
    assert run([], FAST).total_items == 0


def test_deadline_tells_its_timeout_from_an_outside_cancel():
    async def scenario():
        loop = asyncio.get_running_loop()
        outcomes = []

        async def guarded(delay_before_cancel):
            deadline = Deadline(loop, asyncio.current_task(), loop.time() + 5)
            try:
                await asyncio.sleep(100)
            except asyncio.CancelledError:
                outcomes.append("timeout" if deadline.expired() else "cancelled")
                if delay_before_cancel is not None:
                    raise
            finally:
                deadline.disarm()

        await guarded(None)
        task = asyncio.create_task(guarded(1))
        await asyncio.sleep(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return outcomes

    assert run_virtual(scenario()) == ["timeout", "cancelled"]


def test_default_classifier_rules():
    import json

    from pydantic import BaseModel, ValidationError

    class M(BaseModel):
        x: int

    try:
        M(x="no")
    except ValidationError as exc:
        validation = exc
    c = DefaultErrorClassifier()
    assert c.classify(validation).retryable and c.classify(json.JSONDecodeError("x", "", 0)).retryable
    assert c.classify(TimeoutError()).category == "timeout" and not c.classify(KeyError()).retryable
