"""request_fingerprint: the final request as JSON, changing with everything that changes the reply."""

from __future__ import annotations

import json

import pydantic
import pytest
from google import genai
from google.genai import types

from notebookllm.core.strategy import fingerprint_digest
from notebookllm.gemini import GeminiCachedStrategy, GeminiStrategy

SECRET = "AIza-very-secret-key-0123456789"
# Constructing strategies sends nothing; the address is never contacted.
CLIENT = genai.Client(api_key=SECRET, http_options=types.HttpOptions(base_url="http://127.0.0.1:9"))


class Book(pydantic.BaseModel):
    title: str


class Book2(pydantic.BaseModel):
    title: str
    year: int


def _digest(strategy, prompt="Dune") -> str:
    fp = strategy.request_fingerprint(prompt)
    json.dumps(fp)  # JSON-serialisable as it is
    assert SECRET not in json.dumps(fp)
    return fingerprint_digest(fp)


def test_stable_for_equal_strategies_and_covers_the_request():
    a = GeminiStrategy(CLIENT, "gemini-2.5-flash", temperature=0.0, response_schema=Book, system_instruction="s")
    b = GeminiStrategy(CLIENT, "gemini-2.5-flash", temperature=0.0, response_schema=Book, system_instruction="s")
    assert _digest(a) == _digest(b)
    fp = a.request_fingerprint("Dune")
    assert fp["model"] == "gemini-2.5-flash"
    assert fp["contents"] == [{"parts": [{"text": "Dune"}], "role": "user"}]
    assert fp["config"]["temperature"] == 0.0
    assert fp["config"]["response_mime_type"] == "application/json"
    assert fp["config"]["response_schema"]["properties"]["title"]["type"] == "string"
    assert fp["namespace"] == GeminiStrategy.cache_namespace


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gemini-2.5-pro"},
        {"temperature": 0.7},
        {"response_schema": Book2},
        {"system_instruction": "other"},
        {"safety_settings": [types.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE")]},
        {"config": {"thinking_config": {"thinking_budget": 0}}},
        {"include_metadata": True},
    ],
)
def test_changes_with_each_part_of_the_request(change):
    base = {"model": "gemini-2.5-flash", "temperature": 0.0, "response_schema": Book, "system_instruction": "s"}
    assert _digest(GeminiStrategy(CLIENT, **base)) != _digest(GeminiStrategy(CLIENT, **{**base, **change}))


def test_changes_with_the_prompt_and_the_strategy_class():
    class Sub(GeminiStrategy):
        pass

    s = GeminiStrategy(CLIENT, "gemini-2.5-flash")
    assert _digest(s, "a") != _digest(s, "b")
    assert _digest(s) != _digest(Sub(CLIENT, "gemini-2.5-flash"))


def test_parser_is_keyed_by_name_not_source_or_identity():
    def parse(r):
        return r.text

    def parse_again(r):
        return r.text

    def make(parser):
        return GeminiStrategy(CLIENT, "gemini-2.5-flash", response_parser=parser)

    assert _digest(make(parse)) == _digest(make(parse))
    assert _digest(make(parse)) != _digest(make(parse_again))


def test_cached_strategy_keys_on_cache_content_and_tags_not_on_its_run_specific_name():
    def make(text="v1", tags=None, system="sys"):
        return GeminiCachedStrategy(
            CLIENT,
            "gemini-2.5-flash",
            cached_content=[{"role": "user", "parts": [{"text": text}]}],
            system_instruction=system,
            cache_tags=tags,
        )

    base = make(tags={"prompt_version": "v1"})
    fp = base.request_fingerprint("Dune")
    assert "system_instruction" not in fp["config"] and "cached_content" not in fp["config"]
    assert fp["context_cache"]["tags"] == {"prompt_version": "v1"}
    assert _digest(base) == _digest(make(tags={"prompt_version": "v1"}))
    assert _digest(base) != _digest(make(tags={"prompt_version": "v2"}))
    assert _digest(base) != _digest(make(text="v2", tags={"prompt_version": "v1"}))
    assert _digest(base) != _digest(make(system="other", tags={"prompt_version": "v1"}))


def test_reprs_name_the_model_not_the_client():
    s = GeminiCachedStrategy(CLIENT, "gemini-2.5-flash", cached_content="x" * 10)
    assert SECRET not in repr(s) and "gemini-2.5-flash" in repr(s)
    assert SECRET not in repr(CLIENT)


class _Tricky(pydantic.BaseModel):
    contents: str | None = None  # a schema property named like the request's own key


@pytest.mark.parametrize(
    "strategy",
    [
        GeminiStrategy(CLIENT, "gemini-2.5-flash"),
        GeminiStrategy(CLIENT, "gemini-2.5-flash", temperature=0.2, response_schema=Book2, system_instruction="s"),
        GeminiStrategy(CLIENT, "gemini-2.5-flash", response_json_schema={"type": "object", "contents": None}),
        GeminiStrategy(CLIENT, "gemini-2.5-flash", response_schema=_Tricky, seed=3, thinking=128),
        GeminiCachedStrategy(CLIENT, "gemini-2.5-flash", system_instruction="a long shared preamble " * 50),
    ],
    ids=["plain", "config+schema", "json schema with a contents key", "schema property named contents", "cached"],
)
@pytest.mark.parametrize("prompt", ["Dune", 'é ✓ 日本 \x00 "quoted" \\ back', '"contents":null', ""])
def test_the_cache_key_is_the_fingerprints_digest(strategy, prompt):
    """request_key splices the prompt into JSON written once per strategy: the digest must be the very one of
    request_fingerprint (a different one would miss every answer already stored)."""
    assert strategy.request_key(prompt) == fingerprint_digest(strategy.request_fingerprint(prompt))


def test_a_subclass_with_its_own_fingerprint_is_keyed_on_it():
    class Versioned(GeminiStrategy):
        def request_fingerprint(self, prompt):
            return {**super().request_fingerprint(prompt), "prompt_version": 2}

    strategy = Versioned(CLIENT, "gemini-2.5-flash")
    assert strategy.request_key("Dune") == fingerprint_digest(strategy.request_fingerprint("Dune"))
    assert strategy.request_key("Dune") != GeminiStrategy(CLIENT, "gemini-2.5-flash").request_key("Dune")
