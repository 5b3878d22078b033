"""batch-llm v0.3 defects (reference/lessons.md) that must not come back in the Gemini layer."""

from __future__ import annotations

import asyncio
import logging

import pytest
from gemini_helpers import run_items

from notebookllm import LLMCallStrategy, LLMWorkItem, ParallelBatchProcessor, ProcessorConfig
from notebookllm.emulator import ManualClock
from notebookllm.gemini import ContextCache, GeminiCachedStrategy, GeminiStrategy
from notebookllm.mixins import PrepareOnceMixin

pytestmark = pytest.mark.sdk_compat

LONG = "Every reply cites the catalogue entry it relies on, with its shelf mark. " * 120
logger = logging.getLogger("lessons")


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


async def create_expensive_connection() -> GeminiStrategy:
    return GeminiStrategy(_CLIENT["client"], "gemini-2.5-flash")


async def initialize_cache() -> ContextCache:
    cache = ContextCache(_CLIENT["client"], "gemini-2.5-flash", contents=LONG)
    await cache.ensure_fresh()
    return cache


_CLIENT: dict = {}
tokens = None


class Output(str):
    pass


class MyCustomStrategy(PrepareOnceMixin, LLMCallStrategy[Output]):
    # The guide's PrepareOnceMixin example; `generate` is GeminiStrategy.execute here.
    async def _prepare_once(self) -> None:
        """Expensive initialization - called exactly once."""
        self.connection = await create_expensive_connection()
        self.cache = await initialize_cache()
        logger.info("Strategy prepared once")

    async def execute(self, prompt: str, attempt: int, timeout: float):
        # Use self.connection and self.cache
        response, _ = await self.connection.execute(prompt, attempt, timeout)
        return response, tokens


async def test_item_16_prepare_once_mixin_ships_and_prepares_a_gemini_strategy_once(emulator, emulator_client):
    _CLIENT["client"] = emulator_client
    strategy = MyCustomStrategy()
    await asyncio.gather(*(strategy.prepare() for _ in range(20)))
    async with ParallelBatchProcessor(config=ProcessorConfig(max_workers=8)) as processor:
        for i in range(16):
            await processor.add_work(LLMWorkItem(f"i{i}", strategy, f"q{i}"))
        batch = await processor.process_all()
    assert batch.succeeded == 16 and all(r.token_usage.input_tokens > 0 for r in batch.results)
    assert emulator.count(endpoint="cachedContents.create") == 1
