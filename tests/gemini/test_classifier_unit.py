"""The classifier's rules on SDK error objects built the way the SDK builds them (body = the whole JSON reply).

The same rules are checked against errors the SDK raises from emulator replies in test_classifier_emulator.py.
"""

from __future__ import annotations

import asyncio
import json

import pydantic
import pytest
from google.genai import errors as genai_errors

from notebookllm import DefaultErrorClassifier
from notebookllm.gemini import (
    CacheVanishedError,
    GeminiBlockedError,
    GeminiEmptyResponseError,
    GeminiErrorClassifier,
    GeminiResponse,
)

C = GeminiErrorClassifier()


def _error(code: int, message: str, status: str, details: list | None = None) -> genai_errors.APIError:
    body = {"error": {"code": code, "message": message, "status": status, "details": details or []}}
    cls = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return cls(code, body)


def _quota(quota_id: str) -> dict:
    return {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": quota_id}]}


def _retry_info(delay: str) -> dict:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def test_per_minute_429_is_a_rate_limit_with_retry_info_delay():
    exc = _error(
        429,
        "You exceeded your current quota. Please retry in 7.12s.",
        "RESOURCE_EXHAUSTED",
        [_quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"), _retry_info("7.5s")],
    )
    info = C.classify(exc)
    assert (info.retryable, info.is_rate_limit, info.is_quota_exhausted) == (True, True, False)
    assert info.retry_after == 7.5
    assert info.category == "rate_limit"


def test_429_without_retry_info_reads_the_message_and_quota_wording_alone_is_not_daily():
    info = C.classify(_error(429, "You exceeded your current quota. Please retry in 12s.", "RESOURCE_EXHAUSTED"))
    assert info.is_rate_limit and info.retry_after == 12.0 and not info.is_quota_exhausted
    plain = _error(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED")
    assert C.classify(plain).is_rate_limit and C.classify(plain).retry_after is None


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ([_quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier"), _retry_info("30s")], "quota exceeded"),
        (None, "Quota exceeded for metric: generate_content_requests, limit: requests per day"),
    ],
)
def test_daily_quota_is_not_retryable_and_labelled(details, message):
    info = C.classify(_error(429, message, "RESOURCE_EXHAUSTED", details))
    assert (info.retryable, info.is_rate_limit, info.is_quota_exhausted) == (False, False, True)
    assert info.category == "quota_exhausted"


def test_a_per_minute_quota_id_wins_over_daily_wording_in_the_message():
    exc = _error(429, "daily and per-minute limits apply", "RESOURCE_EXHAUSTED", [_quota("RequestsPerMinute")])
    assert C.classify(exc).is_rate_limit


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_retry(code):
    info = C.classify(_error(code, "The model is overloaded.", "UNAVAILABLE"))
    assert info.retryable and info.category == "server" and not info.is_rate_limit


@pytest.mark.parametrize("code", [400, 401, 403, 404])
def test_client_errors_do_not_retry(code):
    info = C.classify(_error(code, "bad", "INVALID_ARGUMENT"))
    assert not info.retryable and info.category == "client"


def test_non_json_error_body_still_classifies():
    exc = genai_errors.ServerError(502, {"message": "<html>Bad Gateway</html>", "status": "Bad Gateway"})
    assert C.classify(exc).retryable


@pytest.mark.parametrize("exc", [TimeoutError(), asyncio.TimeoutError()])
def test_timeouts_retry(exc):
    info = C.classify(exc)
    assert info.retryable and info.category == "timeout"


def test_transport_library_errors_retry():
    httpx2 = pytest.importorskip("httpx2")
    aiohttp = pytest.importorskip("aiohttp")
    assert C.classify(httpx2.ReadTimeout("slow")).category == "timeout"
    assert C.classify(httpx2.ConnectError("refused")).category == "network"
    assert C.classify(aiohttp.ServerTimeoutError()).category == "timeout"
    assert C.classify(aiohttp.ServerDisconnectedError()).category == "network"
    assert all(C.classify(e).retryable for e in (httpx2.ConnectError("x"), aiohttp.ServerDisconnectedError()))


def test_gemini_outcomes():
    blocked = GeminiBlockedError(GeminiResponse(None, {"HARM_CATEGORY_HARASSMENT": "HIGH"}, "SAFETY", {}, blocked=True))
    info = C.classify(blocked)
    assert (info.retryable, info.category) == (False, "blocked")
    assert GeminiErrorClassifier(retry_blocked=True).classify(blocked).retryable
    assert C.classify(CacheVanishedError("cachedContents/a", "cachedContents/b")).retryable
    assert C.classify(GeminiEmptyResponseError("MAX_TOKENS")).retryable


def test_falls_back_to_the_default_rules():
    with pytest.raises(pydantic.ValidationError) as caught:
        pydantic.TypeAdapter(int).validate_python("x")
    for exc in (caught.value, json.JSONDecodeError("x", "doc", 0), TypeError("bug"), ValueError("give up")):
        assert C.classify(exc) == DefaultErrorClassifier().classify(exc)
