"""Deciding what an exception means for the item that raised it: retry, pause everyone, or give up.

An :class:`ErrorClassifier` turns an exception into an :class:`ErrorInfo`. The processor uses the classifier it
was given, else the strategy's own (``strategy.default_error_classifier()``; Gemini strategies supply one that
reads ``google.genai.errors``), else :class:`DefaultErrorClassifier`.

Example:
    >>> DefaultErrorClassifier().classify(ConnectionError("reset")).retryable
    True
    >>> DefaultErrorClassifier().classify(TypeError("bug")).category
    'programming'
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from pydantic import ValidationError

from .errors import FrameworkTimeoutError, ItemCancelledError

__all__ = ["DefaultErrorClassifier", "ErrorClassifier", "ErrorInfo"]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What an error means for retrying.

    Attributes:
        retryable: try this item again (within ``max_attempts``; rate limits and 503s have limits of their own).
        is_rate_limit: a per-minute limit was hit: every worker pauses (cooldown) and the wait does not use up
            the item's attempts.
        is_quota_exhausted: a daily or hard quota is spent; never retryable.
        is_unavailable: the service turned the request away as overloaded or down (Gemini's 503 ``UNAVAILABLE``):
            nothing was generated or billed, and the error says nothing about this item. Retried with backoff
            without using up an attempt, up to ``RetryConfig.max_unavailable_waits`` times; nothing but these for
            ``RetryConfig.stop_when_unavailable_for`` seconds stops the run.
        retry_after: seconds the server asked us to wait, when it said so.
        category: a short label for tables and metrics, e.g. ``"rate_limit"``, ``"server"``, ``"timeout"``,
            ``"network"``, ``"validation"``, ``"client"``, ``"blocked"``, ``"quota_exhausted"``,
            ``"programming"``, ``"invalid"``, ``"cancelled"``, ``"unknown"``.
        scope: ``"item"`` (the error concerns this item) or ``"run"`` (it concerns the account, key or model, so
            every other item would fail the same way: the processor stops the run — items not yet sent end
            failed with this error, nothing more is sent, finished items are kept).
    """

    retryable: bool
    is_rate_limit: bool = False
    is_quota_exhausted: bool = False
    is_unavailable: bool = False
    retry_after: float | None = None
    category: str = "unknown"
    scope: str = "item"


class ErrorClassifier:
    """Base class: override :meth:`classify`. Subclasses usually fall back to ``super().classify(exc)``."""

    def classify(self, exc: BaseException) -> ErrorInfo:
        raise NotImplementedError


_PROGRAMMING_ERRORS = (
    TypeError,
    AttributeError,
    NameError,
    KeyError,
    IndexError,
    AssertionError,
    NotImplementedError,
    ZeroDivisionError,
    ImportError,
)


class DefaultErrorClassifier(ErrorClassifier):
    """Provider-neutral rules.

    * pydantic ``ValidationError`` and ``json.JSONDecodeError``: retryable (``"validation"``) — the model may answer
      better next time.
    * ``FrameworkTimeoutError`` / ``TimeoutError``: retryable (``"timeout"``); ``ConnectionError`` and ``OSError``:
      retryable (``"network"``).
    * Programming errors (``TypeError``, ``AttributeError``, ``KeyError``, ...): not retryable (``"programming"``)
      — retrying a bug only costs money. Other ``ValueError``\\ s: not retryable (``"invalid"``); a strategy raises
      them to give up on an item.
    * Anything else: retryable (``"unknown"``), bounded by ``max_attempts``.
    """

    def classify(self, exc: BaseException) -> ErrorInfo:
        if isinstance(exc, (ValidationError, json.JSONDecodeError)):
            return ErrorInfo(retryable=True, category="validation")
        if isinstance(exc, (ItemCancelledError, asyncio.CancelledError)):
            return ErrorInfo(retryable=False, category="cancelled")
        if isinstance(exc, (FrameworkTimeoutError, TimeoutError, asyncio.TimeoutError)):
            return ErrorInfo(retryable=True, category="timeout")
        if isinstance(exc, (ConnectionError, OSError)):
            return ErrorInfo(retryable=True, category="network")
        if isinstance(exc, _PROGRAMMING_ERRORS):
            return ErrorInfo(retryable=False, category="programming")
        if isinstance(exc, ValueError):
            return ErrorInfo(retryable=False, category="invalid")
        return ErrorInfo(retryable=True, category="unknown")
