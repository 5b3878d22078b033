"""The response cache key, as properties (hypothesis): equal requests give equal keys; any change to the model,
the contents, the config, the schema, the context-cache identity or where answers come from gives a new key."""

from __future__ import annotations

from typing import Any

from google import genai
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import notebookllm as nl
from notebookllm.core.strategy import fingerprint_digest
from notebookllm.emulator import Emulator

LOCAL = genai.Client(api_key="k", http_options={"base_url": "http://127.0.0.1:9/", "api_version": "v1beta"})
SERVICE = genai.Client(api_key="k")
# Another emulator on another port: the same source (the embedded one moves to a new port in every process).
OTHER_LOCAL = genai.Client(api_key="k2", http_options={"base_url": "http://127.0.0.1:8765/", "api_version": "v1beta"})


class Label(BaseModel):
    label: str


class Scored(BaseModel):
    label: str
    score: float


def _key(prompt: str, client: Any = LOCAL, **settings_: Any) -> str:
    options = {"model": "gemini-2.5-flash", **settings_}
    return fingerprint_digest(nl.GeminiStrategy(client=client, **options).request_fingerprint(prompt))


prompts = st.text(min_size=1, max_size=40)
CHANGES: list[dict[str, Any]] = [
    {"model": "gemini-2.5-pro"},
    {"max_output_tokens": 64},
    {"seed": 7},
    {"system_instruction": "Be terse."},
    {"response_schema": Label},
    {"include_metadata": True},
]


@settings(max_examples=60, deadline=None)
@given(prompt=prompts)
def test_equal_requests_give_equal_keys(prompt: str) -> None:
    assert _key(prompt) == _key(prompt)
    assert _key(prompt) == _key(prompt, client=OTHER_LOCAL) != _key(prompt, client=SERVICE)


@settings(max_examples=60, deadline=None)
@given(a=prompts, b=prompts)
def test_different_contents_give_different_keys(a: str, b: str) -> None:
    assert (_key(a) == _key(b)) == (a == b)


@settings(max_examples=30, deadline=None)
@given(prompt=prompts, change=st.sampled_from(CHANGES))
def test_any_change_of_model_config_or_schema_gives_a_new_key(prompt: str, change: dict[str, Any]) -> None:
    assert _key(prompt) != _key(prompt, **change)


def test_schema_changes_give_new_keys() -> None:
    assert _key("x", response_schema=Label) != _key("x", response_schema=Scored)


def test_cache_identity_changes_give_new_keys(emulator: Emulator) -> None:
    client = emulator.client()

    def key(**options: Any) -> str:
        strategy = nl.GeminiCachedStrategy(client=client, model="gemini-2.5-flash", **options)
        return fingerprint_digest(strategy.request_fingerprint("q"))

    base = key(cached_content="A long shared context. " * 200)
    assert base == key(cached_content="A long shared context. " * 200)
    assert base != key(cached_content="Another long shared context. " * 200)


def test_emulated_answers_are_never_served_as_real_ones(emulator: Emulator, tmp_path: Any) -> None:
    store = nl.Store.open(tmp_path / "store.sqlite")
    try:
        emulated = nl.run(["a review"], strategy=nl.GeminiStrategy(client=emulator.client()), store=store,
                          progress=False)  # fmt: skip
        assert emulated.df["success"].all()
        real = nl.GeminiStrategy(client=SERVICE)  # the user has set a real key since
        items = [nl.LLMWorkItem("0", real, "a review")]
        assert store.begin_run(items).pending == items  # asked again of the service, not served from the emulator
        again = [nl.LLMWorkItem("0", nl.GeminiStrategy(client=emulator.client()), "a review")]
        assert store.begin_run(again).pending == []
    finally:
        store.close()
