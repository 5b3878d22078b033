"""The exception hierarchy of notebookllm: everything the package raises on purpose derives from
:class:`NotebookLLMError`, so ``except nl.NotebookLLMError`` catches exactly our errors.

Errors about bad input also derive from :class:`ValueError`, timeouts from :class:`TimeoutError`, so code written
against the builtin types keeps working.
"""

from __future__ import annotations

__all__ = [
    "BudgetExceededError",
    "ConfigurationError",
    "FrameworkTimeoutError",
    "InvalidWorkItemError",
    "ItemCancelledError",
    "LLMProviderError",
    "NotebookLLMError",
]


class NotebookLLMError(Exception):
    """Base class of every error notebookllm raises on purpose."""


class ConfigurationError(NotebookLLMError, ValueError):
    """A configuration value is invalid; raised before any request is sent."""


class InvalidWorkItemError(NotebookLLMError, ValueError):
    """A work item cannot be processed (duplicate id, prompt not a string, not a strategy, ...).

    Raised by ``add_work`` / ``run`` before any request is sent; the message names the item or row.
    """


class FrameworkTimeoutError(NotebookLLMError, TimeoutError):
    """An attempt ran past ``timeout_per_item``; the framework cancelled it. Retryable."""

    def __init__(self, item_id: str, attempt: int, timeout: float) -> None:
        super().__init__(f"attempt {attempt} of item {item_id!r} timed out after {timeout:g}s")
        self.item_id = item_id
        self.attempt = attempt
        self.timeout = timeout


class ItemCancelledError(NotebookLLMError):
    """The run was cancelled or interrupted before this item finished; it can be run again."""


class LLMProviderError(NotebookLLMError):
    """A provider could not do what was asked: a batch job or some of its requests failed, a cancellation was
    refused (the seed guide's ``LLMProviderError``; provider-specific errors derive from it)."""


class BudgetExceededError(NotebookLLMError):
    """An item was not sent: its estimated cost would have taken the run past its ``max_cost`` / ``max_tokens``.

    Nothing was requested for it; a rerun with a higher cap sends it (the store answers the rows already done).
    """
