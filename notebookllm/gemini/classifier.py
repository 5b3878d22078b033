"""Classifying the errors the google-genai SDK raises, for retries, cooldowns and result tables.

Rules of :class:`GeminiErrorClassifier`, first match wins:

* :class:`~notebookllm.gemini.GeminiBlockedError` → ``"blocked"``, not retryable (unless ``retry_blocked=True``).
* :class:`~notebookllm.gemini.CacheVanishedError` → ``"cache_vanished"``, retryable (the cache was recreated).
* :class:`~notebookllm.gemini.GeminiEmptyResponseError` → ``"empty"``, retryable.
* :class:`~notebookllm.gemini.GeminiTruncatedError` → ``"max_tokens"``, not retryable (the same request stops at the
  same length and is billed again).
* :class:`~notebookllm.gemini.GeminiFinishReasonError` → ``"finish_reason"``, not retryable; an account-level
  reason (``PUP_LIMITED_DISABLED``) → ``"account"`` with ``scope="run"``.
* :class:`~notebookllm.gemini.GeminiModelUnavailableError` → ``"model_unavailable"``, ``scope="run"``;
  :class:`~notebookllm.gemini.GeminiAccountError` → its category (``"auth"``, ``"quota_exhausted"``), ``scope="run"``.
* ``google.genai.errors.APIError`` — the account-level ones stop the run (``scope="run"``: every other item would
  fail the same way, so nothing more is sent):
  * 400 ``API_KEY_INVALID`` / "API key not valid", 401, and 403 about the key, project or billing (suspended,
    API disabled, not permitted) → ``"auth"``;
  * 404 naming a model (retired, not available to new users, misspelt) → ``"model_unavailable"``;
  * 429 whose quota is per day (a ``QuotaFailure`` ``quotaId`` containing ``PerDay``, else "per day"/"daily" in the
    message), a quota of ``limit: 0`` (the key's tier may not use the model), or spent prepaid credits →
    ``"quota_exhausted"``: not retryable, ``is_quota_exhausted``;
  * any other 429 → ``"rate_limit"``: retryable, ``is_rate_limit``, ``retry_after`` from ``RetryInfo.retryDelay``
    (else "Please retry in Ns" in the message). Mentioning "quota" alone changes nothing: every Gemini 429 does;
  * 408 → ``"timeout"``, 5xx → ``"server"``: retryable (``retry_after`` when the server sent RetryInfo); a 503
    (``UNAVAILABLE``, "The model is overloaded") also ``is_unavailable``: not billed and not about the item, so it
    uses no attempt. Other 5xx count: Gemini answers a context too long with 500 and one too slow with 504;
  * other 4xx (400, 403 for a cache or file, 404, ...) → ``"client"``: not retryable;
  * a 2xx or 3xx status the SDK raised as an error (e.g. 201) → ``"unexpected_status"``: not retryable;
  * any other status → ``"unknown"``, retryable.
* httpx / httpx2 / aiohttp timeouts and ``asyncio.TimeoutError`` → ``"timeout"``; their connection errors →
  ``"network"``: retryable.
* Everything else: :class:`~notebookllm.DefaultErrorClassifier` (validation errors retryable, bugs not, ...).

Example:
    >>> GeminiErrorClassifier().classify(TimeoutError()).retryable
    True
"""

from __future__ import annotations

import asyncio
import importlib
import re
from typing import Any

from google.genai import errors as genai_errors

from ..core.classification import DefaultErrorClassifier, ErrorInfo
from .errors import (
    CacheVanishedError,
    GeminiAccountError,
    GeminiBlockedError,
    GeminiEmptyResponseError,
    GeminiFinishReasonError,
    GeminiModelUnavailableError,
    GeminiTruncatedError,
)

__all__ = [
    "GeminiErrorClassifier",
    "is_key_error",
    "is_model_not_found",
    "is_spent_quota",
    "reported_limits",
    "retry_delay_of",
    "spent_quota",
]


def _transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(timeouts, connection errors) of whichever HTTP libraries the installed SDK may use."""
    # asyncio.TimeoutError is a distinct class before Python 3.11.
    timeouts: list[type[BaseException]] = [TimeoutError, asyncio.TimeoutError]
    network: list[type[BaseException]] = [ConnectionError]
    # google-genai 1.x/2.x use httpx, 3.x httpx2, and client.aio uses aiohttp whenever it is importable.
    for name in ("httpx", "httpx2", "aiohttp"):
        try:
            lib = importlib.import_module(name)
        except ImportError:
            continue
        if name == "aiohttp":
            timeouts.append(lib.ServerTimeoutError)
            network.extend([lib.ClientConnectionError, lib.ClientPayloadError])
        else:
            timeouts.append(lib.TimeoutException)
            network.append(lib.TransportError)  # ConnectError, ReadError, RemoteProtocolError, ...
    return tuple(timeouts), tuple(network)


_TIMEOUTS, _NETWORK = _transport_errors()
_RETRY_IN = re.compile(r"retry in\s+([0-9]+(?:\.[0-9]+)?)\s*(ms|s)\b", re.IGNORECASE)
_DAILY = re.compile(r"per\s*day|daily", re.IGNORECASE)
_CREDITS = re.compile(r"prepay|credits? (?:are |is )?(?:depleted|exhausted)", re.IGNORECASE)
_NO_QUOTA = re.compile(r"\blimit: 0\b")
_KEY_REASONS = frozenset(
    {
        "API_KEY_INVALID",
        "API_KEY_EXPIRED",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "API_KEY_ANDROID_APP_BLOCKED",
        "API_KEY_IOS_APP_BLOCKED",
        "CONSUMER_SUSPENDED",
        "CONSUMER_INVALID",
        "SERVICE_DISABLED",
        "BILLING_DISABLED",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    }
)
_KEY_WORDS = re.compile(
    r"api key|api_key|suspended|billing|has not been used in project|is disabled|consumer|unregistered callers"
    r"|not have permission to access (?:the )?(?:api|project)|method doesn't allow",
    re.IGNORECASE,
)
_MODEL_NOT_FOUND = re.compile(r"models/[\w.\-]+ (?:is not found|.*no longer available)|no longer available", re.I)


class GeminiErrorClassifier(DefaultErrorClassifier):
    """The default classifier of Gemini strategies (see the module docstring for the rules).

    Args:
        retry_blocked: retry safety-blocked items (off by default: the same prompt is usually blocked again).
    """

    def __init__(self, *, retry_blocked: bool = False) -> None:
        self.retry_blocked = retry_blocked

    def classify(self, exc: BaseException) -> ErrorInfo:
        if isinstance(exc, GeminiBlockedError):
            return ErrorInfo(retryable=self.retry_blocked, category="blocked")
        if isinstance(exc, CacheVanishedError):
            return ErrorInfo(retryable=True, category="cache_vanished")
        if isinstance(exc, GeminiEmptyResponseError):
            return ErrorInfo(retryable=True, category="empty")
        if isinstance(exc, GeminiTruncatedError):
            return ErrorInfo(retryable=False, category="max_tokens")
        if isinstance(exc, GeminiFinishReasonError):
            if exc.account:
                return ErrorInfo(retryable=False, category="account", scope="run")
            return ErrorInfo(retryable=False, category="finish_reason")
        if isinstance(exc, GeminiModelUnavailableError):
            return ErrorInfo(retryable=False, category="model_unavailable", scope="run")
        if isinstance(exc, GeminiAccountError):
            exhausted = exc.category == "quota_exhausted"
            return ErrorInfo(retryable=False, is_quota_exhausted=exhausted, category=exc.category, scope="run")
        if isinstance(exc, genai_errors.APIError):
            return self._classify_api_error(exc)
        if isinstance(exc, _TIMEOUTS):
            return ErrorInfo(retryable=True, category="timeout")
        if isinstance(exc, _NETWORK):
            return ErrorInfo(retryable=True, category="network")
        return super().classify(exc)

    def _classify_api_error(self, exc: genai_errors.APIError) -> ErrorInfo:
        code = exc.code
        retry_after = retry_delay_of(exc)
        if code == 429:
            if is_spent_quota(exc):
                return ErrorInfo(retryable=False, is_quota_exhausted=True, category="quota_exhausted", scope="run")
            return ErrorInfo(retryable=True, is_rate_limit=True, retry_after=retry_after, category="rate_limit")
        if code == 408:
            return ErrorInfo(retryable=True, retry_after=retry_after, category="timeout")
        if 500 <= code <= 599:
            return ErrorInfo(retryable=True, is_unavailable=code == 503, retry_after=retry_after, category="server")
        if is_key_error(exc):
            return ErrorInfo(retryable=False, category="auth", scope="run")
        if is_model_not_found(exc):
            return ErrorInfo(retryable=False, category="model_unavailable", scope="run")
        if 400 <= code <= 499:
            return ErrorInfo(retryable=False, category="client")
        if 200 <= code <= 399:  # a success or redirect status the SDK refused: asking again gets the same answer
            return ErrorInfo(retryable=False, category="unexpected_status")
        return ErrorInfo(retryable=True, category="unknown")


def is_key_error(exc: genai_errors.APIError) -> bool:
    """The key, its project or its billing cannot be used (invalid, unauthorised, suspended, API disabled)."""
    if exc.code == 401:
        return True
    if exc.code not in (400, 403):
        return False
    reasons = {str(d.get("reason", "")) for d in _error_details(exc)}
    if reasons & _KEY_REASONS:
        return True
    message = exc.message or ""
    if exc.code == 400:
        return "api key" in message.lower()
    # 403 also answers a cache or file the key may not see: those concern one request, not the account.
    return exc.code == 403 and "CachedContent" not in message and bool(_KEY_WORDS.search(message))


def is_model_not_found(exc: genai_errors.APIError) -> bool:
    """A 404 about the model itself (retired, not available to new users, unknown), not about a cache or file."""
    return exc.code == 404 and bool(_MODEL_NOT_FOUND.search(exc.message or ""))


def retry_delay_of(exc: genai_errors.APIError) -> float | None:
    """Seconds the server asked us to wait: ``RetryInfo.retryDelay`` (``"7s"``), else "Please retry in 7.12s"."""
    for detail in _error_details(exc):
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            seconds = _duration_seconds(detail.get("retryDelay"))
            if seconds is not None:
                return seconds
    match = _RETRY_IN.search(exc.message or "")
    if match:
        value = float(match.group(1))
        return value / 1000 if match.group(2).lower() == "ms" else value
    return None


def is_spent_quota(exc: genai_errors.APIError) -> bool:
    """A 429 that waiting a minute will not cure: a daily quota, spent credits, no quota for the model at all."""
    return spent_quota(exc) is not None


def spent_quota(exc: genai_errors.APIError) -> str | None:
    """What a 429 that waiting a minute will not cure has used up: ``"tier"`` (``limit: 0``: the key's tier has
    no quota for the model), ``"daily"`` (a per-day quota) or ``"credits"`` (prepaid credit); ``None`` for any
    other error. Today's service words all of them alike; the ``QuotaFailure`` ``quotaId`` tells them apart.

    Example:
        >>> spent_quota(exc)  # doctest: +SKIP
        'daily'
    """
    if exc.code != 429:
        return None
    message = exc.message or ""
    if _NO_QUOTA.search(message):
        return "tier"  # waiting will not help
    quota_ids = [
        str(violation.get("quotaId", ""))
        for detail in _error_details(exc)
        if str(detail.get("@type", "")).endswith("google.rpc.QuotaFailure")
        for violation in detail.get("violations") or []
        if isinstance(violation, dict)
    ]
    if quota_ids:
        return "daily" if any("PerDay" in quota_id for quota_id in quota_ids) else None
    if _CREDITS.search(message):
        return "credits"
    return "daily" if _DAILY.search(message) else None


def reported_limits(exc: genai_errors.APIError, model: str) -> dict[str, dict[str, float]]:
    """Model → {kind: limit} that a 429's ``QuotaFailure`` reported (``quotaValue``): kinds ``"rpm"``/``"tpm"``
    (requests / input tokens per minute) and ``"rpd"``/``"tpd"`` (per day), told apart by the ``quotaId``
    (``GenerateRequestsPerMinutePerProjectPerModel-FreeTier``, ...). A violation naming no model (in
    ``quotaDimensions``) is ``model``'s, the model asked for. Empty for anything else.

    Example:
        >>> reported_limits(exc, "gemini-3.8-flash")  # doctest: +SKIP
        {'gemini-3.8-flash': {'rpm': 10.0}}
    """
    if exc.code != 429:
        return {}
    found: dict[str, dict[str, float]] = {}
    for detail in _error_details(exc):
        if not str(detail.get("@type", "")).endswith("google.rpc.QuotaFailure"):
            continue
        for violation in detail.get("violations") or []:
            kind = _limit_kind(str(violation.get("quotaId", ""))) if isinstance(violation, dict) else None
            try:
                value = float(violation["quotaValue"])  # type: ignore[index]
            except (KeyError, TypeError, ValueError):
                continue
            if kind is not None and value > 0:
                dimensions = violation.get("quotaDimensions")  # seen as a string ("[MaxDepth]") in real replies
                named = dimensions.get("model") if isinstance(dimensions, dict) else None
                found.setdefault(str(named or model), {})[kind] = value
    return found


def _limit_kind(quota_id: str) -> str | None:
    """``"rpm"``, ``"tpm"``, ``"rpd"`` or ``"tpd"`` from a quotaId; ``None`` for one of another period or unit."""
    period = "m" if "PerMinute" in quota_id else "d" if "PerDay" in quota_id else None
    unit = "t" if "Tokens" in quota_id else "r" if "Requests" in quota_id else None
    return None if period is None or unit is None else f"{unit}p{period}"


def _error_details(exc: genai_errors.APIError) -> list[dict[str, Any]]:
    """``error.details`` of the body; the SDK's ``e.details`` is the whole body ``{"error": {...}}``."""
    body = exc.details
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _duration_seconds(value: Any) -> float | None:
    """A protobuf Duration as JSON (``"7s"``, ``"7.5s"``) or as an object (``{"seconds": 7, "nanos": 0}``)."""
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1])
        except ValueError:
            return None
    if isinstance(value, dict):
        return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
    return None
