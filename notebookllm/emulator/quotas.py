"""Per-model quotas: requests and input tokens per minute (a sliding window), requests per day.

Exceeding a per-minute quota answers 429 RESOURCE_EXHAUSTED with details
``QuotaFailure`` (quotaId ``GenerateRequestsPerMinutePerProjectPerModel-FreeTier`` or
``GenerateContentInputTokensPerModelPerMinute-FreeTier``), ``Help`` and ``RetryInfo`` (retryDelay = seconds until
the window admits the request), and a message ending "Please retry in 7.12s.".
Exhausting the daily quota answers 429 with quotaId ``GenerateRequestsPerDayPerProjectPerModel-FreeTier``, the same
message as a per-minute quota (today's service words both alike: only the quotaId tells them apart), and RetryInfo
with the seconds until the quota day resets: at midnight Pacific time, as Google's rate-limits page documents
(https://ai.google.dev/gemini-api/docs/rate-limits), the same day the client side reads (``notebookllm.quota_day``).
An exhausted daily quota comes back at that reset. Wordings and ids as quoted from real replies in public issue
trackers (2026). Time comes from the emulator's clock.

>>> quotas = Quotas(rpm=1, tpm=None, rpd=None, window_s=60.0, clock=lambda: 0.0)
>>> quotas.admit("gemini-2.5-flash", 10)
>>> try:
...     quotas.admit("gemini-2.5-flash", 10)
... except ApiError as e:
...     e.code, e.details[-1]["retryDelay"]
(429, '60s')
"""

from __future__ import annotations

import threading
import time
from collections import deque

from ..quota_day import next_reset, quota_day_start
from .clock import Clock
from .errors import RATE_LIMIT_DOCS, ApiError, quota_error

_REQUESTS_METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
_TOKENS_METRIC = "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count"
PER_MINUTE_REQUESTS_ID = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
PER_MINUTE_TOKENS_ID = "GenerateContentInputTokensPerModelPerMinute-FreeTier"
PER_DAY_REQUESTS_ID = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
_USAGE_PAGE = "https://ai.dev/rate-limit"


def _quota_message(metric: str, limit: int | str, model: str, retry_delay_s: float) -> str:
    return (
        "You exceeded your current quota, please check your plan and billing details. For more information on "
        f"this error, head to: {RATE_LIMIT_DOCS}. To monitor your current usage, head to: {_USAGE_PAGE}. "
        f"\n* Quota exceeded for metric: {metric}, limit: {limit}, model: {model}\n"
        f"Please retry in {retry_delay_s:.2f}s."
    )


def minute_quota_error(model: str, retry_delay_s: float, limit: int | None = None, tokens: bool = False) -> ApiError:
    """The 429 for a per-minute quota (requests, or input tokens when ``tokens``)."""
    metric = _TOKENS_METRIC if tokens else _REQUESTS_METRIC
    return quota_error(
        message=_quota_message(metric, limit if limit is not None else "per-minute", model, retry_delay_s),
        quota_id=PER_MINUTE_TOKENS_ID if tokens else PER_MINUTE_REQUESTS_ID,
        metric=metric,
        model=model,
        limit=limit,
        retry_delay_s=retry_delay_s,
    )


def daily_quota_error(model: str, retry_delay_s: float, limit: int | None = None) -> ApiError:
    """The 429 for an exhausted daily request quota."""
    return quota_error(
        message=_quota_message(_REQUESTS_METRIC, limit if limit is not None else "per-day", model, retry_delay_s),
        quota_id=PER_DAY_REQUESTS_ID,
        metric=_REQUESTS_METRIC,
        model=model,
        limit=limit,
        retry_delay_s=retry_delay_s,
    )


class _Window:
    __slots__ = ("day", "day_count", "events", "tokens")

    def __init__(self) -> None:
        self.events: deque[tuple[float, int]] = deque()
        self.tokens = 0
        self.day = -1.0  # the quota day's start (epoch seconds)
        self.day_count = 0


class Quotas:
    """Admits or refuses requests per model. ``None`` limits are unlimited."""

    def __init__(
        self, *, rpm: int | None, tpm: int | None, rpd: int | None, window_s: float = 60.0, clock: Clock = time.time
    ) -> None:
        self.rpm, self.tpm, self.rpd = rpm, tpm, rpd
        self.window_s = window_s
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._exhausted: dict[str, float] = {}  # model (or "*") → the start of the quota day it was exhausted on
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self.rpm or self.tpm or self.rpd or self._exhausted)

    def exhaust_daily(self, model: str | None = None) -> None:
        """Make the daily quota of ``model`` (every model when None) exhausted until the quota day ends."""
        with self._lock:
            self._exhausted[model or "*"] = quota_day_start(self._clock())

    def admit(self, model: str, tokens: int) -> None:
        """Count one request of ``tokens`` input tokens, or raise the 429 ApiError that refuses it."""
        with self._lock:
            now = self._clock()
            window = self._windows.setdefault(model, _Window())
            day, until_tomorrow = quota_day_start(now), next_reset(now) - now
            if window.day != day:
                window.day, window.day_count = day, 0
            if day in (self._exhausted.get("*"), self._exhausted.get(model)):
                raise daily_quota_error(model, until_tomorrow, self.rpd)
            if self.rpd is not None and window.day_count >= self.rpd:
                raise daily_quota_error(model, until_tomorrow, self.rpd)
            events = window.events
            horizon = now - self.window_s
            while events and events[0][0] <= horizon:
                window.tokens -= events.popleft()[1]
            if self.rpm is not None and len(events) >= self.rpm:
                raise minute_quota_error(model, events[0][0] + self.window_s - now, self.rpm)
            if self.tpm is not None and window.tokens + tokens > self.tpm:
                raise minute_quota_error(model, self._token_wait(window, tokens, now), self.tpm, tokens=True)
            events.append((now, tokens))
            window.tokens += tokens
            window.day_count += 1

    def _token_wait(self, window: _Window, tokens: int, now: float) -> float:
        """Seconds until enough of the window's tokens expire for ``tokens`` more to fit."""
        assert self.tpm is not None
        excess = window.tokens + tokens - self.tpm
        for at, spent in window.events:
            excess -= spent
            if excess <= 0:
                return at + self.window_s - now
        return self.window_s
