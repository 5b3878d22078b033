"""Cache keys of the Gemini strategies: the real request fingerprints, and a cached rerun against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google import genai
from pydantic import BaseModel
from store_helpers import items_for, run_items

from notebookllm.emulator import Emulator, EmulatorConfig
from notebookllm.gemini import GeminiCachedStrategy, GeminiStrategy
from notebookllm.store import Store
from notebookllm.store.checkpoints import item_key

PROMPTS = [f"Classify review {i}: fine product" for i in range(5)]
MODEL = "gemini-2.5-flash"
CORPUS = ["A long shared document. " * 50]


class Verdict(BaseModel):
    label: str


class Detailed(BaseModel):
    label: str
    reason: str


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(seed=0)) as emu:
        yield emu


@pytest.fixture
def client(emulator_client: genai.Client) -> genai.Client:
    return emulator_client


def _keys(strategy: Any, prompts: list[str] = PROMPTS) -> list[str | None]:
    return [item_key(item, None) for item in items_for(strategy, prompts)]


BASE: dict[str, Any] = {
    "model": MODEL,
    "temperature": 0.0,
    "system_instruction": "Be brief.",
    "response_schema": Verdict,
}


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gemini-2.5-pro"},
        {"temperature": 0.7},
        {"response_schema": Detailed},
        {"system_instruction": "Be thorough."},
    ],
    ids=lambda change: next(iter(change)),
)
def test_changing_the_request_changes_every_key(client: genai.Client, change: dict[str, Any]) -> None:
    before = _keys(GeminiStrategy(client, **BASE))
    after = _keys(GeminiStrategy(client, **{**BASE, **change}))
    assert not set(before) & set(after)


def test_the_same_settings_give_the_same_keys_and_one_edited_row_changes_one_key(client: genai.Client) -> None:
    base = _keys(GeminiStrategy(client, **BASE))
    assert _keys(GeminiStrategy(client, **BASE)) == base
    edited = _keys(GeminiStrategy(client, **BASE), [*PROMPTS[:2], "edited", *PROMPTS[3:]])
    assert [a == b for a, b in zip(base, edited, strict=True)] == [True, True, False, True, True]


CACHED: dict[str, Any] = {"model": MODEL, "cached_content": CORPUS, "system_instruction": "Be brief.",
                          "cache_tags": {"corpus": "v1"}}  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"cache_tags": {"corpus": "v2"}},
        {"cache_tags": {"corpus": "v1", "dataset": "books"}},
        {"cached_content": ["Another shared document. " * 50]},
        {"system_instruction": "Be thorough."},
        {"model": "gemini-2.5-pro"},
    ],
    ids=["tag-value", "extra-tag", "cached-content", "system-instruction", "model"],
)
def test_changing_what_the_context_cache_holds_changes_every_key(client: genai.Client, change: dict[str, Any]) -> None:
    # The cache's name differs between runs and is left out of the key; what it holds and its tags are not.
    before = _keys(GeminiCachedStrategy(client, **CACHED))
    assert _keys(GeminiCachedStrategy(client, **CACHED)) == before
    assert not set(before) & set(_keys(GeminiCachedStrategy(client, **{**CACHED, **change})))


async def test_a_cached_rerun_sends_nothing_and_a_change_resends(
    emulator: Emulator, client: genai.Client, tmp_path: Path
) -> None:
    store = Store.open(tmp_path / "store.sqlite")
    try:

        async def sent(**settings: Any) -> int:
            before = emulator.count(endpoint="generateContent")
            prompts = settings.pop("prompts", PROMPTS)
            await run_items(store, items_for(GeminiStrategy(client, **{**BASE, **settings}), prompts))
            return emulator.count(endpoint="generateContent") - before

        assert await sent() == 5
        assert await sent() == 0
        assert await sent(temperature=0.5) == 5
        assert await sent(prompts=[*PROMPTS[:4], "Classify review 4: awful"]) == 1
    finally:
        store.close()


async def test_gemini_responses_come_back_from_the_store_as_gemini_responses(
    emulator: Emulator, client: genai.Client, tmp_path: Path
) -> None:
    from google.genai import types

    from notebookllm.gemini import GeminiResponse

    store = Store.open(tmp_path / "store.sqlite")
    try:
        first = await run_items(store, items_for(GeminiStrategy(client, **BASE, include_metadata=True), PROMPTS[:2]))
        again = await run_items(store, items_for(GeminiStrategy(client, **BASE, include_metadata=True), PROMPTS[:2]))
    finally:
        store.close()

    fresh, restored = first.results["row-0"], again.results["row-0"]
    assert restored.from_cache and type(restored.output) is GeminiResponse
    assert type(restored.output.output) is Verdict
    assert type(restored.output.raw_response) is types.GenerateContentResponse
    assert restored.output == fresh.output
    assert restored.metadata == fresh.metadata and restored.metadata["emulated"] is True
