"""Errors raised by the Gemini integration. All derive from :class:`notebookllm.NotebookLLMError`.

Example:
    >>> try:
    ...     ...  # result = await strategy.execute(prompt, 1, 30.0)
    ... except GeminiBlockedError as e:
    ...     print(e.finish_reason, e.safety_ratings)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from ..core.errors import ConfigurationError, NotebookLLMError
from ..quota_day import describe_reset

if TYPE_CHECKING:
    from .response import GeminiResponse

__all__ = [
    "CacheVanishedError",
    "GeminiAccountError",
    "GeminiBlockedError",
    "GeminiEmptyResponseError",
    "GeminiError",
    "GeminiFinishReasonError",
    "GeminiModelUnavailableError",
    "GeminiTruncatedError",
    "MissingAPIKeyError",
]

API_KEY_ENV_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")


class GeminiError(NotebookLLMError):
    """Base class of the Gemini integration's own errors."""


class MissingAPIKeyError(GeminiError, ConfigurationError):
    """No API key was given and none is set in the environment, and the emulator was ruled out."""

    def __init__(self) -> None:
        names = " or ".join(API_KEY_ENV_VARS)
        super().__init__(
            f"no Gemini API key: pass connect(api_key=...) or set {names}; "
            "or call connect(emulator=True) to use the local emulator"
        )


class GeminiBlockedError(GeminiError):
    """Gemini refused: the prompt was blocked (``promptFeedback.blockReason``) or the answer stopped for safety.

    Not retried by default (``GeminiErrorClassifier(retry_blocked=True)`` changes that). Carries what the API said,
    so a blocked item is an explicit outcome rather than an ``AttributeError`` on ``response.text``.

    Attributes:
        response: the :class:`GeminiResponse` (``output`` is ``None``) with ratings, finish reason and usage.
        finish_reason: e.g. ``"SAFETY"``; ``None`` when the prompt itself was blocked.
        block_reason: the prompt block reason (e.g. ``"SAFETY"``), else the blocking finish reason.
        safety_ratings: category → probability.
    """

    def __init__(self, response: GeminiResponse[Any]) -> None:
        self.response = response
        self.finish_reason = response.finish_reason
        self.block_reason = response.prompt_block_reason or response.finish_reason
        self.safety_ratings = dict(response.safety_ratings or {})
        what = "prompt" if response.prompt_block_reason else "response"
        super().__init__(f"Gemini blocked the {what} ({self.block_reason}); safety ratings {self.safety_ratings}")


class GeminiEmptyResponseError(GeminiError):
    """The reply carried nothing to parse (no text, no function call) and no finish reason that explains why
    (``STOP``, ``OTHER``, none). Retryable: the next answer may well have content."""

    def __init__(self, finish_reason: str | None) -> None:
        self.finish_reason = finish_reason
        super().__init__(f"Gemini returned no text (finish reason {finish_reason})")


class CacheVanishedError(GeminiError):
    """The context cache a request named is gone (expired or deleted); a new one was created. Retryable."""

    def __init__(self, old_name: str, new_name: str) -> None:
        self.old_name = old_name
        self.new_name = new_name
        super().__init__(f"context cache {old_name} vanished; recreated as {new_name}, retry the request")


class GeminiTruncatedError(GeminiError):
    """The answer hit ``max_output_tokens`` (finish reason ``MAX_TOKENS``; thinking counts against it too).

    Not retried: the same request stops at the same length and would be billed again. Never fed to JSON repair,
    which would turn a cut-off object into a success with wrong values. Raise ``max_output_tokens`` (or lower the
    thinking level) and run again.

    Attributes:
        response: the :class:`GeminiResponse` (usage, finish reason, ratings).
        partial_text: the text received before the cut (``None`` when thinking used the whole budget).
    """

    def __init__(self, response: GeminiResponse[Any], partial_text: str | None) -> None:
        self.response = response
        self.finish_reason = response.finish_reason
        self.partial_text = partial_text
        thoughts = response.token_usage.get("thoughts_tokens", 0)
        what = (
            f"after {len(partial_text)} characters" if partial_text else f"before any text ({thoughts} thinking tokens)"
        )
        super().__init__(
            f"Gemini stopped at max_output_tokens (MAX_TOKENS) {what}; raise max_output_tokens or lower the thinking "
            "level"
        )


class GeminiFinishReasonError(GeminiError):
    """The answer ended for a reason that the same request would meet again (``RECITATION``, ``LANGUAGE``,
    ``MALFORMED_FUNCTION_CALL``, ``UNEXPECTED_TOOL_CALL``, ``TOO_MANY_TOOL_CALLS``, ...). Not retried.

    Attributes:
        response: the :class:`GeminiResponse`.
        finish_reason: the finish reason.
        partial_text: any text received.
        account: the reason concerns the account (``PUP_LIMITED_DISABLED``): the run stops.
    """

    def __init__(self, response: GeminiResponse[Any], partial_text: str | None, *, account: bool = False) -> None:
        self.response = response
        self.finish_reason = response.finish_reason
        self.partial_text = partial_text
        self.account = account
        why = (
            "the account is limited or disabled for Prohibited Use Policy violations; see Google AI Studio"
            if account
            else "the same request would end the same way, so it is not retried"
        )
        super().__init__(f"Gemini ended the answer with finish reason {self.finish_reason}: {why}")


class GeminiModelUnavailableError(GeminiError):
    """The model is retired, not available to this key, or misspelt (the API answered 404).

    Attributes:
        model: the model asked for.
        available: the models this key can use for ``generateContent`` (from ``models.list``; empty when the list
            could not be read).
        detail: the API's message.
    """

    def __init__(self, model: str, available: list[str], detail: str) -> None:
        self.model = model
        self.available = list(available)
        self.detail = detail
        choices = ", ".join(self.available) if self.available else "see https://ai.google.dev/gemini-api/docs/models"
        super().__init__(
            f"model {model!r} is not available to this key ({detail}); pick another model with "
            f"connect(model=...) or NOTEBOOKLLM_MODEL. Available: {choices}"
        )


class GeminiAccountError(GeminiError):
    """The key, its project or its quota cannot serve any request: every other row would fail the same way, so
    the run stops here (nothing more is sent). The message says what to do.

    Attributes:
        category: ``"auth"`` (invalid, unauthorised or suspended key, API disabled) or ``"quota_exhausted"`` (a
            spent daily quota or prepaid credit, or no quota at all for the model on this tier).
        code, status, detail: the API's HTTP status, status name and message (the original error is the
            ``__cause__``).
        spent: for ``"quota_exhausted"``, which quota (see :func:`~notebookllm.gemini.classifier.spent_quota`):
            ``"daily"``, ``"tier"`` or ``"credits"``; said in the message, since the API's own words are the same
            for all three.
        resets_at: for a spent daily quota, when it resets (epoch seconds): the documented reset, midnight Pacific
            (:mod:`notebookllm.quota_day`), or the server's ``RetryInfo`` hint when that points later;
            ``None`` otherwise. ``results.retry_failed()`` after that time continues the run.
    """

    _SPENT: ClassVar[dict[str, str]] = {
        "daily": "its daily quota is spent",
        "tier": "this key's tier has no quota for it (limit: 0)",
        "credits": "the project's prepaid credits are spent",
    }

    _ADVICE: ClassVar[dict[str, str]] = {
        "auth": (
            "create a new key at https://aistudio.google.com/apikey (or check the key's API restrictions and its "
            "project's billing), set GEMINI_API_KEY and call nl.connect() again"
        ),
        "quota_exhausted": (
            "wait for the quota to reset, enable billing or raise the project's tier "
            "(https://ai.google.dev/gemini-api/docs/rate-limits), or pick another model with connect(model=...)"
        ),
    }

    def __init__(
        self,
        category: str,
        code: int,
        status: str | None,
        detail: str,
        model: str,
        *,
        spent: str | None = None,
        resets_at: float | None = None,
        now: float | None = None,
    ) -> None:
        self.category = category
        self.code = code
        self.status = status
        self.detail = detail
        self.model = model
        self.spent = spent
        self.resets_at = resets_at
        what = "refused the API key" if category == "auth" else f"has no quota left for {model}"
        if spent is not None:
            what += f": {self._SPENT[spent]}"
        if resets_at is not None:
            what += f" and resets at {describe_reset(resets_at, time.time() if now is None else now)}"
        first_line = detail.splitlines()[0] if detail else ""
        super().__init__(f"Gemini {what} ({code} {status}: {first_line}); {self._ADVICE[category]}")
