"""1,000 items through the processor with injected 429s (RetryInfo 1 s), 503s and hangs, against the emulator.

Every item is accounted for, the request log shows no request sent during a cooldown, and the per-status request
counts equal exactly what ``max_attempts`` allows for each kind of item (one extra attempt anywhere would show).
"""

from __future__ import annotations

import collections
import time

import pytest

from notebookllm import (
    BaseObserver,
    LLMWorkItem,
    ParallelBatchProcessor,
    ProcessingEvent,
    ProcessorConfig,
    RateLimitConfig,
    RetryConfig,
)
from notebookllm.gemini import GeminiStrategy

pytestmark = [pytest.mark.sdk_compat, pytest.mark.timeout(60)]

MAX_ATTEMPTS = 3
MAX_UNAVAILABLE_WAITS = 4  # 503s: not billed, not about the item, so they have their own limit
RETRY_DELAY_S = 1.0
# kind → (marker, succeeds, requests per item by status)
KINDS = {
    "plain": ("", True, {200: 1}),
    "rate_limited": ("[[fail:429:1x1]]", True, {429: 1, 200: 1}),
    "flaky": ("[[fail:503x2]]", True, {503: 2, 200: 1}),
    "down": ("[[fail:503x*]]", False, {503: MAX_UNAVAILABLE_WAITS + 1}),
    "hangs_once": ("[[fail:hangx1]]", True, {499: 1, 200: 1}),
    "hangs": ("[[fail:hangx*]]", False, {499: MAX_ATTEMPTS}),
}


class _Timeline(BaseObserver):
    """When each cooldown began and each attempt passed the rate gate, on the clock of the emulator's log
    (``time.time()`` in this process), so the checks below compare the order of events, not durations."""

    def __init__(self) -> None:
        self.cooldowns: list[tuple[float, float]] = []
        self.sends: list[float] = []

    async def on_event(self, event, data) -> None:
        if event is ProcessingEvent.COOLDOWN_STARTED:
            now = time.time()
            self.cooldowns.append((now, now + data["seconds"]))
        elif event is ProcessingEvent.ITEM_STARTED:
            self.sends.append(time.time())


def _kind(i: int) -> str:
    if i < 30 or 600 <= i < 610:  # two bursts of rate limits, at the start and mid-run
        return "rate_limited"
    for every, kind in ((250, "hangs"), (100, "hangs_once"), (50, "down"), (10, "flaky")):
        if i % every == 7:
            return kind
    return "plain"


async def test_thousand_items_with_rate_limits_server_errors_and_hangs(make_emulator):
    emu = make_emulator(hang_s=30)
    strategy = GeminiStrategy(emu.client(), "gemini-2.5-flash")
    config = ProcessorConfig(
        max_workers=64,
        timeout_per_item=2.0,  # hangs cost this; ample for a real reply even on a busy machine
        retry=RetryConfig(
            max_attempts=MAX_ATTEMPTS, max_unavailable_waits=MAX_UNAVAILABLE_WAITS, initial_wait=0.01, max_wait=0.05
        ),
        rate_limit=RateLimitConfig(cooldown_seconds=5, slow_start_items=4, slow_start_interval=0.01),
    )
    kinds = {f"row-{i}": _kind(i) for i in range(1000)}
    timeline = _Timeline()
    async with ParallelBatchProcessor(config=config, observers=[timeline]) as processor:
        for item_id, kind in kinds.items():
            await processor.add_work(LLMWorkItem(item_id, strategy, f"Summarise {item_id} {KINDS[kind][0]}"))
        batch = await processor.process_all()
    await strategy.client.aio.aclose()

    # every item accounted for, exactly once, with the outcome its faults allow
    assert [r.item_id for r in batch.results] == list(kinds)
    for r in batch.results:
        kind = kinds[r.item_id]
        assert r.success is KINDS[kind][1], (r.item_id, kind, r.error)
        assert r.attempts <= MAX_ATTEMPTS
        assert r.unavailable_waits == KINDS[kind][2].get(503, 0)  # 503s are counted apart from attempts
        if not r.success:
            assert r.attempts == (0 if kind == "down" else MAX_ATTEMPTS)
            assert r.error_info.category == ("server" if kind == "down" else "timeout")

    # requests per status: exactly what the limits allow per item (rate-limit waits and 503s use no attempt)
    expected: collections.Counter[int] = collections.Counter()
    for kind in kinds.values():
        expected.update(KINDS[kind][2])
    records = [rec for rec in emu.log if rec.endpoint == "generateContent"]
    seen = collections.Counter(rec.status for rec in records)
    for status in (200, 429, 503):
        assert seen[status] == expected[status], status
    # a hung request is logged (499) when the server notices the client left, which may trail the run's end
    assert seen[499] <= expected[499]

    # no request sent during a cooldown: nothing passed the gate inside one, and every request the server saw
    # inside one had been sent before it began (still in flight then). A hung request is logged when it ends, so
    # one missing from the log only loosens the in-flight count, never the check on sends.
    assert timeline.cooldowns, "the 429s started no cooldown"
    assert all(end - start == pytest.approx(RETRY_DELAY_S) for start, end in timeline.cooldowns)
    for start, end in timeline.cooldowns:
        assert [t - start for t in timeline.sends if start < t < end] == []
        in_flight = sum(t < start for t in timeline.sends) - sum(r.started_at <= start for r in records)
        arrived_during = sum(start < r.started_at < end for r in records)
        assert arrived_during <= in_flight
