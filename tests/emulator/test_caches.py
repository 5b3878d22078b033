"""cachedContents through the real SDK: CRUD, pagination, ttl/expiry, minimum size, errors, use in requests."""

from __future__ import annotations

import datetime

import pytest
from google.genai import errors, types

from notebookllm.emulator import EmulatorConfig, ManualClock

pytestmark = pytest.mark.sdk_compat
MODEL = "gemini-2.5-flash"
BIG = "The quick brown fox jumps over the lazy dog. " * 200  # 9000 chars: 2250 tokens (2.5 Flash's minimum: 2048)


def _create(client, text=BIG, **config):
    return client.caches.create(
        model=MODEL, config=types.CreateCachedContentConfig(contents=[text], system_instruction="be brief", **config)
    )


def test_create_get_update_delete(emulator_client):
    cache = _create(emulator_client, display_name="docs", ttl="600s")
    assert cache.name.startswith("cachedContents/") and cache.model == f"models/{MODEL}"
    assert cache.display_name == "docs"
    assert cache.usage_metadata.total_token_count == 2250 + 2  # contents + "be brief"
    assert (cache.expire_time - cache.create_time).total_seconds() == pytest.approx(600, abs=1)
    assert emulator_client.caches.get(name=cache.name).name == cache.name
    bare = cache.name.removeprefix("cachedContents/")
    assert emulator_client.caches.get(name=bare).name == cache.name
    updated = emulator_client.caches.update(name=cache.name, config=types.UpdateCachedContentConfig(ttl="7200s"))
    assert (updated.expire_time - cache.create_time).total_seconds() == pytest.approx(7200, abs=1)
    emulator_client.caches.delete(name=cache.name)
    with pytest.raises(errors.ClientError) as info:
        emulator_client.caches.get(name=cache.name)
    assert (info.value.code, info.value.status) == (403, "PERMISSION_DENIED")


def test_expire_time_as_datetime(emulator_client):
    expire = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
    cache = _create(emulator_client, expire_time=expire)
    assert abs((cache.expire_time - expire).total_seconds()) < 1


def test_list_paginates(emulator, emulator_client):
    names = {_create(emulator_client).name for _ in range(3)}
    listed = {cache.name for cache in emulator_client.caches.list(config={"page_size": 1})}
    assert listed == names
    assert emulator.count(endpoint="cachedContents.list") == 3


async def test_aio_create_list_delete(emulator_client):
    cache = await emulator_client.aio.caches.create(model=MODEL, config=types.CreateCachedContentConfig(contents=[BIG]))
    pager = await emulator_client.aio.caches.list(config={"page_size": 10})
    assert [c.name async for c in pager] == [cache.name]
    await emulator_client.aio.caches.delete(name=cache.name)


def test_minimum_size_and_exclusive_expiry(emulator_client):
    with pytest.raises(errors.ClientError) as info:
        _create(emulator_client, text="tiny")
    assert info.value.code == 400 and "too small" in info.value.message
    with pytest.raises(errors.ClientError) as info:
        _create(emulator_client, ttl="60s", expire_time=datetime.datetime.now(datetime.timezone.utc))
    assert info.value.code == 400


def test_minimum_size_follows_the_model(emulator_client):
    # today's service: 2,048 tokens on 2.5 models, 4,096 on 3.x ones
    with pytest.raises(errors.ClientError) as info:
        emulator_client.caches.create(model="gemini-3.8-flash", config=types.CreateCachedContentConfig(contents=[BIG]))
    assert "min_total_token_count=4096" in info.value.message
    cache = emulator_client.caches.create(model="gemini-3.8-flash", config={"contents": [BIG + BIG]})
    assert cache.usage_metadata.total_token_count == 4500


def test_unknown_cache_is_403_and_unknown_model_404(emulator_client):
    with pytest.raises(errors.ClientError) as info:
        emulator_client.caches.get(name="cachedContents/nope")
    assert info.value.code == 403
    with pytest.raises(errors.ClientError) as info:
        emulator_client.caches.create(model="gemini-0-nope", config=types.CreateCachedContentConfig(contents=[BIG]))
    assert info.value.code == 404


def test_generate_with_cache_reports_cached_tokens(emulator_client):
    cache = _create(emulator_client)
    cached = cache.usage_metadata.total_token_count
    response = emulator_client.models.generate_content(
        model=MODEL, contents="abcd" * 5, config=types.GenerateContentConfig(cached_content=cache.name)
    )
    usage = response.usage_metadata
    assert usage.cached_content_token_count == cached
    assert usage.prompt_token_count == cached + 5
    assert usage.thoughts_token_count > 0  # 2.5 Flash thinks by default
    assert usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count
    )
    counted = emulator_client.models.count_tokens(model=MODEL, contents="abcd")
    assert counted.total_tokens == 1


def test_cache_conflicts(emulator_client):
    cache = _create(emulator_client)
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(
            model=MODEL,
            contents="hi",
            config=types.GenerateContentConfig(cached_content=cache.name, system_instruction="no"),
        )
    assert info.value.code == 400 and "CachedContent can not be used" in info.value.message
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(
            model="gemini-2.5-pro", contents="hi", config=types.GenerateContentConfig(cached_content=cache.name)
        )
    assert info.value.code == 400


def test_expiry_on_manual_clock(make_emulator):
    clock = ManualClock()
    emu = make_emulator(EmulatorConfig(clock=clock, min_cache_tokens=1))
    client = emu.client()
    cache = client.caches.create(model=MODEL, config=types.CreateCachedContentConfig(contents=["x"], ttl="60s"))
    clock.advance(59)
    assert client.caches.get(name=cache.name).name == cache.name
    clock.advance(1)
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(
            model=MODEL, contents="hi", config=types.GenerateContentConfig(cached_content=cache.name)
        )
    assert info.value.code == 403
    assert list(client.caches.list()) == []
