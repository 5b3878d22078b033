"""Attempts, rate-limit waits and money: a 2xx the SDK raises is not retried, rate-limit waits have their own
column (``attempts`` never exceeds ``max_attempts``), and the cost of every attempt is counted, not only the last."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import notebookllm as nl
from notebookllm import RateLimitConfig, RetryConfig
from notebookllm.emulator import Emulator, Fault

FAST = {"retry": RetryConfig(initial_wait=0.001, max_wait=0.002), "rate_limit": RateLimitConfig(slow_start_items=0)}


def _run(prompts: list[str], strategy: Any, **kw: Any) -> nl.Results:
    return nl.run(prompts, strategy=strategy, cache=False, progress=False, **{**FAST, **kw})


def test_a_2xx_the_sdk_raises_is_not_retried(emulator: Emulator, strategy: Any) -> None:
    emulator.script("odd status", [Fault("status", 201)] * 3)
    results = _run(["an odd status"], strategy, max_attempts=3)
    row = results.df.iloc[0]
    assert not row["success"] and row["attempts"] == 1
    assert results.results[0].error_info.category == "unexpected_status"
    assert emulator.count(endpoint="generateContent") == 1


def test_rate_limit_waits_have_their_own_column(emulator: Emulator, strategy: Any) -> None:
    results = _run(["busy [[fail:429:0.01x5]]", "fine"], strategy, max_attempts=3)
    df = results.df
    assert df["success"].all()
    assert df["attempts"].tolist() == [1, 1] and df["rate_limit_waits"].tolist() == [5, 0]
    assert emulator.count(endpoint="generateContent", status=429) == 5


class Label(BaseModel):
    label: str


def _refuse(response: Any) -> Any:
    return Label.model_validate({})  # billed and priced, then refused (a ValidationError is retried)


@pytest.mark.sdk_compat
def test_the_cost_of_every_attempt_is_counted(emulator: Emulator) -> None:
    strategy = nl.GeminiStrategy(client=emulator.client(), include_metadata=True)
    one = _run(["the same prompt"], strategy).results[0]
    picky = nl.GeminiStrategy(client=emulator.client(), include_metadata=True, response_parser=_refuse)
    failed = _run(["the same prompt"], picky, max_attempts=3).results[0]
    assert not failed.success and failed.attempts == 3
    assert emulator.count(endpoint="generateContent") == 4
    # three attempts billed the same tokens; the cost counts all three as the tokens do, not only the last
    assert failed.token_usage.input_tokens == 3 * one.token_usage.input_tokens
    assert failed.metadata["cost_usd"] == pytest.approx(3 * one.metadata["cost_usd"])
