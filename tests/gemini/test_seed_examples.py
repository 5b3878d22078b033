"""The seed guide's examples (seeds/000_77c40e894db76c0e.txt), run with only the import line changed.

The guide's strategies come from tests/seed_guide.py (one verbatim copy, shared with the core tests); its
post-processor and metadata examples are copied here as they stand. What the guide leaves to the reader
(``parse_json``, ``db``, the LLM helper methods, ``config``) is defined here. Strategies built without ``client=`` use
the client of the last ``nl.connect()``, here pointed at a test emulator.
"""

from __future__ import annotations

import logging

import pytest
from seed_guide import BookMetadata, SmartRetryStrategy

import notebookllm as nl
from notebookllm import (
    GeminiCachedStrategy,
    GeminiResponse,
    GeminiStrategy,
    LLMWorkItem,
    ParallelBatchProcessor,
    ProcessorConfig,
    RetryConfig,
    WorkItemResult,
)

pytestmark = pytest.mark.sdk_compat

logger = logging.getLogger("seed-examples")
config = ProcessorConfig(max_workers=4, timeout_per_item=10, retry=RetryConfig(max_attempts=4, initial_wait=0.01))


def parse_json(text: str) -> dict:
    return {"text": text}


class _FlagDB:
    def __init__(self) -> None:
        self.flagged: dict[str, list[str]] = {}

    async def flag_for_review(self, item_id: str, categories: list[str]) -> None:
        self.flagged[item_id] = categories


db = _FlagDB()


@pytest.fixture
async def seed_emulator(make_emulator):
    """An emulator that caches even the guide's one-line prompts, made the default of Gemini strategies."""
    emu = make_emulator(min_cache_tokens=1)
    client = nl.connect(api_key=emu.api_key, http_options={"base_url": emu.base_url})
    db.flagged.clear()
    yield emu
    await client.aio.aclose()
    client.close()


async def _run(strategy, prompts, **processor_kwargs):
    async with ParallelBatchProcessor(config=config, **processor_kwargs) as processor:
        for i, prompt in enumerate(prompts):
            await processor.add_work(LLMWorkItem(f"item-{i}", strategy, prompt))
        return await processor.process_all()


# -- section 1: multi-stage validation recovery (the guide's class, our model calls) ---------------------------


class EmulatorSmartRetryStrategy(SmartRetryStrategy):
    """The helpers the guide leaves to the reader, calling Gemini (the emulator) through GeminiStrategy."""

    def __init__(self) -> None:
        self.partial_prompts: list[str] = []

    async def _call_llm(self, prompt: str, temperature: float) -> BookMetadata:
        strategy = GeminiStrategy(response_schema=BookMetadata, temperature=temperature)
        book, _ = await strategy.execute(prompt, 1, 10.0)
        return book

    async def _partial_recovery(self, last_error: str, partial_data, temperature: float) -> BookMetadata:
        prompt = f"Fix only the fields that failed validation: {last_error.splitlines()[0]}"
        self.partial_prompts.append(prompt)
        return await self._call_llm(prompt, temperature)


async def test_smart_retry_strategy_against_the_emulator(seed_emulator):
    strategy = EmulatorSmartRetryStrategy()
    batch = await _run(strategy, ["Dune, 1965", "Emma [[bad-json]]", "Ulysses [[fail:503x1]]"])
    dune, emma, ulysses = batch.results
    assert all(r.success and isinstance(r.output, BookMetadata) for r in batch.results)
    assert dune.attempts == 1
    assert emma.attempts == 2 and len(strategy.partial_prompts) == 1  # stage 2: partial recovery
    assert "[[bad-json]]" not in strategy.partial_prompts[0]
    assert ulysses.attempts == 2  # a server error retries the same stage
    # every attempt's tokens counted, the failed ones too, though the guide returns `tokens = None`
    assert all(r.token_usage.input_tokens > 0 for r in batch.results)
    assert seed_emulator.count(endpoint="generateContent") == 5


# -- section 2: safety ratings and metadata ------------------------------------------------------------------------


async def filter_unsafe_content(result: WorkItemResult):
    """Filter content based on safety ratings."""
    if not isinstance(result.output, GeminiResponse):
        return

    safety = result.output.safety_ratings or {}

    # Check for high-risk content
    high_risk_categories = [cat for cat, prob in safety.items() if prob in ["HIGH", "MEDIUM"]]

    if high_risk_categories:
        logger.warning(f"Flagged {result.item_id}: {high_risk_categories}")
        # Mark for manual review
        await db.flag_for_review(result.item_id, high_risk_categories)


async def test_filter_unsafe_content_as_post_processor(seed_emulator):
    strategy = GeminiCachedStrategy(
        cached_content=[{"role": "user", "parts": [{"text": "You review user comments."}]}],
        response_parser=lambda r: parse_json(r.text),
        include_metadata=True,
    )
    prompts = ["A kind comment", "A rude comment [[unsafe:harassment:HIGH]]", "Edgy [[unsafe:hate:MEDIUM]]"]

    processor = ParallelBatchProcessor(
        config=config,
        post_processor=filter_unsafe_content,
    )
    async with processor:
        for i, prompt in enumerate(prompts):
            await processor.add_work(LLMWorkItem(f"item-{i}", strategy, prompt))
        batch = await processor.process_all()
    assert batch.succeeded == 3
    assert db.flagged == {"item-1": ["HARM_CATEGORY_HARASSMENT"], "item-2": ["HARM_CATEGORY_HATE_SPEECH"]}


def _after_processing(work_item_result: WorkItemResult, work_item: LLMWorkItem) -> dict:
    # The guide's "In post-processor or after processing" block.
    result = work_item_result.output  # GeminiResponse object

    # Access parsed output
    metadata = result.output  # Your parsed BookMetadata

    # Access safety ratings
    if result.safety_ratings:
        hate_speech = result.safety_ratings.get("HARM_CATEGORY_HATE_SPEECH")
        harassment = result.safety_ratings.get("HARM_CATEGORY_HARASSMENT")

        if hate_speech == "HIGH" or harassment == "HIGH":
            logger.warning(f"High-risk content detected: {work_item.item_id}")
            # Filter or flag content

    # Access finish reason
    if result.finish_reason == "SAFETY":
        logger.warning("Response blocked by safety filters")

    # Access full response object
    raw = result.raw_response
    return {"metadata": metadata, "harassment": harassment, "raw": raw}


async def test_include_metadata_off_and_on(seed_emulator):
    def parser(r):
        return parse_json(r.text)

    # include_metadata=False (default) - returns parsed output directly
    with pytest.warns(UserWarning, match="nothing to cache"):
        strategy = GeminiCachedStrategy(response_parser=parser)
    (result,) = (await _run(strategy, ["Describe a book"])).results
    assert isinstance(result.output, dict) and result.output["text"]  # Your parsed type

    # include_metadata=True - returns GeminiResponse wrapper
    with pytest.warns(UserWarning, match="nothing to cache"):
        strategy = GeminiCachedStrategy(response_parser=parser, include_metadata=True)
    (result,) = (await _run(strategy, ["Describe a book [[unsafe:harassment:HIGH]]"])).results
    assert isinstance(result.output, GeminiResponse)  # GeminiResponse[BookMetadata]
    assert result.output.output["text"]  # Your parsed type
    seen = _after_processing(result, LLMWorkItem(result.item_id, strategy, "x"))
    assert seen["harassment"] == "HIGH" and seen["raw"] is result.output.raw_response
    # metadata reaches the result row either way
    assert result.metadata["safety_ratings"]["HARM_CATEGORY_HARASSMENT"] == "HIGH"


# -- section 3: cache tags -------------------------------------------------------------------------------------------


def _day_1_strategy() -> GeminiCachedStrategy:
    # Day 1: Create cache with tags
    strategy = GeminiCachedStrategy(
        cached_content=[{"role": "user", "parts": [{"text": "Prompt version 1"}]}],
        cache_tags={
            "prompt_version": "v1",
            "purpose": "enrichment",
            "dataset": "openlibrary",
        },
    )
    return strategy


async def test_cache_tags_day_1_and_day_2(seed_emulator):
    await _run(_day_1_strategy(), ["Enrich: Dune"])
    assert seed_emulator.count(endpoint="cachedContents.create") == 1

    # The same day-1 strategy, built again for a later run, reuses its cache
    await _run(_day_1_strategy(), ["Enrich: Emma"])
    assert seed_emulator.count(endpoint="cachedContents.create") == 1

    # Day 2: Different tags → creates new cache
    strategy = GeminiCachedStrategy(
        cached_content=[{"role": "user", "parts": [{"text": "Prompt version 2"}]}],
        cache_tags={
            "prompt_version": "v2",  # Different tag
            "purpose": "enrichment",
            "dataset": "openlibrary",
        },
    )
    # Won't reuse v1 cache - tags don't match
    batch = await _run(strategy, ["Enrich: Dune"])
    assert batch.succeeded == 1 and batch.results[0].token_usage.cached_input_tokens > 0
    assert seed_emulator.count(endpoint="cachedContents.create") == 2
    names = {c.display_name for c in nl.gemini.default_client().caches.list()}
    assert len(names) == 2

    # Same tags as day 1 but a different dataset: not reused either
    strategy = GeminiCachedStrategy(
        cached_content=[{"role": "user", "parts": [{"text": "Prompt version 1"}]}],
        cache_tags={
            "prompt_version": "v1",  # Matches
            "purpose": "enrichment",  # Matches
            "dataset": "books",  # Different! Won't match
        },
    )
    await _run(strategy, ["Enrich: Dune"])
    assert seed_emulator.count(endpoint="cachedContents.create") == 3


async def test_changed_prompt_without_tags_does_not_reuse_the_old_cache(seed_emulator):
    # The guide's v0.2 "BUG!" example: a changed prompt must not reuse the old cache, tags or not.
    strategy = GeminiCachedStrategy(
        cached_content=[{"role": "user", "parts": [{"text": "Prompt version 1"}]}],
    )
    await _run(strategy, ["q"])
    strategy = GeminiCachedStrategy(
        cached_content=[{"role": "user", "parts": [{"text": "Prompt version 2"}]}],
    )
    await _run(strategy, ["q"])
    assert seed_emulator.count(endpoint="cachedContents.create") == 2


async def test_tags_unsupported_warns_and_keeps_working(seed_emulator, monkeypatch: pytest.MonkeyPatch):
    # "Graceful degradation": the guide's warning, no errors. The fallback is a fresh cache per strategy rather
    # than the guide's model-name-only matching, which would reuse a cache holding other content (lessons.md 13).
    from notebookllm.gemini import context_cache

    monkeypatch.setattr(context_cache, "_display_name_supported", lambda: False)
    for run in range(2):
        with pytest.warns(UserWarning, match="Cache tags requested but not supported by API"):
            strategy = GeminiCachedStrategy(
                cached_content=[{"role": "user", "parts": [{"text": "Prompt version 1"}]}],
                cache_tags={"prompt_version": "v1"},
            )
        assert not strategy.context_cache.reusable
        batch = await _run(strategy, ["Enrich: Dune", "Enrich: Emma"])
        assert batch.succeeded == 2 and all(r.token_usage.cached_input_tokens > 0 for r in batch.results)
        assert seed_emulator.count(endpoint="cachedContents.create") == run + 1  # one cache per strategy
    assert seed_emulator.count(endpoint="cachedContents.list") == 0  # nothing to match on, so nothing listed
