"""Errors, scripted and marker faults, quotas and the API key, through the real SDK."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from google import genai
from google.genai import errors, types

from notebookllm.emulator import EmulatorConfig, ManualClock

pytestmark = pytest.mark.sdk_compat
MODEL = "gemini-2.5-flash"


def _retry_delays(error: errors.APIError) -> list[str]:
    details = error.details["error"].get("details", [])
    return [d["retryDelay"] for d in details if d.get("@type", "").endswith("google.rpc.RetryInfo")]


def _quota_ids(error: errors.APIError) -> list[str]:
    details = error.details["error"].get("details", [])
    failures = [d for d in details if d.get("@type", "").endswith("google.rpc.QuotaFailure")]
    return [v["quotaId"] for d in failures for v in d["violations"]]


def _statuses(emulator, endpoint="generateContent"):
    return [record.status for record in emulator.log if record.endpoint == endpoint]


def test_wrong_key_is_invalid_argument(emulator):
    client = genai.Client(
        vertexai=False, api_key="not-the-key", http_options=types.HttpOptions(base_url=emulator.base_url)
    )
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=MODEL, contents="hi")
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")
    assert "API key not valid" in info.value.message


def test_missing_key_is_permission_denied_and_key_never_logged(emulator):
    request = urllib.request.Request(
        f"{emulator.base_url}/v1beta/models/{MODEL}:generateContent",
        data=b'{"contents": [{"parts": [{"text": "hi"}]}]}',
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 403
    assert json.loads(info.value.read())["error"]["status"] == "PERMISSION_DENIED"
    assert emulator.log[-1].key_fingerprint is None
    client = emulator.client()
    client.models.generate_content(model=MODEL, contents="hi")
    record = emulator.log[-1]
    assert len(record.key_fingerprint) == 8
    assert emulator.api_key not in repr(emulator.log) and emulator.api_key not in repr(emulator.config)


def test_any_key_accepted_when_none_configured(make_emulator):
    emu = make_emulator(api_key=None)
    client = genai.Client(vertexai=False, api_key="whatever", http_options=types.HttpOptions(base_url=emu.base_url))
    assert client.models.generate_content(model=MODEL, contents="hi").text


def test_script_fails_exactly_as_scripted(emulator, emulator_client):
    emulator.script("flaky", [503, 429, 500, "504"])
    assert emulator.pending_faults() == 4
    raised = []
    for _ in range(5):
        try:
            emulator_client.models.generate_content(model=MODEL, contents="a flaky question")
        except errors.APIError as error:
            raised.append((type(error).__name__, error.code, error.status))
    assert raised == [
        ("ServerError", 503, "UNAVAILABLE"),
        ("ClientError", 429, "RESOURCE_EXHAUSTED"),
        ("ServerError", 500, "INTERNAL"),
        ("ServerError", 504, "DEADLINE_EXCEEDED"),
    ]
    assert _statuses(emulator) == [503, 429, 500, 504, 200]
    assert emulator.pending_faults() == 0
    emulator_client.models.generate_content(model=MODEL, contents="unrelated prompt")
    assert _statuses(emulator)[-1] == 200


def test_scripted_429_carries_retry_info(emulator, emulator_client):
    emulator.script("slow down", ["429:7.5"])
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(model=MODEL, contents="please slow down")
    assert _retry_delays(info.value) == ["7.5s"]
    assert _quota_ids(info.value) == ["GenerateRequestsPerMinutePerProjectPerModel-FreeTier"]
    assert "Please retry in 7.50s" in info.value.message


def test_fail_marker_fails_twice_per_distinct_request(emulator, emulator_client):
    for prompt in ("first [[fail:503x2]]", "second [[fail:503x2]]"):
        for _ in range(2):
            with pytest.raises(errors.ServerError):
                emulator_client.models.generate_content(model=MODEL, contents=prompt)
        assert emulator_client.models.generate_content(model=MODEL, contents=prompt).text
    assert _statuses(emulator) == [503, 503, 200, 503, 503, 200]


def test_sdk_retries_recover_from_marker_faults(emulator):
    retry = types.HttpRetryOptions(attempts=3, initial_delay=0.01, max_delay=0.02, jitter=0)
    client = emulator.client(retry_options=retry)
    assert client.models.generate_content(model=MODEL, contents="retry me [[fail:500x2]]").text
    assert _statuses(emulator) == [500, 500, 200]


async def test_aio_errors_parse(emulator, emulator_client):
    emulator.script("boom", [503])
    with pytest.raises(errors.ServerError) as info:
        await emulator_client.aio.models.generate_content(model=MODEL, contents="boom")
    assert info.value.status == "UNAVAILABLE"
    with pytest.raises(errors.ClientError) as info:
        await emulator_client.aio.models.generate_content(model=MODEL, contents="x [[fail:429:3]]")
    assert _retry_delays(info.value) == ["3s"]


def test_daily_quota(emulator, emulator_client):
    emulator.exhaust_daily_quota(MODEL)
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(model=MODEL, contents="hi")
    assert info.value.code == 429
    assert _quota_ids(info.value) == ["GenerateRequestsPerDayPerProjectPerModel-FreeTier"]
    assert info.value.message.startswith("You exceeded your current quota")  # worded like a per-minute one
    assert emulator_client.models.generate_content(model="gemini-2.5-pro", contents="hi").text
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(model="gemini-2.5-pro", contents="x [[fail:daily]]")
    assert "PerDay" in _quota_ids(info.value)[0]


def test_requests_per_minute_quota_on_manual_clock(make_emulator):
    clock = ManualClock()
    emu = make_emulator(EmulatorConfig(rpm=2, clock=clock))
    client = emu.client()
    client.models.generate_content(model=MODEL, contents="one")
    clock.advance(20)
    client.models.generate_content(model=MODEL, contents="two")
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=MODEL, contents="three")
    assert _retry_delays(info.value) == ["40s"]  # the first request leaves the 60 s window in 40 s
    assert "PerMinute" in _quota_ids(info.value)[0]
    assert client.models.generate_content(model="gemini-2.5-pro", contents="other model, own quota").text
    clock.advance(40)
    assert client.models.generate_content(model=MODEL, contents="three").text


def test_tokens_per_minute_and_requests_per_day(make_emulator):
    clock = ManualClock()
    emu = make_emulator(tpm=30, rpd=3, clock=clock)
    client = emu.client()
    client.models.generate_content(model=MODEL, contents="x" * 80)  # 20 tokens
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=MODEL, contents="y" * 80)
    assert _quota_ids(info.value) == ["GenerateContentInputTokensPerModelPerMinute-FreeTier"]
    assert _retry_delays(info.value) == ["60s"]
    clock.advance(60)
    client.models.generate_content(model=MODEL, contents="a")
    client.models.generate_content(model=MODEL, contents="b")
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=MODEL, contents="c")
    assert "PerDay" in _quota_ids(info.value)[0]


def test_seeded_fault_rate_is_reproducible(make_emulator):
    def outcomes(emu):
        client = emu.client()
        result = []
        for i in range(30):
            try:
                client.models.generate_content(model=MODEL, contents=f"q{i}")
                result.append(200)
            except errors.APIError as error:
                result.append(error.code)
        return result

    first = outcomes(make_emulator(seed=7, fault_rate=0.3))
    assert first == outcomes(make_emulator(seed=7, fault_rate=0.3))
    assert 200 in first and set(first) - {200} <= {429, 500, 503, 504} and len(set(first)) > 1


def test_hang_outlives_client_timeout(emulator):
    client = emulator.client(timeout_ms=300)
    with pytest.raises(Exception) as info:  # httpx(2) ReadTimeout: the SDK doesn't wrap transport errors
        client.models.generate_content(model=MODEL, contents="never answered [[hang]]")
    assert "timeout" in type(info.value).__name__.lower()


async def test_hang_outlives_aio_client_timeout(emulator):
    client = emulator.client(timeout_ms=300)
    # google-genai 1.49 gives aiohttp only a *connect* timeout, so the caller's own deadline is what ends the wait
    with pytest.raises((asyncio.TimeoutError, TimeoutError)):
        await asyncio.wait_for(
            client.aio.models.generate_content(model=MODEL, contents="never answered [[hang]]"), timeout=0.5
        )


def test_short_hang_then_answer(emulator_client):
    assert emulator_client.models.generate_content(model=MODEL, contents="slow [[hang:0.05]]").text


@pytest.mark.parametrize("marker", ["[[truncate]]", "[[non-json]]"])
def test_malformed_bodies_fail_to_parse(emulator, emulator_client, marker):
    with pytest.raises(Exception) as info:
        emulator_client.models.generate_content(model=MODEL, contents=f"mangled {marker}")
    # a 200 whose body does not parse: a JSON decoding error, or an APIError carrying the 200 (never a 4xx/5xx)
    assert not isinstance(info.value, errors.APIError) or info.value.code == 200
    assert _statuses(emulator) == [200]


def test_stream_error_frame(emulator_client):
    stream = emulator_client.models.generate_content_stream(model=MODEL, contents="talk on [[stream-error]]")
    try:
        chunks = list(stream)
    except errors.ServerError as error:  # SDKs that check error frames raise the mapped error
        assert error.status == "INTERNAL"
    else:  # google-genai 1.49 parses the error frame as an empty response
        assert chunks[0].text and chunks[-1].candidates is None


def test_bad_marker_is_invalid_argument(emulator_client):
    with pytest.raises(errors.ClientError) as info:
        emulator_client.models.generate_content(model=MODEL, contents="[[unsafe:nonsense:HIGH]]")
    assert info.value.code == 400
    assert emulator_client.models.generate_content(model=MODEL, contents="a [[wiki link]] is fine").text


def test_invalid_requests(emulator):
    request = urllib.request.Request(
        f"{emulator.base_url}/v1beta/models/{MODEL}:generateContent",
        data=b"{not json",
        headers={"Content-Type": "application/json", "x-goog-api-key": emulator.api_key},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    info.value.close()  # the error holds the response, and its socket, open
    assert info.value.code == 400
    assert info.value.headers["Content-Type"].startswith("application/json")


def test_unknown_path_is_json_404(emulator):
    request = urllib.request.Request(f"{emulator.base_url}/v1beta/nothing", headers={"x-goog-api-key": "k"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert json.loads(info.value.read())["error"]["status"] == "NOT_FOUND"


def test_reset_clears_scripts_and_log(emulator, emulator_client):
    emulator.script("pending", [503])
    emulator_client.models.generate_content(model=MODEL, contents="hi")
    emulator.reset()
    assert emulator.log == []
    assert emulator_client.models.generate_content(model=MODEL, contents="pending").text
    emulator.reset_log()
    assert emulator.count() == 0


def test_reset_drops_the_connection_and_the_log_says_what_was_injected_and_billed(emulator, emulator_client):
    with pytest.raises(Exception) as info:  # the transport's own error, whichever HTTP library
        emulator_client.models.generate_content(model=MODEL, contents="[[fail:reset]] hi")
    assert not isinstance(info.value, errors.APIError)  # no HTTP answer at all
    with pytest.raises(errors.ServerError):
        emulator_client.models.generate_content(model=MODEL, contents="[[fail:503]] hello")
    reply = emulator_client.models.generate_content(model=MODEL, contents="hello")
    records = [r for r in emulator.log if r.endpoint == "generateContent"]
    assert [(r.status, r.fault, r.billed_tokens) for r in records[-3:-1]] == [(0, "reset", 0), (503, "503", 0)]
    assert records[-1].fault is None and records[-1].billed_tokens == reply.usage_metadata.total_token_count > 0


def test_an_exhausted_daily_quota_comes_back_at_midnight_pacific(make_emulator):
    clock = ManualClock()  # 2026-11-22 12:00 UTC, 04:00 PST: the quota day ends at 08:00 UTC tomorrow
    emu = make_emulator(EmulatorConfig(clock=clock))
    client = emu.client()
    emu.exhaust_daily_quota()
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=MODEL, contents="hi")
    assert _retry_delays(info.value) == ["72000s"]
    clock.advance(72_000 - 1)
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model=MODEL, contents="hi")
    clock.advance(1)
    assert client.models.generate_content(model=MODEL, contents="hi").text
