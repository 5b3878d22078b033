"""generateContent through the real SDK, sync and aio: every reply field parses."""

from __future__ import annotations

import pytest
from google.genai import types

from notebookllm.emulator import EMULATOR_SUFFIX

pytestmark = pytest.mark.sdk_compat
MODEL = "gemini-2.5-flash"


def test_text_reply_parses(emulator_client):
    response = emulator_client.models.generate_content(model=MODEL, contents="Tell me about green tea from Japan")
    assert response.text
    candidate = response.candidates[0]
    assert candidate.finish_reason == types.FinishReason.STOP
    # like today's service: no safety ratings unless a filter has something to say; 2.5 Flash thinks by default
    assert candidate.safety_ratings is None
    usage = response.usage_metadata
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0 and usage.thoughts_token_count > 0
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )
    assert usage.cached_content_token_count is None
    assert response.model_version == MODEL + EMULATOR_SUFFIX


def test_flash_lite_does_not_think_by_default_and_a_budget_of_0_turns_thinking_off(emulator_client):
    lite = emulator_client.models.generate_content(model="gemini-3.5-flash-lite", contents="Tell me about tea")
    assert lite.usage_metadata.thoughts_token_count is None
    off = emulator_client.models.generate_content(
        model=MODEL, contents="Tell me about tea", config={"thinking_config": {"thinking_budget": 0}}
    )
    assert off.usage_metadata.thoughts_token_count is None


@pytest.mark.skipif(not hasattr(types, "ThinkingLevel"), reason="this google-genai has no thinking levels")
def test_thinking_level_scales_the_thinking(emulator_client):
    def thoughts(level):
        config = {"thinking_config": {"thinking_level": level}}
        reply = emulator_client.models.generate_content(
            model="gemini-3.8-flash", contents="Why is tea green", config=config
        )
        return reply.usage_metadata.thoughts_token_count

    assert thoughts("LOW") < thoughts("HIGH")


def test_same_request_same_reply_and_seed_matters(emulator_client, make_emulator):
    first = emulator_client.models.generate_content(model=MODEL, contents="Describe the river Thames")
    again = emulator_client.models.generate_content(model=MODEL, contents="Describe the river Thames")
    assert first.text == again.text
    replies = set()
    for seed in range(6):
        client = make_emulator(seed=seed).client()  # kept in a variable: a collected Client closes its transport
        replies.add(client.models.generate_content(model=MODEL, contents="Describe the Thames").text)
    assert len(replies) > 1


async def test_aio_reply_and_emulator_header(emulator_client):
    response = await emulator_client.aio.models.generate_content(model=MODEL, contents="Hello there, emulator")
    assert response.text
    assert response.sdk_http_response.headers.get("x-notebookllm-emulator") == "1"


def test_system_instruction_config_and_snake_case_thinking(emulator_client):
    config = types.GenerateContentConfig(
        system_instruction="be terse",
        temperature=0.2,
        thinking_config=types.ThinkingConfig(thinking_budget=64, include_thoughts=True),
    )
    response = emulator_client.models.generate_content(model=MODEL, contents="Why is the sky blue?", config=config)
    usage = response.usage_metadata
    assert 0 < usage.thoughts_token_count <= 64
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )
    parts = response.candidates[0].content.parts
    assert parts[0].thought is True
    assert response.text == parts[-1].text  # thoughts are not part of .text


def test_thinking_budget_zero_reports_no_thoughts(emulator_client):
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=0))
    response = emulator_client.models.generate_content(model=MODEL, contents="Quick one", config=config)
    assert response.usage_metadata.thoughts_token_count is None


def test_max_output_tokens_gives_max_tokens(emulator_client):
    config = types.GenerateContentConfig(max_output_tokens=5)
    response = emulator_client.models.generate_content(
        model=MODEL, contents="Write about the ocean [[tokens:40]]", config=config
    )
    assert response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    # thinking counts against the budget: here it takes all of it, so no text at all
    assert (response.usage_metadata.candidates_token_count or 0) <= 5


def test_candidate_count(emulator_client):
    config = types.GenerateContentConfig(candidate_count=2)
    response = emulator_client.models.generate_content(model=MODEL, contents="Two takes on mountains", config=config)
    assert [c.index for c in response.candidates] == [0, 1]


@pytest.mark.parametrize("version", ["v1", "v1beta", "v1alpha"])
def test_every_version_prefix(emulator, version):
    client = emulator.client(api_version=version)
    response = client.models.generate_content(model=MODEL, contents="Hi")
    assert response.text
    assert emulator.log[-1].path == f"/{version}/models/{MODEL}:generateContent"


def test_count_tokens(emulator_client):
    result = emulator_client.models.count_tokens(model=MODEL, contents="abcd" * 10)
    assert result.total_tokens == 10
    assert result.cached_content_token_count is None


def test_models_get_and_unknown_model(emulator_client):
    from google.genai import errors

    assert emulator_client.models.get(model=MODEL).name == f"models/{MODEL}"
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.get(model="gemini-0-nope")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(model="gemini-0-nope", contents="hi")
    assert info.value.code == 404


def test_stream_sse(emulator_client):
    chunks = list(emulator_client.models.generate_content_stream(model=MODEL, contents="Stream a story on owls"))
    assert len(chunks) > 1
    whole = emulator_client.models.generate_content(model=MODEL, contents="Stream a story on owls")
    assert "".join(chunk.text for chunk in chunks) == whole.text
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.candidates_token_count == whole.usage_metadata.candidates_token_count


async def test_stream_aio(emulator_client):
    stream = await emulator_client.aio.models.generate_content_stream(model=MODEL, contents="Stream about bees")
    texts = [chunk.text async for chunk in stream]
    assert len(texts) > 1 and all(texts)


def test_responder_decides_replies(make_emulator):
    seen = []

    def responder(request):
        seen.append(request.prompt)
        return f"echo: {request.prompt}" if not request.json_mode else {"echo": request.prompt}

    client = make_emulator(responder=responder).client()
    assert client.models.generate_content(model=MODEL, contents="ping").text == "echo: ping"
    config = types.GenerateContentConfig(response_mime_type="application/json")
    assert client.models.generate_content(model=MODEL, contents="pong", config=config).text == '{"echo": "pong"}'
    assert seen == ["ping", "pong"]


async def test_200_concurrent_aio_requests(emulator):
    import asyncio

    client = emulator.client()
    replies = await asyncio.gather(
        *(client.aio.models.generate_content(model=MODEL, contents=f"Question number {i}") for i in range(200))
    )
    assert all(reply.text for reply in replies)
    assert emulator.count(endpoint="generateContent", status=200) == 200


def test_an_unsupported_response_mime_type_is_a_400_like_the_service(emulator_client):
    from google.genai import errors

    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(
            model=MODEL, contents="Hi", config=types.GenerateContentConfig(response_mime_type="text/csv")
        )
    assert info.value.code == 400 and "allowed mimetypes" in info.value.message


def test_an_alias_answers_as_the_model_it_resolves_to_until_moved(emulator, emulator_client, make_emulator):
    alias = "gemini-flash-latest"  # about aliases: names them
    reply = emulator_client.models.generate_content(model=alias, contents="hi")
    assert reply.model_version == "gemini-3.8-flash" + EMULATOR_SUFFIX
    emulator.point_alias(alias, "gemini-3.7-flash")
    assert emulator_client.models.generate_content(model=alias, contents="hi").model_version.startswith("gemini-3.7")
    emulator.reset()  # a reset puts the aliases back where the config has them
    assert emulator_client.models.generate_content(model=alias, contents="hi").model_version.startswith("gemini-3.8")
    pinned = make_emulator(aliases={alias: "gemini-3.6-flash"}).client()
    assert pinned.models.generate_content(model=alias, contents="hi").model_version.startswith("gemini-3.6")
