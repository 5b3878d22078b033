"""What the processor knows about the attempt that is running now, reachable from inside a strategy.

The processor enters an :class:`AttemptContext` around every ``execute`` call. A strategy that learns something
the processor cannot see from the return value reports it here:

* :meth:`AttemptContext.bill` — tokens the provider billed even though the attempt goes on to raise (a reply that
  fails to parse still costs money; those tokens are counted in the item's totals).
* :meth:`AttemptContext.annotate` — response metadata for the result row (finish reason, safety ratings, ...),
  kept whether the attempt succeeds or not.

Strategies used outside a processor see ``current_attempt() is None`` and need not report anything.

Example:
    >>> ctx = current_attempt()
    >>> if ctx is not None:
    ...     ctx.bill({"input_tokens": 12, "output_tokens": 3})
    ...     ctx.annotate(finish_reason="STOP")
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from .tokens import TokenUsage, TokenUsageLike

__all__ = ["AttemptContext", "current_attempt"]


@dataclass(slots=True)
class AttemptContext:
    """One attempt of one work item."""

    item_id: str
    attempt: int
    billed: TokenUsage | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def bill(self, usage: TokenUsageLike) -> None:
        """Record tokens the provider billed for this attempt (replaces an earlier report)."""
        self.billed = TokenUsage.coerce(usage)

    def annotate(self, **metadata: Any) -> None:
        """Attach response metadata (finish_reason, safety_ratings, blocked, ...) to the item's result."""
        self.metadata.update(metadata)


_current: contextvars.ContextVar[AttemptContext | None] = contextvars.ContextVar("notebookllm_attempt", default=None)


def current_attempt() -> AttemptContext | None:
    """The attempt running in this task, or ``None`` outside a processor."""
    return _current.get()


def _enter(ctx: AttemptContext) -> contextvars.Token[AttemptContext | None]:
    return _current.set(ctx)


def _exit(token: contextvars.Token[AttemptContext | None]) -> None:
    _current.reset(token)
