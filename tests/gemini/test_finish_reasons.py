"""Every finish reason and block reason decided on purpose, and each outcome through the real SDK and processor."""

from __future__ import annotations

import pydantic
import pytest
from gemini_helpers import run_items
from google.genai import types

from notebookllm import ProcessorConfig, RetryConfig
from notebookllm.gemini import (
    BLOCKED_REASON_OUTCOMES,
    FINISH_REASON_OUTCOMES,
    GeminiBlockedError,
    GeminiFinishReasonError,
    GeminiStrategy,
    GeminiTruncatedError,
    finish_outcome,
)

OUTCOMES = {"ok", "blocked", "truncated", "failed", "account", "retry"}


class Book(pydantic.BaseModel):
    title: str
    year: int


def test_every_value_of_the_installed_sdk_is_mapped_on_purpose():
    assert {m.name for m in types.FinishReason} <= FINISH_REASON_OUTCOMES.keys()
    assert {m.name for m in types.BlockedReason} <= BLOCKED_REASON_OUTCOMES.keys()
    assert set(FINISH_REASON_OUTCOMES.values()) <= OUTCOMES
    assert set(BLOCKED_REASON_OUTCOMES.values()) == {"blocked"}
    assert finish_outcome("A_REASON_FROM_THE_FUTURE") == "failed"  # never re-billed blindly


async def test_max_tokens_in_json_mode_is_not_repaired_nor_retried_and_keeps_the_partial_text(
    emulator, emulator_client
):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=Book)
    (result,) = (await run_items(strategy, ["Dune by Frank Herbert [[max-tokens]]"])).results
    assert not result.success and isinstance(result.error, GeminiTruncatedError)
    assert (result.error_info.category, result.attempts) == ("max_tokens", 1)
    assert result.error.partial_text and result.error.partial_text.startswith("{")
    assert result.metadata["finish_reason"] == "MAX_TOKENS" and result.token_usage.output_tokens > 0
    assert emulator.count(endpoint="generateContent") == 1


async def test_thinking_that_uses_the_whole_budget_is_truncated_not_retried(emulator_client):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", max_output_tokens=8)
    (result,) = (await run_items(strategy, ["Explain the tides"])).results
    assert isinstance(result.error, GeminiTruncatedError) and result.error.partial_text is None
    assert result.attempts == 1 and result.token_usage.thoughts_tokens > 0
    assert "8 thinking tokens" in str(result.error)  # thinking stops at the budget too


@pytest.mark.parametrize(
    "reason",
    [
        "RECITATION",
        "LANGUAGE",
        "MALFORMED_FUNCTION_CALL",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "MISSING_THOUGHT_SIGNATURE",
        "NO_IMAGE",
        "IMAGE_RECITATION",
    ],
)
async def test_deterministic_finish_reasons_fail_without_a_retry(emulator, emulator_client, reason):
    (result,) = (await run_items(GeminiStrategy(emulator_client), [f"Hi [[finish:{reason}]]"])).results
    assert isinstance(result.error, GeminiFinishReasonError) and result.error.finish_reason == reason
    assert (result.error_info.category, result.error_info.scope, result.attempts) == ("finish_reason", "item", 1)
    assert emulator.count(endpoint="generateContent") == 1


@pytest.mark.parametrize(
    "reason",
    ["SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "ESCALATION"],
)
async def test_filter_finish_reasons_are_blocked(emulator_client, reason):
    (result,) = (await run_items(GeminiStrategy(emulator_client), [f"Hi [[finish:{reason}]]"])).results
    assert isinstance(result.error, GeminiBlockedError) and result.metadata["blocked"] is True
    assert result.attempts == 1


@pytest.mark.parametrize("reason", ["OTHER", "IMAGE_OTHER", "MALFORMED_RESPONSE"])
async def test_unexplained_endings_are_retried(emulator_client, reason):
    (result,) = (await run_items(GeminiStrategy(emulator_client), [f"Hi [[finish:{reason}]]"])).results
    assert result.error_info.category == "empty" and result.attempts == 3


async def test_an_account_level_finish_reason_stops_the_run(emulator, emulator_client):
    config = ProcessorConfig(max_workers=1, timeout_per_item=10, retry=RetryConfig(max_attempts=3, initial_wait=0.01))
    prompts = ["Hi", "Hi [[finish:PUP_LIMITED_DISABLED]]", "Hello", "Hey"]
    batch = await run_items(GeminiStrategy(emulator_client), prompts, config=config)
    assert [r.success for r in batch.results] == [True, False, False, False]
    stopped = batch.results[1]
    assert (stopped.error_info.category, stopped.error_info.scope) == ("account", "run")
    assert all(r.error is stopped.error and r.attempts == 0 for r in batch.results[2:])
    assert emulator.count(endpoint="generateContent") == 2


async def test_a_function_call_only_reply_is_an_answer_not_empty(emulator_client):
    lookup = types.FunctionDeclaration(name="find_book", description="Find a book", parameters_json_schema={})
    strategy = GeminiStrategy(emulator_client, config={"tools": [types.Tool(function_declarations=[lookup])]})
    (result,) = (await run_items(strategy, ["Dune [[function-call]]"])).results
    assert result.success and result.attempts == 1
    (call,) = result.output
    assert call.name == "find_book" and call.args == {"query": "Dune"}
