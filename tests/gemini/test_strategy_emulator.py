"""GeminiStrategy through the real processor and the unmodified SDK against the emulator."""

from __future__ import annotations

import pydantic
import pytest
from gemini_helpers import run_items
from google import genai
from google.genai import types

from notebookllm import ConfigurationError, ProcessorConfig, RetryConfig, RetryState
from notebookllm.gemini import (
    GeminiAccountError,
    GeminiBlockedError,
    GeminiModelUnavailableError,
    GeminiResponse,
    GeminiStrategy,
)

pytestmark = pytest.mark.sdk_compat
ONE_WORKER = ProcessorConfig(max_workers=1, timeout_per_item=10, retry=RetryConfig(max_attempts=3, initial_wait=0.01))

ROW_KEYS = {
    "finish_reason",
    "safety_ratings",
    "blocked",
    "block_reason",
    "model",
    "model_version",
    "emulated",
    "cost_usd",
}


class Book(pydantic.BaseModel):
    title: str
    year: int


async def test_text_reply_reports_usage_and_metadata_without_include_metadata(emulator, emulator_client):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash")
    batch = await run_items(strategy, ["Summarise: tea", "Summarise: coffee"])
    assert batch.succeeded == 2
    for r in batch.results:
        assert isinstance(r.output, str) and r.output
        assert r.token_usage.input_tokens > 0 and r.token_usage.output_tokens > 0
        assert r.metadata.keys() >= ROW_KEYS
        assert r.metadata["finish_reason"] == "STOP" and r.metadata["blocked"] is False
        assert r.metadata["model"] == "gemini-2.5-flash" and r.metadata["emulated"] is True
        assert r.metadata["model_version"] == "gemini-2.5-flash-notebookllm-emulator"
        assert r.metadata["safety_ratings"] == {}  # like the real service: no ratings unless a filter fires
        assert r.metadata["cost_usd"] > 0
    assert emulator.count(endpoint="generateContent") == 2


async def test_include_metadata_returns_gemini_response(emulator_client):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", include_metadata=True)
    batch = await run_items(strategy, ["Rate this [[unsafe:harassment:HIGH]]"])
    reply = batch.results[0].output
    assert isinstance(reply, GeminiResponse)
    assert reply.safety_ratings["HARM_CATEGORY_HARASSMENT"] == "HIGH"
    assert reply.finish_reason == "STOP" and not reply.blocked and isinstance(reply.output, str)
    assert reply.token_usage == batch.results[0].token_usage.to_dict()
    assert reply.raw_response.model_version.endswith("-notebookllm-emulator")


async def test_response_schema_gives_validated_models(emulator_client):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=Book, temperature=0.0)
    batch = await run_items(strategy, ["Dune by Frank Herbert", "Emma by Jane Austen"])
    assert batch.succeeded == 2
    assert all(isinstance(r.output, Book) for r in batch.results)


async def test_list_schema(emulator_client):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=list[Book])
    (result,) = (await run_items(strategy, ["Three books"])).results
    assert result.success and all(isinstance(b, Book) for b in result.output)


async def test_malformed_json_is_retried_and_every_attempt_is_billed(emulator, emulator_client):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=Book)
    (result,) = (await run_items(strategy, ["Dune [[bad-json]]"])).results
    assert not result.success and isinstance(result.error, pydantic.ValidationError)
    assert result.error_info.category == "validation" and result.attempts == 3
    assert emulator.count(endpoint="generateContent") == 3
    one = await GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=Book)._generate("Dune [[bad-json]]")
    assert result.token_usage.output_tokens == 3 * one.usage_metadata.candidates_token_count


async def test_parse_failure_reaches_a_subclass_with_the_items_retry_state(emulator_client):
    seen: list[tuple[int, dict]] = []

    class Recovering(GeminiStrategy):
        async def execute(self, prompt, attempt, timeout, state: RetryState | None = None):
            assert state is not None
            seen.append((attempt, state.to_dict()))
            if state.get("broken"):
                prompt = prompt.replace("[[bad-json]]", "")
            try:
                return await super().execute(prompt, attempt, timeout, state)
            except pydantic.ValidationError as e:
                state.set("broken", str(e))
                raise

    (result,) = (await run_items(Recovering(emulator_client, response_schema=Book), ["Dune [[bad-json]]"])).results
    assert result.success and isinstance(result.output, Book) and result.attempts == 2
    assert seen[0] == (1, {}) and "broken" in seen[1][1]


@pytest.mark.parametrize(
    ("marker", "finish_reason", "block_reason"),
    [("[[block]]", None, "SAFETY"), ("[[safety-stop]]", "SAFETY", "SAFETY")],
)
async def test_blocked_is_an_explicit_outcome_and_not_retried(
    emulator, emulator_client, marker, finish_reason, block_reason
):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", include_metadata=True)
    (result,) = (await run_items(strategy, [f"Say it {marker}"])).results
    assert not result.success and isinstance(result.error, GeminiBlockedError)
    assert result.error_info.category == "blocked" and result.attempts == 1
    assert emulator.count(endpoint="generateContent") == 1
    assert result.metadata["blocked"] is True and result.metadata["block_reason"] == block_reason
    assert result.metadata["finish_reason"] == finish_reason
    assert result.error.safety_ratings == result.metadata["safety_ratings"] != {}
    assert result.error.response.output is None and result.token_usage.input_tokens > 0


async def test_retry_blocked_retries(emulator, emulator_client):
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash", retry_blocked=True)
    (result,) = (await run_items(strategy, ["Say it [[safety-stop]]"])).results
    assert result.attempts == 3 and emulator.count(endpoint="generateContent") == 3


async def test_empty_reply_is_an_error_not_an_attribute_error(emulator, emulator_client):
    (result,) = (await run_items(GeminiStrategy(emulator_client), ["Quote it [[other]]"])).results
    assert not result.success and result.error_info.category == "empty" and result.attempts == 3
    assert result.metadata["finish_reason"] == "OTHER" and result.metadata["blocked"] is False
    assert emulator.count(endpoint="generateContent") == 3


@pytest.mark.parametrize(("code", "attempts", "unavailable_waits"), [(500, 3, 0), (503, 1, 2)])
async def test_server_errors_retry_then_succeed(emulator, emulator_client, code, attempts, unavailable_waits):
    """A 500 uses attempts (Gemini answers a context too long with one); a 503 (overloaded) is waited out apart."""
    (result,) = (await run_items(GeminiStrategy(emulator_client), [f"Flaky [[fail:{code}x2]]"])).results
    assert result.success and (result.attempts, result.unavailable_waits) == (attempts, unavailable_waits)
    assert emulator.count(endpoint="generateContent", status=code) == 2


async def test_503s_use_no_attempt_and_give_up_at_their_own_limit(emulator, emulator_client):
    """One attempt allowed, yet three 503s are waited out; an item the service never answers fails after
    ``max_unavailable_waits`` + 1 requests, none of them an attempt."""
    retry = RetryConfig(max_attempts=1, max_unavailable_waits=3, initial_wait=0.01, max_wait=0.02)
    config = ProcessorConfig(max_workers=2, retry=retry)
    prompts = ["Flaky [[fail:503x3]]", "Down [[fail:503x*]]"]
    flaky, down = (await run_items(GeminiStrategy(emulator_client), prompts, config=config)).results
    assert flaky.success and (flaky.attempts, flaky.unavailable_waits) == (1, 3)
    assert not down.success and (down.attempts, down.unavailable_waits) == (0, 4)
    assert down.error_info.is_unavailable and down.error.code == 503
    assert emulator.count(endpoint="generateContent", status=503) == 3 + 4


async def test_client_errors_fail_at_once(emulator, emulator_client):
    (result,) = (await run_items(GeminiStrategy(emulator_client), ["Hi [[fail:400]]"])).results
    assert not result.success and result.attempts == 1 and result.error_info.category == "client"
    assert emulator.count(endpoint="generateContent") == 1


async def test_an_unknown_model_fails_naming_the_available_models(emulator_client):
    (result,) = (await run_items(GeminiStrategy(emulator_client, "no-such-model"), ["Hi"])).results
    assert not result.success and result.attempts == 1 and result.error_info.category == "model_unavailable"
    assert isinstance(result.error, GeminiModelUnavailableError) and result.metadata["model"] == "no-such-model"
    assert "gemini-3.8-flash" in result.error.available and "gemini-3.8-flash" in str(result.error)


async def test_outside_a_processor_nothing_is_reported_and_execute_still_works(emulator_client):
    output, usage = await GeminiStrategy(emulator_client).execute("Hi", 1, 10.0)
    assert isinstance(output, str) and usage.input_tokens > 0


async def test_a_wrong_key_stops_the_run_after_one_request(make_emulator):
    emu = make_emulator(api_key="the-right-key")
    client = genai.Client(api_key="a-wrong-key", http_options={"base_url": emu.base_url})
    batch = await run_items(GeminiStrategy(client), ["one", "two", "three", "four"], config=ONE_WORKER)
    await client.aio.aclose()
    assert emu.count(endpoint="generateContent") == 1
    assert all(not r.success and r.error_info.category == "auth" for r in batch.results)
    error = batch.results[3].error
    assert isinstance(error, GeminiAccountError) and error.code == 400
    assert "API key not valid" in str(error) and "aistudio.google.com/apikey" in str(error)  # says what to do


async def test_a_spent_daily_quota_stops_the_run_and_says_what_to_do(emulator, emulator_client):
    emulator.exhaust_daily_quota("gemini-2.5-flash")
    strategy = GeminiStrategy(emulator_client, "gemini-2.5-flash")
    batch = await run_items(strategy, ["one", "two", "three"], config=ONE_WORKER)
    assert emulator.count(endpoint="generateContent") == 1
    for r in batch.results:
        assert (r.error_info.category, r.error_info.scope, r.error_info.is_quota_exhausted) == (
            "quota_exhausted",
            "run",
            True,
        )
    error = batch.results[0].error
    assert "pick another model" in str(error) and "billing" in str(error)
    assert error.spent == "daily" and "daily quota is spent" in str(error)  # the API's own words do not say so


async def test_a_model_retired_for_new_users_names_the_current_ones(make_emulator):
    emu = make_emulator(new_user=True)
    strategy = GeminiStrategy(emu.client(), "gemini-2.5-flash")
    batch = await run_items(strategy, ["one", "two"], config=ONE_WORKER)
    await strategy.client.aio.aclose()
    first, second = batch.results
    assert isinstance(first.error, GeminiModelUnavailableError) and second.error is first.error
    assert "no longer available to new users" in first.error.detail
    assert "gemini-3.8-flash" in first.error.available and "gemini-2.5-flash" not in first.error.available
    assert emu.count(endpoint="generateContent") == 1


@pytest.mark.skipif(not hasattr(types, "ThinkingLevel"), reason="this google-genai has no thinking levels")
def test_thinking_and_response_json_schema_are_first_class(emulator_client):
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    strategy = GeminiStrategy(emulator_client, thinking="low", response_json_schema=schema)
    assert strategy.config.thinking_config.thinking_level == types.ThinkingLevel.LOW
    assert strategy.config.response_json_schema == schema and strategy.config.response_mime_type == "application/json"
    assert GeminiStrategy(emulator_client, thinking=0).config.thinking_config.thinking_budget == 0
    with pytest.raises(ConfigurationError, match="thinking level"):
        GeminiStrategy(emulator_client, thinking="deep")
    with pytest.raises(ConfigurationError, match="not both"):
        GeminiStrategy(emulator_client, response_schema=Book, response_json_schema=schema)


@pytest.mark.skipif(not hasattr(types, "ThinkingLevel"), reason="this google-genai has no thinking levels")
async def test_response_json_schema_parses_and_thinking_level_reaches_the_wire(make_emulator):
    seen = []
    emu = make_emulator(responder=lambda request: seen.append(request.generation_config))
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    strategy = GeminiStrategy(emu.client(), "gemini-3.8-flash", thinking="low", response_json_schema=schema)
    (result,) = (await run_items(strategy, ["Dune by Frank Herbert"])).results
    assert result.success and isinstance(result.output["title"], str)
    (config,) = seen
    assert config["responseJsonSchema"] == schema and "temperature" not in config
    thinking = config["thinkingConfig"]
    assert (thinking.get("thinkingLevel") or thinking.get("thinking_level")) == "LOW"


@pytest.mark.skipif(
    "service_tier" not in types.GenerateContentConfig.model_fields, reason="this google-genai has no service tier"
)
async def test_a_flex_request_is_priced_at_the_flex_rate(emulator_client):
    prompts = ["Summarise: tea"]
    standard = (await run_items(GeminiStrategy(emulator_client), prompts)).results[0]
    flex = (await run_items(GeminiStrategy(emulator_client, config={"service_tier": "flex"}), prompts)).results[0]
    assert flex.token_usage == standard.token_usage
    assert flex.metadata["cost_usd"] == pytest.approx(standard.metadata["cost_usd"] / 2)


async def test_a_service_answering_nothing_but_503s_stops_the_run(emulator, emulator_client):
    """Without the stop, 20 rows × 51 requests; with it, the rows not sent when it came fail with the 503 unsent."""
    retry = RetryConfig(max_unavailable_waits=50, initial_wait=0.05, max_wait=0.1, stop_when_unavailable_for=0.3)
    config = ProcessorConfig(max_workers=4, retry=retry)
    prompts = [f"Row {i} [[fail:503x*]]" for i in range(20)]
    batch = await run_items(GeminiStrategy(emulator_client), prompts, config=config)
    assert not batch.succeeded and all(r.error.code == 503 for r in batch.results)
    assert all(r.attempts == 0 for r in batch.results)  # 503s use no attempt
    unsent = [r for r in batch.results if r.unavailable_waits == 0]
    assert unsent and all(r.error_info.scope == "run" for r in unsent)
    sent = emulator.count(endpoint="generateContent")
    assert sent == sum(r.unavailable_waits for r in batch.results) < 20 * 51
