"""Configuration of a run: retries, rate limits and the processor itself.

Every class here is a frozen pydantic model validated on construction: a bad value raises
:class:`~notebookllm.core.errors.ConfigurationError` at once, and the message names the field.

Example:
    >>> config = ProcessorConfig(max_workers=32, retry=RetryConfig(max_attempts=5),
    ...                          rate_limit=RateLimitConfig(requests_per_minute=600))
    >>> ProcessorConfig(max_workers=0)
    Traceback (most recent call last):
    ...
    notebookllm.core.errors.ConfigurationError: ProcessorConfig.max_workers: Input should be greater than 0 (got 0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ConfigurationError

__all__ = ["ProcessorConfig", "RateLimitConfig", "RetryConfig"]


class _Config(BaseModel):
    """Frozen, strict about unknown fields, finite, and raising :class:`ConfigurationError` naming the field."""

    # No inf or NaN anywhere: rpm=inf made the limiter wait forever, and a NaN compares false with every bound.
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, allow_inf_nan=False)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            problems = "; ".join(_describe(type(self).__name__, err) for err in exc.errors())
            raise ConfigurationError(problems) from None


def _describe(model: str, err: Any) -> str:
    where = ".".join(map(str, err["loc"])) or "(model)"
    if err["type"] == "value_error":  # raised by our own validators, whose message already says it all
        return f"{model}.{where}: {err['msg'].removeprefix('Value error, ')}"
    return f"{model}.{where}: {err['msg']} (got {err['input']!r})"


class RetryConfig(_Config):
    """How failed attempts are retried.

    The wait before attempt ``n + 1`` is ``initial_wait * exponential_base ** (n - 1)``, capped at ``max_wait``;
    with ``jitter`` it is drawn uniformly from the upper half of that (so workers that failed together spread
    out). Rate-limit errors do not use this: they wait for the shared cooldown and do not count towards
    ``max_attempts``.

    The defaults are google-genai's own retry defaults (``HttpRetryOptions``: 5 attempts including the first,
    1 s, doubling, at most 60 s). They bound what a retry can cost: an answer that did not parse or validate is
    billed, so a prompt that never validates is paid for at most five times.

    A 503 (the service overloaded or unavailable: ``ErrorInfo.is_unavailable``) is billed nothing and says nothing
    about the item, so it does not use up an attempt either: it backs off on its own schedule (the one above,
    counted in 503s) and the item gives up after ``max_unavailable_waits`` of them. When 20 % of requests are 503s,
    five tries leave 0.2⁵ = 0.03 % of items failed (one row in three runs of 1,000) and nine leave 0.2⁹ = 5 × 10⁻⁷.
    So that a service that is down does not hold every item through all its waits, the run stops once every attempt
    for ``stop_when_unavailable_for`` seconds ended in a 503: nothing more is sent, items not finished end failed
    with that 503, finished ones are kept, and running the cell again later sends only the rest.
    """

    max_attempts: int = Field(5, gt=0, le=100, description="attempts per item, rate-limit waits and 503s not counted")
    max_unavailable_waits: int = Field(
        8, ge=0, le=100, description="503s (overloaded, unavailable) one item may wait out"
    )
    stop_when_unavailable_for: float | None = Field(
        60.0, gt=0, description="seconds of nothing but 503s after which the run stops; None: never"
    )
    initial_wait: float = Field(1.0, gt=0, description="seconds before the first retry")
    max_wait: float = Field(60.0, gt=0, description="cap on one backoff wait, seconds")
    exponential_base: float = Field(2.0, ge=1, description="growth factor of the wait per attempt")
    jitter: bool = Field(True, description="randomise each wait within [wait/2, wait]")

    @model_validator(mode="after")
    def _wait_order(self) -> RetryConfig:
        if self.max_wait < self.initial_wait:
            raise ValueError(f"max_wait ({self.max_wait}) is below initial_wait ({self.initial_wait})")
        return self


class RateLimitConfig(_Config):
    """Client-side admission and the shared cooldown after a rate-limit error.

    * ``requests_per_minute`` / ``tokens_per_minute``: leaky buckets (aiolimiter) every attempt passes before it
      is sent; ``None`` means no limit. They keep an even pace with a small burst (one request, a second's
      worth of tokens) and drain a little below the limit, so that no sliding 60 s window —
      the server's, even with up to a second between sending and arrival — holds more than the limit.
      An attempt's token estimate is ``len(prompt) // 4 + expected_output_tokens`` (about four characters per
      token); an estimate above the burst is admitted as a full burst. Gemini's per-minute token quota counts input
      tokens only, hence ``expected_output_tokens=0`` by default; set it for a quota that counts output too.
    * On a rate-limit error every worker pauses — retries waiting in backoff included — for the server's
      ``retry_after`` when it gave one, else ``cooldown_seconds``; either is capped at ``max_cooldown_seconds``.
      Further rate-limit errors during a cooldown extend it instead of stacking a second one.
    * After the cooldown the next ``slow_start_items`` requests are released one at a time by one shared gate, the
      first two ``slow_start_interval`` seconds apart (at most the request limit's spacing), each later gap half
      the one before, so the ramp lasts under ``2 × slow_start_interval``; then full speed. ``0`` turns it off.
    * An item gives up after ``max_rate_limit_waits`` rate-limit errors, so a permanently limited run still ends.
      These waits do not count towards ``RetryConfig.max_attempts``.
    """

    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: int | None = Field(None, gt=0)
    expected_output_tokens: int = Field(
        0, ge=0, description="output tokens added to each request's TPM estimate (Gemini's TPM counts input only)"
    )
    cooldown_seconds: float = Field(10.0, gt=0, description="pause after a rate-limit error without retry_after")
    max_cooldown_seconds: float = Field(300.0, gt=0, description="cap on any one cooldown, retry_after included")
    slow_start_items: int = Field(8, ge=0, description="requests released one at a time after a cooldown")
    slow_start_interval: float = Field(0.5, gt=0, description="seconds between the first two of those requests")
    max_rate_limit_waits: int = Field(20, gt=0, description="rate-limit errors one item may wait out")


class ProcessorConfig(_Config):
    """Settings of one :class:`~notebookllm.core.processor.ParallelBatchProcessor` run.

    ``progress_callback(completed, total, item_id)`` is called after every finished item, the last one included;
    it may be a plain function or a coroutine function. ``dry_run`` calls each strategy's ``dry_run(prompt)``
    instead of ``prepare``/``execute``: nothing is sent or billed.
    """

    max_workers: int = Field(10, gt=0, description="items in flight at once")
    timeout_per_item: float = Field(120.0, gt=0, description="seconds one attempt may take; enforced")
    retry: RetryConfig = Field(default_factory=RetryConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    progress_callback: Callable[[int, int, str], Any] | None = None
    dry_run: bool = False
