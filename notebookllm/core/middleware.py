"""Middleware: hooks that may change what a run does, around each item.

``before_process`` may return a replacement work item (same ``item_id``), ``after_process`` a replacement result;
returning ``None`` keeps the original. ``on_error`` sees every failed attempt. Middlewares run in the order given
(``after_process`` in reverse). A middleware that raises is logged and skipped; the item still ends with exactly
one result.

Example:
    >>> class Uppercase(BaseMiddleware):
    ...     async def before_process(self, item):
    ...         return LLMWorkItem(item.item_id, item.strategy, item.prompt.upper(), item.context)
"""

from __future__ import annotations

from typing import Any

from .results import WorkItemResult
from .work_item import LLMWorkItem

__all__ = ["BaseMiddleware"]


class BaseMiddleware:
    """Override any of the three hooks; the defaults do nothing."""

    async def before_process(self, item: LLMWorkItem[Any, Any]) -> LLMWorkItem[Any, Any] | None:
        """Before the item's first attempt."""
        return None

    async def after_process(self, result: WorkItemResult[Any, Any]) -> WorkItemResult[Any, Any] | None:
        """After the item's last attempt, before the post-processor and observers see the result."""
        return None

    async def on_error(self, item: LLMWorkItem[Any, Any], error: BaseException) -> None:
        """After each failed attempt."""
