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
    GeminiFinishReasonError,
    GeminiModelUnavailableError,
    GeminiResponse,
    GeminiTruncatedError,
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


@pytest.mark.parametrize("code", [400, 403, 404])
def test_client_errors_do_not_retry(code):
    info = C.classify(_error(code, "bad", "INVALID_ARGUMENT"))
    assert not info.retryable and (info.category, info.scope) == ("client", "item")


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


def _reason(reason: str) -> dict:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com"}


@pytest.mark.parametrize(
    ("code", "message", "status", "details"),
    [
        (401, "Request had invalid authentication credentials.", "UNAUTHENTICATED", []),
        (400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT", [_reason("API_KEY_INVALID")]),
        (400, "API key expired. Please renew the API key.", "INVALID_ARGUMENT", []),
        (403, "Permission denied: Consumer 'api_key:x' has been suspended.", "PERMISSION_DENIED", []),
        (403, "Generative Language API has not been used in project 1 before", "PERMISSION_DENIED", []),
        (403, "The caller does not have permission", "PERMISSION_DENIED", [_reason("API_KEY_SERVICE_BLOCKED")]),
    ],
)
def test_key_and_account_errors_stop_the_run(code, message, status, details):
    info = C.classify(_error(code, message, status, details))
    assert (info.retryable, info.category, info.scope) == (False, "auth", "run")


def test_a_403_about_a_cache_concerns_only_that_request():
    info = C.classify(_error(403, "CachedContent not found (or permission denied)", "PERMISSION_DENIED"))
    assert (info.category, info.scope) == ("client", "item")


@pytest.mark.parametrize(
    "message",
    [
        "This model models/gemini-2.5-flash is no longer available to new users. Please update your code.",
        "models/gemini-2.0-flash is not found for API version v1beta, or is not supported for generateContent.",
    ],
)
def test_a_retired_or_unknown_model_stops_the_run(message):
    info = C.classify(_error(404, message, "NOT_FOUND"))
    assert (info.retryable, info.category, info.scope) == (False, "model_unavailable", "run")


def test_daily_quota_and_spent_credits_stop_the_run():
    daily = C.classify(_error(429, "quota", "RESOURCE_EXHAUSTED", [_quota("GenerateRequestsPerDayPerProjectPerModel")]))
    credits = C.classify(_error(429, "Your prepayment credits are depleted.", "RESOURCE_EXHAUSTED"))
    for info in (daily, credits):
        assert (info.is_quota_exhausted, info.category, info.scope) == (True, "quota_exhausted", "run")
    per_minute = C.classify(_error(429, "quota", "RESOURCE_EXHAUSTED", [_quota("RequestsPerMinute")]))
    assert per_minute.scope == "item" and per_minute.is_rate_limit


def test_finish_reason_errors():
    reply = GeminiResponse(output=None, safety_ratings=None, finish_reason="MAX_TOKENS", token_usage={})
    truncated = C.classify(GeminiTruncatedError(reply, '{"a": 1, "b'))
    assert (truncated.retryable, truncated.category, truncated.scope) == (False, "max_tokens", "item")
    reply.finish_reason = "LANGUAGE"
    failed = C.classify(GeminiFinishReasonError(reply, None))
    assert (failed.retryable, failed.category, failed.scope) == (False, "finish_reason", "item")
    reply.finish_reason = "PUP_LIMITED_DISABLED"
    account = C.classify(GeminiFinishReasonError(reply, None, account=True))
    assert (account.retryable, account.category, account.scope) == (False, "account", "run")
    unavailable = C.classify(GeminiModelUnavailableError("gemini-2.5-flash", ["gemini-3.8-flash"], "retired"))
    assert (unavailable.category, unavailable.scope) == ("model_unavailable", "run")
    assert "gemini-3.8-flash" in str(GeminiModelUnavailableError("gemini-2.5-flash", ["gemini-3.8-flash"], "x"))


def test_a_quota_of_zero_is_not_waited_for():
    message = (
        "You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded for metric: "
        "generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0, model: gemini-3.1-pro\n"
        "Please retry in 25.4s."
    )
    info = C.classify(
        _error(429, message, "RESOURCE_EXHAUSTED", [_quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")])
    )
    assert (info.is_quota_exhausted, info.scope) == (True, "run")


def test_an_account_error_keeps_its_category_and_stops_the_run():
    from notebookllm.gemini import GeminiAccountError

    auth = C.classify(GeminiAccountError("auth", 403, "PERMISSION_DENIED", "suspended", "gemini-3.8-flash"))
    spent = C.classify(GeminiAccountError("quota_exhausted", 429, "RESOURCE_EXHAUSTED", "quota", "gemini-3.8-flash"))
    assert (auth.category, auth.scope, auth.is_quota_exhausted) == ("auth", "run", False)
    assert (spent.category, spent.scope, spent.is_quota_exhausted) == ("quota_exhausted", "run", True)


@pytest.mark.parametrize(
    ("details", "message", "spent", "said"),
    [
        (
            [_quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier")],
            "You exceeded your current quota",
            "daily",
            "daily quota is spent",
        ),
        (
            [_quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")],
            "quota, limit: 0, model: x",
            "tier",
            "limit: 0",
        ),
        (None, "Your prepayment credits are depleted.", "credits", "prepaid credits are spent"),
        (
            [_quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")],
            "You exceeded your current quota",
            None,
            None,
        ),
    ],
)
def test_the_account_error_names_the_spent_quota_the_api_words_alike(details, message, spent, said):
    from notebookllm.gemini import GeminiAccountError
    from notebookllm.gemini.classifier import spent_quota

    exc = _error(429, message, "RESOURCE_EXHAUSTED", details)
    assert spent_quota(exc) == spent
    if spent is not None:
        error = GeminiAccountError(
            "quota_exhausted", 429, "RESOURCE_EXHAUSTED", message, "gemini-3.8-flash", spent=spent
        )
        assert said in str(error) and error.spent == spent
