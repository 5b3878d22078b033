"""GeminiCachedStrategy against the emulator: one cache per strategy, reuse rules, renewal, recreation, billing."""

from __future__ import annotations

import pytest
from gemini_helpers import run_items

from notebookllm import ProcessorConfig, RetryConfig
from notebookllm.emulator import ManualClock
from notebookllm.gemini import GeminiCachedStrategy

pytestmark = pytest.mark.sdk_compat

LONG = "The catalogue lists author, title, year and subject for every book in the library. " * 120


def _strategy(client, **kwargs) -> GeminiCachedStrategy:
    kwargs.setdefault("cached_content", LONG)
    kwargs.setdefault("system_instruction", "Answer in one sentence.")
    return GeminiCachedStrategy(client, kwargs.pop("model", "gemini-2.5-flash"), **kwargs)


def _caches(client) -> list:
    return list(client.caches.list())


async def test_one_cache_for_all_items_and_cached_tokens_equal_what_the_emulator_billed(emulator, emulator_client):
    strategy = _strategy(emulator_client, include_metadata=True)
    batch = await run_items(strategy, [f"Which books are about topic {i}?" for i in range(24)])
    assert batch.succeeded == 24
    assert emulator.count(endpoint="cachedContents.create") == 1
    assert emulator.count(endpoint="cachedContents.list") == 1  # once, in prepare(); never per call
    (cache,) = _caches(emulator_client)
    cached_tokens = cache.usage_metadata.total_token_count
    assert cached_tokens > 1000
    for r in batch.results:
        assert r.token_usage.cached_input_tokens == cached_tokens
        assert r.output.token_usage["cached_input_tokens"] == cached_tokens
        assert r.token_usage.input_tokens > cached_tokens
    assert batch.total_cached_tokens == 24 * cached_tokens
    # the system instruction lives in the cache: the emulator, like the API, rejects it next to cachedContent
    assert emulator.count(endpoint="generateContent", status=400) == 0


async def test_reused_across_runs_only_when_model_content_system_instruction_and_tags_match(emulator, emulator_client):
    tags = {"prompt_version": "v1", "dataset": "openlibrary"}
    await run_items(_strategy(emulator_client, cache_tags=tags), ["q"])
    await run_items(_strategy(emulator_client, cache_tags=dict(tags)), ["q"])  # a new instance, same everything
    assert emulator.count(endpoint="cachedContents.create") == 1
    variants = [
        {"cache_tags": {**tags, "dataset": "books"}},
        {"cache_tags": {"prompt_version": "v1"}},
        {"cache_tags": tags, "cached_content": LONG + " Also maps."},
        {"cache_tags": tags, "system_instruction": "Answer in French."},
        {"cache_tags": tags, "model": "gemini-2.5-pro"},
    ]
    for n, variant in enumerate(variants, start=2):
        await run_items(_strategy(emulator_client, **variant), ["q"])
        assert emulator.count(endpoint="cachedContents.create") == n, variant
    assert len(_caches(emulator_client)) == 1 + len(variants)


async def test_untagged_caches_do_not_match_other_content(emulator, emulator_client):
    await run_items(_strategy(emulator_client), ["q"])
    await run_items(_strategy(emulator_client, cached_content=LONG.upper()), ["q"])
    assert emulator.count(endpoint="cachedContents.create") == 2


async def test_dry_run_creates_no_cache_and_sends_nothing(emulator, emulator_client):
    config = ProcessorConfig(dry_run=True)
    batch = await run_items(_strategy(emulator_client), ["q1", "q2"], config=config)
    assert batch.succeeded == 2
    assert emulator.log == []


async def test_delete_on_cleanup(emulator, emulator_client):
    await run_items(_strategy(emulator_client, delete_on_cleanup=True), ["q1", "q2"])
    assert emulator.count(endpoint="cachedContents.delete") == 1
    assert _caches(emulator_client) == []


async def test_a_cache_that_vanishes_mid_run_is_recreated_and_the_item_retried(emulator, emulator_client):
    strategy = _strategy(emulator_client)

    def delete_cache_after_first(result) -> None:
        if result.item_id == "item-0":
            emulator_client.caches.delete(name=strategy.context_cache.name)

    config = ProcessorConfig(max_workers=1, timeout_per_item=10)
    batch = await run_items(strategy, ["q0", "q1", "q2"], config=config, post_processor=delete_cache_after_first)
    assert batch.succeeded == 3
    assert [r.attempts for r in batch.results] == [1, 1, 1]  # recreated and sent again within the attempt
    assert emulator.count(endpoint="cachedContents.create") == 2
    assert emulator.count(endpoint="generateContent", status=403) == 1
    assert batch.results[2].token_usage.cached_input_tokens > 0


async def test_a_vanished_cache_costs_no_attempt_even_with_a_single_attempt(emulator, emulator_client):
    strategy = _strategy(emulator_client)
    await strategy.prepare()
    emulator_client.caches.delete(name=strategy.context_cache.name)
    config = ProcessorConfig(max_workers=4, timeout_per_item=10, retry=RetryConfig(max_attempts=1))
    batch = await run_items(strategy, [f"q{i}" for i in range(8)], config=config)
    assert batch.succeeded == 8 and all(r.token_usage.cached_input_tokens > 0 for r in batch.results)
    assert emulator.count(endpoint="cachedContents.create") == 2  # one recreation, however many workers saw it


async def test_renewal_extends_the_ttl_before_expiry_once(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock)
    strategy = _strategy(emu.client(), cache_ttl_seconds=600, cache_renewal_buffer_seconds=60)
    strategy.context_cache.clock = clock  # the strategy reads the same (virtual) wall clock as the server
    await strategy.prepare()
    first_expiry = strategy.context_cache.expire_time
    await strategy.execute("q", 1, 10.0)
    clock.advance(545)  # 55 s left: inside the renewal buffer
    for i in range(5):
        await strategy.execute(f"q{i}", 1, 10.0)
    assert emu.count(endpoint="cachedContents.patch") == 1
    assert strategy.context_cache.expire_time == pytest.approx(first_expiry + 545)
    assert emu.count(endpoint="cachedContents.list") == 1


async def test_without_auto_renew_an_expired_cache_is_recreated(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock)
    strategy = _strategy(emu.client(), cache_ttl_seconds=600, auto_renew=False)
    strategy.context_cache.clock = clock
    await run_items(strategy, ["q0"])
    clock.advance(700)
    batch = await run_items(strategy, ["q1"], config=ProcessorConfig(max_workers=1, timeout_per_item=10))
    assert batch.succeeded == 1 and emu.count(endpoint="cachedContents.patch") == 0
    assert emu.count(endpoint="cachedContents.create") == 2


async def test_nearly_expired_caches_are_not_adopted(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock)
    first = _strategy(emu.client(), cache_ttl_seconds=600, cache_renewal_buffer_seconds=60)
    first.context_cache.clock = clock
    await run_items(first, ["q"])
    clock.advance(580)
    second = _strategy(emu.client(), cache_ttl_seconds=600, cache_renewal_buffer_seconds=60)
    second.context_cache.clock = clock
    await run_items(second, ["q"])
    assert emu.count(endpoint="cachedContents.create") == 2


async def test_content_below_the_minimum_cache_size_is_sent_inline(emulator, emulator_client):
    strategy = _strategy(emulator_client, cached_content="tiny")
    with pytest.warns(UserWarning, match="minimum cache size"):
        batch = await run_items(strategy, ["q0", "q1"])
    assert batch.succeeded == 2
    assert emulator.count(endpoint="cachedContents.create") == 1  # tried once, then inline for every item
    assert batch.total_cached_tokens == 0


def test_nothing_to_cache_warns():
    from google import genai

    with pytest.warns(UserWarning, match="nothing to cache"):
        strategy = GeminiCachedStrategy(genai.Client(api_key="x", http_options={"base_url": "http://127.0.0.1:9"}))
    assert strategy.context_cache is None


def _tools(name: str) -> list[dict]:
    return [{"function_declarations": [{"name": name, "description": "Look a book up in the catalogue."}]}]


async def test_tools_live_in_the_cache_and_are_part_of_its_identity(emulator, emulator_client):
    # The emulator, like the API, answers 400 to a request that names a cache and also sets tools.
    strategy = _strategy(emulator_client, config={"tools": _tools("lookup"), "temperature": 0.0})
    assert strategy.config.tools is None and strategy.config.temperature == 0.0
    batch = await run_items(strategy, ["q0", "q1"])
    assert batch.succeeded == 2 and emulator.count(endpoint="generateContent", status=400) == 0
    assert all(r.token_usage.cached_input_tokens > 0 for r in batch.results)
    await run_items(_strategy(emulator_client, config={"tools": _tools("lookup")}), ["q"])
    assert emulator.count(endpoint="cachedContents.create") == 1  # same tools: reused
    await run_items(_strategy(emulator_client, config={"tools": _tools("search")}), ["q"])
    assert emulator.count(endpoint="cachedContents.create") == 2  # other tools: a cache of their own


def test_cache_storage_is_counted_once_and_the_summary_reports_it_with_the_saving(emulator, emulator_client):
    import notebookllm as nl
    from notebookllm.gemini import cache_saving, cache_storage_cost

    strategy = _strategy(emulator_client, cache_ttl_seconds=1800)
    results = nl.run(
        [f"Books about topic {i}?" for i in range(6)], prompt="{text}", strategy=strategy, cache=False, progress=False
    )
    (cache,) = _caches(emulator_client)
    tokens = cache.usage_metadata.total_token_count
    carried = [r.metadata["cache_storage_usd"] for r in results.results if "cache_storage_usd" in r.metadata]
    assert carried == [pytest.approx(cache_storage_cost(tokens, 0.5, "gemini-2.5-flash"), rel=1e-3)]  # once, 30 min
    summary = results.summary()
    assert summary.cache_storage_usd == pytest.approx(carried[0]) and "cache storage" in str(summary)
    savings = [cache_saving(r.token_usage, "gemini-2.5-flash") for r in results.results]
    assert summary.cache_saving_usd == pytest.approx(sum(savings)) and summary.cache_saving_usd > 0
    assert "cache hits saved" in str(summary)


async def test_a_retired_model_fails_in_prepare_naming_the_current_models(make_emulator):
    from notebookllm.gemini import GeminiModelUnavailableError

    emu = make_emulator(new_user=True)
    client = emu.client()
    batch = await run_items(_strategy(client), ["one", "two"])
    await client.aio.aclose()
    for r in batch.results:
        assert isinstance(r.error, GeminiModelUnavailableError) and "gemini-3.8-flash" in r.error.available
    assert emu.count(endpoint="generateContent") == 0
