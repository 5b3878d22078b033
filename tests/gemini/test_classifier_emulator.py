"""GeminiErrorClassifier on the errors the unmodified SDK raises from emulator replies."""

from __future__ import annotations

import asyncio

import pytest
from google import genai
from google.genai import types

from notebookllm.gemini import GeminiErrorClassifier

pytestmark = pytest.mark.sdk_compat

C = GeminiErrorClassifier()


async def _raised(client: genai.Client, prompt: str, model: str = "gemini-2.5-flash") -> BaseException:
    with pytest.raises(Exception) as caught:
        await client.aio.models.generate_content(model=model, contents=prompt)
    return caught.value


async def test_per_minute_429_with_retry_delay(emulator_client):
    info = C.classify(await _raised(emulator_client, "Hi [[fail:429:1.5]]"))
    assert info.retryable and info.is_rate_limit and not info.is_quota_exhausted
    assert info.retry_after == 1.5 and info.category == "rate_limit"


async def test_per_minute_quota_from_the_emulators_rpm(make_emulator):
    emu = make_emulator(rpm=1, quota_window_s=30)
    client = emu.client()
    await client.aio.models.generate_content(model="gemini-2.5-flash", contents="first")
    info = C.classify(await _raised(client, "second"))
    await client.aio.aclose()
    assert info.is_rate_limit and 0 < info.retry_after <= 30


async def test_daily_quota_is_not_retryable(emulator, emulator_client):
    info = C.classify(await _raised(emulator_client, "Hi [[fail:daily]]"))
    assert (info.retryable, info.is_quota_exhausted, info.category) == (False, True, "quota_exhausted")
    emulator.exhaust_daily_quota()
    assert C.classify(await _raised(emulator_client, "Hi")).is_quota_exhausted


@pytest.mark.parametrize("code", [500, 502, 503, 504])
async def test_server_errors_are_retryable(emulator_client, code):
    info = C.classify(await _raised(emulator_client, f"Hi [[fail:{code}]]"))
    assert info.retryable and info.category == "server"


async def test_client_errors_are_not_retryable(emulator, emulator_client):
    bad_request = await _raised(emulator_client, "Hi [[fail:400]]")
    unknown_model = await _raised(emulator_client, "Hi", model="gemini-0-nonexistent")
    other = genai.Client(api_key="wrong", http_options={"base_url": emulator.base_url})
    wrong_key = await _raised(other, "Hi")
    await other.aio.aclose()
    with pytest.raises(Exception) as caught:
        await emulator_client.aio.caches.get(name="cachedContents/gone")
    # a bad request or a missing cache concerns one item; a wrong key or an unknown model concerns every item
    cases = (
        (bad_request, 400, "client", "item"),
        (caught.value, 403, "client", "item"),
        (unknown_model, 404, "model_unavailable", "run"),
        (wrong_key, 400, "auth", "run"),
    )
    for exc, code, category, scope in cases:
        assert exc.code == code
        info = C.classify(exc)
        assert (info.retryable, info.category, info.scope) == (False, category, scope)


def test_transport_timeout_on_a_hang_is_retryable(emulator):
    # The sync client honours HttpOptions.timeout in every supported SDK version (httpx / httpx2 read timeout).
    client = emulator.client(timeout_ms=200)
    with pytest.raises(Exception) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents="Hi [[fail:hang:5]]")
    info = C.classify(caught.value)
    assert info.retryable and info.category == "timeout"


async def test_a_cancelled_wait_on_a_hang_is_retryable(emulator_client):
    # What the processor's per-attempt deadline raises around client.aio calls.
    with pytest.raises(asyncio.TimeoutError) as caught:
        await asyncio.wait_for(
            emulator_client.aio.models.generate_content(model="gemini-2.5-flash", contents="Hi [[fail:hang:5]]"), 0.2
        )
    info = C.classify(caught.value)
    assert info.retryable and info.category == "timeout"


@pytest.mark.parametrize("marker", ["[[fail:truncate]]", "[[fail:non-json]]"])
async def test_malformed_bodies_are_retryable(emulator_client, marker):
    assert C.classify(await _raised(emulator_client, f"Hi {marker}")).retryable


def test_connection_refused_is_retryable():
    # Port 9 on 127.0.0.1 is closed; the sync client raises at once (the aio one would sleep and retry first).
    client = genai.Client(api_key="x", http_options=types.HttpOptions(base_url="http://127.0.0.1:9"))
    with pytest.raises(Exception) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents="Hi")
    info = C.classify(caught.value)
    assert info.retryable and info.category == "network"
