"""One unit of work: a prompt, the strategy that turns it into an output, and caller context.

Example:
    >>> item = LLMWorkItem("row-1", strategy, "Classify: great product", context={"row": 1})  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import InvalidWorkItemError
from .strategy import LLMCallStrategy

__all__ = ["LLMWorkItem", "TContext", "TInput"]

TInput = TypeVar("TInput")
TContext = TypeVar("TContext")


@dataclass(slots=True)
class LLMWorkItem(Generic[TInput, TContext]):
    """A prompt for ``strategy`` identified by ``item_id`` (unique within a run).

    ``context`` is carried to the item's :class:`~notebookllm.core.results.WorkItemResult` untouched.
    Construction checks the types, so a bad item fails before any work starts.
    """

    item_id: str
    strategy: LLMCallStrategy[Any]
    prompt: str
    context: TContext | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.item_id, str) or not self.item_id:
            raise InvalidWorkItemError(f"item_id must be a non-empty string, got {self.item_id!r}")
        if not isinstance(self.strategy, LLMCallStrategy):
            raise InvalidWorkItemError(
                f"item {self.item_id!r}: strategy must be an LLMCallStrategy, got {type(self.strategy).__name__}"
            )
        if not isinstance(self.prompt, str):
            raise InvalidWorkItemError(f"item {self.item_id!r}: prompt must be a str, got {type(self.prompt).__name__}")
        if not self.prompt:
            raise InvalidWorkItemError(f"item {self.item_id!r}: prompt is empty")
