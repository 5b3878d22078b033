"""Errors raised by the Gemini integration. All derive from :class:`notebookllm.NotebookLLMError`.

Example:
    >>> try:
    ...     ...  # result = await strategy.execute(prompt, 1, 30.0)
    ... except GeminiBlockedError as e:
    ...     print(e.finish_reason, e.safety_ratings)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigurationError, NotebookLLMError

if TYPE_CHECKING:
    from .response import GeminiResponse

__all__ = [
    "CacheVanishedError",
    "GeminiBlockedError",
    "GeminiEmptyResponseError",
    "GeminiError",
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
    """The reply carried no text to parse (e.g. finish reason ``MAX_TOKENS`` or ``RECITATION``). Retryable."""

    def __init__(self, finish_reason: str | None) -> None:
        self.finish_reason = finish_reason
        super().__init__(f"Gemini returned no text (finish reason {finish_reason})")


class CacheVanishedError(GeminiError):
    """The context cache a request named is gone (expired or deleted); a new one was created. Retryable."""

    def __init__(self, old_name: str, new_name: str) -> None:
        self.old_name = old_name
        self.new_name = new_name
        super().__init__(f"context cache {old_name} vanished; recreated as {new_name}, retry the request")
