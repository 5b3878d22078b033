"""1,000 items through the processor with injected 429s (RetryInfo 1 s), 503s and hangs, against the emulator.

Every item is accounted for, the request log shows no request started during a cooldown, and the per-status request
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
RETRY_DELAY_S = 1.0
# kind → (marker, succeeds, requests per item by status)
KINDS = {
    "plain": ("", True, {200: 1}),
    "rate_limited": ("[[fail:429:1x1]]", True, {429: 1, 200: 1}),
    "flaky": ("[[fail:503x2]]", True, {503: 2, 200: 1}),
    "down": ("[[fail:503x*]]", False, {503: MAX_ATTEMPTS}),
    "hangs_once": ("[[fail:hangx1]]", True, {499: 1, 200: 1}),
    "hangs": ("[[fail:hangx*]]", False, {499: MAX_ATTEMPTS}),
}


class _Cooldowns(BaseObserver):
    """Wall-clock windows of the processor's cooldowns (the emulator's log is in wall-clock time too)."""

    def __init__(self) -> None:
        self.windows: list[tuple[float, float]] = []

    async def on_event(self, event, data) -> None:
        if event is ProcessingEvent.COOLDOWN_STARTED:
            now = time.time()
            self.windows.append((now, now + data["seconds"]))


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
        retry=RetryConfig(max_attempts=MAX_ATTEMPTS, initial_wait=0.01, max_wait=0.05),
        rate_limit=RateLimitConfig(cooldown_seconds=5, slow_start_items=4, slow_start_interval=0.01),
    )
    kinds = {f"row-{i}": _kind(i) for i in range(1000)}
    cooldowns = _Cooldowns()
    async with ParallelBatchProcessor(config=config, observers=[cooldowns]) as processor:
        for item_id, kind in kinds.items():
            await processor.add_work(LLMWorkItem(item_id, strategy, f"Summarise {item_id} {KINDS[kind][0]}"))
        batch = await processor.process_all()

    # every item accounted for, exactly once, with the outcome its faults allow
    assert [r.item_id for r in batch.results] == list(kinds)
    for r in batch.results:
        kind = kinds[r.item_id]
        assert r.success is KINDS[kind][1], (r.item_id, kind, r.error)
        assert r.attempts <= MAX_ATTEMPTS
        if not r.success:
            assert r.attempts == MAX_ATTEMPTS
            assert r.error_info.category == ("server" if kind == "down" else "timeout")

    # requests per status: exactly what max_attempts allows per item (rate-limit waits use no attempt)
    expected: collections.Counter[int] = collections.Counter()
    for kind in kinds.values():
        expected.update(KINDS[kind][2])
    records = [rec for rec in emu.log if rec.endpoint == "generateContent"]
    seen = collections.Counter(rec.status for rec in records)
    for status in (200, 429, 503):
        assert seen[status] == expected[status], status
    # a hung request is logged (499) when the server notices the client left, which may trail the run's end
    assert seen[499] <= expected[499]

    # no request started while a cooldown was running. A request that passed the gate just before the cooldown
    # began may reach the server a moment later, hence the margin.
    assert cooldowns.windows, "the 429s started no cooldown"
    assert all(end - start == pytest.approx(RETRY_DELAY_S) for start, end in cooldowns.windows)
    margin = 0.2
    for start, end in cooldowns.windows:
        inside = [o.started_at - start for o in records if start + margin < o.started_at < end]
        assert inside == [], f"{len(inside)} requests started during a cooldown, at {inside[:5]} s into it"
