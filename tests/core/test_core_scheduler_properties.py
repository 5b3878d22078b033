"""The retry/cooldown scheduler as properties (hypothesis), on the virtual clock: whatever mix of transient errors
and rate limits each item meets, every item ends with exactly one result; it succeeds exactly when its transient
failures fit its attempt budget; rate-limit waits never use an attempt; and no attempt starts inside a cooldown."""

from __future__ import annotations

from core_scripted import RateLimited, ScriptClassifier, Scripted, items, run
from hypothesis import given, settings
from hypothesis import strategies as st

from notebookllm import ProcessorConfig, RateLimitConfig, RetryConfig

MAX_ATTEMPTS = 3
# One step per attempt: "t" a transient error (retried with backoff), a number a rate limit with that retry delay.
steps = st.lists(st.one_of(st.just("t"), st.sampled_from([0.5, 2.0, 7.0])), max_size=6)


@settings(max_examples=40, deadline=None)
@given(plans=st.lists(steps, min_size=1, max_size=6), workers=st.integers(1, 4))
def test_scheduler_properties(plans: list[list[object]], workers: int) -> None:
    prompts = [f"item {i}" for i in range(len(plans))]
    script = {
        p: [ConnectionError("reset") if s == "t" else RateLimited(retry_after=s) for s in plan]
        for p, plan in zip(prompts, plans, strict=True)
    }
    strategy = Scripted(script)
    config = ProcessorConfig(
        max_workers=workers,
        retry=RetryConfig(max_attempts=MAX_ATTEMPTS, initial_wait=1, max_wait=4),
        rate_limit=RateLimitConfig(cooldown_seconds=5, slow_start_items=0, max_rate_limit_waits=10),
    )
    batch = run(items(strategy, prompts), config, error_classifier=ScriptClassifier())

    assert [r.item_id for r in batch.results] == prompts  # exactly one result each, in order
    for prompt, plan, result in zip(prompts, plans, batch.results, strict=True):
        used = _consumed(plan)
        transients = sum(1 for s in used if s == "t")
        limits = len(used) - transients
        assert result.success == (transients < MAX_ATTEMPTS)
        assert result.attempts == min(transients + 1, MAX_ATTEMPTS) <= MAX_ATTEMPTS
        assert result.rate_limit_waits == limits  # waits apart from attempts
        assert sum(1 for _, p, _ in strategy.calls if p == prompt) == result.attempts + limits

    # No attempt starts while a cooldown runs: after a rate limit at t with delay d, nothing starts in (t, t + d).
    limited = [(t, p, n) for t, p, n in strategy.calls if _step(script, strategy.calls, (t, p, n)) is RateLimited]
    for t, prompt, n in limited:
        delay = _delay(script, strategy.calls, (t, prompt, n))
        assert not any(t < other < t + delay - 1e-9 for other, _, _ in strategy.calls), (t, delay)


def _consumed(plan: list[object]) -> list[object]:
    """The steps an item goes through before it succeeds or runs out of attempts."""
    used, transients = [], 0
    for s in plan:
        used.append(s)
        transients += s == "t"
        if transients == MAX_ATTEMPTS:
            break
    return used


def _index(calls: list[tuple[float, str, int]], call: tuple[float, str, int]) -> int:
    """Which step of its item's script ``call`` was (its position among that item's calls)."""
    mine = [c for c in calls if c[1] == call[1]]
    return mine.index(call)


def _step(script: dict, calls: list, call: tuple) -> type | None:
    plan = script[call[1]]
    i = _index(calls, call)
    return type(plan[i]) if i < len(plan) else None


def _delay(script: dict, calls: list, call: tuple) -> float:
    return script[call[1]][_index(calls, call)].retry_after
