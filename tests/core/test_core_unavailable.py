"""503s — the service overloaded or down: billed nothing and not about the item, so they use no attempt, back off on
their own count, and a run that meets nothing but 503s for ``stop_when_unavailable_for`` seconds stops.

On the virtual clock: the asserted times are loop times.
"""

from __future__ import annotations

import json

from core_scripted import ScriptClassifier, Scripted, Unavailable, items, run

from notebookllm import LLMWorkItem, ProcessorConfig, RetryConfig


def _config(workers: int = 1, **retry) -> ProcessorConfig:
    retry = {"initial_wait": 1, "jitter": False, "stop_when_unavailable_for": None, **retry}
    return ProcessorConfig(max_workers=workers, retry=RetryConfig(**retry))


def test_503s_use_no_attempt_and_back_off_counted_in_503s():
    strategy = Scripted({"a": [Unavailable()] * 3})
    (result,) = run(items(strategy, ["a"]), _config(max_attempts=1), error_classifier=ScriptClassifier()).results
    assert result.success and (result.attempts, result.unavailable_waits) == (1, 3)
    # the same attempt sent again after 1, 2 and 4 s
    assert [(t, n) for t, _, n in strategy.calls] == [(0, 1), (1, 1), (3, 1), (7, 1)]


def test_an_item_gives_up_after_its_503_limit_and_attempts_are_counted_apart():
    bad_json = json.JSONDecodeError("cut short", "{", 1)  # billed: uses an attempt
    strategy = Scripted({"down": [Unavailable()] * 9, "mixed": [bad_json, Unavailable(), bad_json]})
    config = _config(max_attempts=2, max_unavailable_waits=2)
    down, mixed = run(items(strategy, ["down", "mixed"]), config, error_classifier=ScriptClassifier()).results
    assert not down.success and isinstance(down.error, Unavailable)
    assert (down.attempts, down.unavailable_waits) == (0, 3) and down.error_info.scope == "item"
    # two validation failures use up max_attempts=2; the 503 between them did not count
    assert not mixed.success and isinstance(mixed.error, json.JSONDecodeError)
    assert (mixed.attempts, mixed.unavailable_waits) == (2, 1)
    assert strategy.seen == {"down": 3, "mixed": 3}


def test_nothing_but_503s_for_the_window_stops_the_run_and_wakes_the_retries_waiting():
    fast, slow = Scripted({"a": [Unavailable()] * 99}), Scripted({"c": [Unavailable()] * 99}, delay=0.5)
    work = [LLMWorkItem("a", fast, "a"), LLMWorkItem("c", slow, "c"), *items(fast, ["q1", "q2", "q3"])]
    config = _config(workers=2, max_unavailable_waits=50, stop_when_unavailable_for=10)
    batch = run(work, config, error_classifier=ScriptClassifier())
    a, c, *queued = batch.results
    # a's 503s at 0, 1, 3, 7, 15 (c's at 0.5, 2, 4.5, 9): at 15 the 503s have lasted 15 s since the first at 0
    assert [t for t, _, _ in fast.calls] == [0, 1, 3, 7, 15] and (a.unavailable_waits, a.latency_s) == (5, 15)
    # c, waiting until 17 for its next attempt, is woken and fails at 15 instead of sending it
    assert [t for t, _, _ in slow.calls] == [0, 1.5, 4, 8.5] and c.latency_s == 15
    assert not batch.succeeded and all(isinstance(r.error, Unavailable) for r in batch.results)
    assert all(r.error_info.scope == "run" and not r.error_info.retryable for r in (c, *queued))
    # the rows never sent fail with the 503 that stopped the run, none of them tried
    assert [(r.attempts, r.unavailable_waits) for r in queued] == [(0, 0)] * 3
    assert {p for _, p, _ in fast.calls} == {"a"}


def test_any_answer_restarts_the_count_so_an_overloaded_but_answering_service_is_not_stopped():
    down = Scripted({"a": [Unavailable()] * 99})
    answering = Scripted(delay=8)  # answers at 8, while a's 503s have lasted 7 s
    work = [LLMWorkItem("a", down, "a"), LLMWorkItem("b", answering, "b"), *items(down, ["q1", "q2"])]
    config = _config(workers=2, max_unavailable_waits=4, stop_when_unavailable_for=10)
    a, b, *rest = run(work, config, error_classifier=ScriptClassifier()).results
    # a's fifth 503, at 15, is its own limit (not the run's): 7 s after the answer at 8
    assert not a.success and a.unavailable_waits == 5 and a.error_info.scope == "item" and a.latency_s == 15
    assert b.success and all(r.success for r in rest)
