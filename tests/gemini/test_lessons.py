"""batch-llm v0.3 defects (reference/lessons.md) that must not come back in the Gemini layer."""

from __future__ import annotations

import asyncio

import pytest
import seed_guide
from gemini_helpers import run_items
from seed_guide import MyCustomStrategy

from notebookllm import LLMWorkItem, ParallelBatchProcessor, ProcessorConfig
from notebookllm.emulator import ManualClock
from notebookllm.gemini import ContextCache, GeminiCachedStrategy, GeminiStrategy

pytestmark = pytest.mark.sdk_compat

LONG = "Every reply cites the catalogue entry it relies on, with its shelf mark. " * 120


async def test_item_13_cached_strategy_works_against_the_real_sdk(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock)
    client = emu.client()
    # non-empty tags are accepted; the cache name travels in GenerateContentConfig(cached_content=...)
    strategy = GeminiCachedStrategy(
        client, "gemini-2.5-flash", cached_content=LONG, system_instruction="Be brief.", cache_tags={"v": "1"}
    )
    strategy.context_cache.clock = clock
    batch = await run_items(strategy, [f"q{i}" for i in range(10)])
    assert batch.succeeded == 10 and all(r.token_usage.cached_input_tokens > 0 for r in batch.results)
    # renewal neither lists caches per call nor re-adopts the nearly expired cache: it extends the one it has
    clock.advance(3600 - 200)
    batch = await run_items(strategy, [f"r{i}" for i in range(10)])
    assert batch.succeeded == 10
    assert emu.count(endpoint="cachedContents.list") == 1  # once, in the first prepare()
    assert emu.count(endpoint="cachedContents.create") == 1
    assert emu.count(endpoint="cachedContents.patch") == 1
    # without tags, a cache of the same model holding other content is not reused
    other = GeminiCachedStrategy(client, "gemini-2.5-flash", cached_content=LONG + " v2")
    other.context_cache.clock = clock
    await run_items(other, ["q"])
    assert emu.count(endpoint="cachedContents.create") == 2


async def test_item_16_prepare_once_mixin_ships_and_prepares_a_gemini_strategy_once(
    emulator, emulator_client, monkeypatch: pytest.MonkeyPatch
):
    # The guide's PrepareOnceMixin example (tests/seed_guide.py): its connection calls Gemini through a
    # GeminiStrategy and its cache is a real context cache, so "prepared once" shows in the emulator's log.
    gemini = GeminiStrategy(emulator_client, "gemini-2.5-flash")

    async def generate(prompt: str):
        output, _ = await gemini.execute(prompt, 1, 10.0)
        return output

    async def initialize_cache() -> ContextCache:
        cache = ContextCache(emulator_client, "gemini-2.5-flash", contents=LONG)
        await cache.ensure_fresh()
        return cache

    monkeypatch.setattr(seed_guide, "reader", seed_guide.Reader(generate=generate, initialize_cache=initialize_cache))
    strategy = MyCustomStrategy()
    await asyncio.gather(*(strategy.prepare() for _ in range(20)))
    async with ParallelBatchProcessor(config=ProcessorConfig(max_workers=8)) as processor:
        for i in range(16):
            await processor.add_work(LLMWorkItem(f"i{i}", strategy, f"q{i}"))
        batch = await processor.process_all()
    assert batch.succeeded == 16 and all(r.token_usage.input_tokens > 0 for r in batch.results)
    assert seed_guide.reader.connections == 1
    assert emulator.count(endpoint="cachedContents.create") == 1
