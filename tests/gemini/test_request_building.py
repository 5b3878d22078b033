"""What ``GeminiStrategy`` hands the SDK: the cheapest form of the same request on the wire.

The wire form is computed with the SDK's own request converter (the one ``generate_content`` runs), so these tests
fail if a cheaper form ever stops meaning the same request.
"""

from __future__ import annotations

import enum
import inspect
import json

import pydantic
import pytest
from google import genai
from google.genai import models, types

from notebookllm.gemini import GeminiStrategy
from notebookllm.gemini.batch_requests import build_requests, inlined_requests, jsonl_lines, request_config
from notebookllm.gemini.strategy import _sendable_contents

pytestmark = pytest.mark.sdk_compat


class Book(pydantic.BaseModel):
    title: str
    year: int


class Mood(enum.Enum):
    GOOD = "good"
    BAD = "bad"


@pytest.fixture
def client() -> genai.Client:
    # Nothing is sent: only the SDK's converter runs.
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url="http://127.0.0.1:9"))


def _wire(client: genai.Client, contents, config) -> dict:
    params = types._GenerateContentParameters(model="gemini-2.5-flash", contents=contents, config=config)
    convert = models._GenerateContentParameters_to_mldev
    # google-genai 3.x passes the root object too; 1.x converters take (api_client, from_object, parent_object)
    root = (params,) if len(inspect.signature(convert).parameters) > 3 else ()
    wire = convert(client._api_client, params, None, *root)
    # an empty generationConfig object and none at all mean the same request
    return {key: value for key, value in wire.items() if value != {}}


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"temperature": 0.0},
        {"system_instruction": "Answer in French.", "max_output_tokens": 64, "stop_sequences": ["END"]},
        {"response_schema": Book, "seed": 7},
        {"response_schema": list[Book]},
        {"response_schema": Mood},
        {"response_schema": {"type": "object", "properties": {"title": {"type": "string"}}}},
        {"config": {"top_k": 3.0}},
    ],
)
def test_the_sent_request_is_the_one_the_strategy_describes(client, settings):
    strategy = GeminiStrategy(client, "gemini-2.5-flash", **settings)
    contents = strategy._contents("Dune by Frank Herbert")
    described = _wire(client, contents, strategy.config)
    assert _wire(client, _sendable_contents(contents), strategy._sendable_config(strategy.config)) == described
    sent = _sendable_contents(strategy._request_contents("Dune by Frank Herbert"))
    assert _wire(client, sent, strategy._sendable_config(strategy.config)) == described


def test_a_plain_text_prompt_goes_as_a_string_and_an_empty_config_not_at_all(client):
    strategy = GeminiStrategy(client, "gemini-2.5-flash")
    assert _sendable_contents(strategy._contents("hello")) == "hello"
    assert strategy._request_contents("hello") == "hello"
    assert strategy._sendable_config(strategy.config) is None


@pytest.mark.parametrize("prompt", ["Dune", "", " spaced \n lines\t", "naïve — 日本語 🙂", '{"json": [1, 2]}'])
def test_a_plain_text_prompt_is_keyed_as_its_content_object_would_be(client, prompt):
    # The fingerprint of a plain-text prompt is written without building its Content; the store's keys must not move.
    strategy = GeminiStrategy(client, "gemini-2.5-flash")
    built = [c.model_dump(mode="json", exclude_none=True) for c in strategy._contents(prompt)]
    assert strategy.request_fingerprint(prompt)["contents"] == built


def test_a_pydantic_schema_is_converted_once_per_strategy(client):
    strategy = GeminiStrategy(client, "gemini-2.5-flash", response_schema=Book)
    first = strategy._sendable_config(strategy.config)
    assert isinstance(first.response_schema, types.Schema)
    assert strategy._sendable_config(strategy.config).response_schema is first.response_schema
    assert strategy.config.response_schema is Book  # what the fingerprint and the batch path read is unchanged


def test_set_fields_are_sent(client):
    strategy = GeminiStrategy(client, "gemini-2.5-flash", temperature=0.0)
    assert strategy._sendable_config(strategy.config) is strategy.config
    # a field set back to None sets nothing
    emptied = strategy.config.model_copy(update={"temperature": None})
    assert strategy._sendable_config(emptied) is None


@pytest.mark.parametrize(
    "contents",
    [
        [types.Content(role="user", parts=[types.Part(text="a"), types.Part(text="b")])],
        [types.Content(role="model", parts=[types.Part(text="a")])],
        [types.Content(role="user", parts=[types.Part(text="a", thought=True)])],
        [
            types.Content(role="user", parts=[types.Part(text="context")]),
            types.Content(role="user", parts=[types.Part(text="question")]),
        ],
        [types.Content(role="user", parts=[types.Part(inline_data=types.Blob(data=b"PNG", mime_type="image/png"))])],
    ],
)
def test_anything_but_one_plain_user_text_goes_unchanged(client, contents):
    assert _sendable_contents(contents) is contents


async def test_replies_to_a_converted_schema_parse_to_the_python_types(emulator_client):
    books = await GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=list[Book]).execute(
        "Two books, as JSON", attempt=1, timeout=30
    )
    assert books[0] and all(isinstance(book, Book) for book in books[0])
    mood, _ = await GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=Mood).execute(
        "How was it?", attempt=1, timeout=30
    )
    assert isinstance(mood, Mood)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"system_instruction": "Answer in French.", "max_output_tokens": 64, "stop_sequences": ["END"]},
        {"response_schema": Book, "seed": 7},
        {
            "config": {
                "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
                "tools": [{"google_search": {}}],
            }
        },
    ],
)
def test_a_batch_input_line_is_byte_for_byte_what_the_sdk_makes_of_each_request(client, settings):
    from google.genai import _common, batches

    strategy = GeminiStrategy(client, "gemini-2.5-flash", **settings)
    payload = ["Dune", ["context", "question"], 'emoji \N{GRINNING FACE} and "quotes"']
    requests = build_requests(strategy, payload)
    config = request_config(strategy, filter_json=True)

    def by_the_sdk(request: types.InlinedRequest) -> bytes:
        wire = batches._InlinedRequest_to_mldev(client._api_client, request)
        wire = _common.encode_unserializable_types(_common.convert_to_dict(wire))
        return json.dumps({"key": wire["metadata"]["key"], "request": wire["request"]}, separators=(",", ":")).encode()

    assert list(jsonl_lines(client, config, requests)) == [by_the_sdk(r) for r in inlined_requests(config, requests)]
