"""What a run produces: one :class:`WorkItemResult` per submitted item and a :class:`BatchResult` over them.

Results are slotted dataclasses so that a run can keep hundreds of thousands of them.

Example:
    >>> batch = await processor.process_all()  # doctest: +SKIP
    >>> batch.succeeded, batch.failed, batch.total_input_tokens, batch.cache_hit_rate()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .classification import ErrorInfo
from .tokens import ZERO_USAGE, TokenUsage

__all__ = ["BatchResult", "WorkItemResult"]

TOutput = TypeVar("TOutput")
TContext = TypeVar("TContext")


@dataclass(slots=True)
class WorkItemResult(Generic[TOutput, TContext]):
    """The outcome of one work item.

    Attributes:
        item_id: the work item's id.
        success: whether an attempt returned an output.
        output: that output (``None`` on failure).
        error: the exception that ended the item (``None`` on success).
        error_info: how ``error`` was classified.
        attempts: the attempts that counted towards ``max_attempts`` (never more than it).
        rate_limit_waits: the attempts a rate limit (429) turned away, each followed by the shared cooldown; they
            are billed nothing and do not count towards ``max_attempts``.
        unavailable_waits: the attempts a 503 (the service overloaded or down) turned away, each followed by a
            backoff; billed nothing, not counted towards ``max_attempts``.
        token_usage: tokens of all attempts, failed ones included.
        metadata: the last attempt's annotations (``finish_reason``, ``safety_ratings``, ...), except
            ``cost_usd``, which adds up every attempt's; a shared read-only empty mapping when it made none.
        latency_s: seconds from the item's start to its end, on the event loop's clock.
        started_at / finished_at: wall clock, epoch seconds.
        context: the work item's context.
        from_cache: the output came from the response cache, nothing was sent.
    """

    item_id: str
    success: bool
    output: TOutput | None = None
    error: BaseException | None = None
    error_info: ErrorInfo | None = None
    attempts: int = 0
    token_usage: TokenUsage = ZERO_USAGE
    metadata: Mapping[str, Any] = field(default_factory=dict)
    latency_s: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0
    context: TContext | None = None
    from_cache: bool = False
    rate_limit_waits: int = 0
    unavailable_waits: int = 0

    @property
    def input_tokens(self) -> int:
        return self.token_usage.input_tokens

    @property
    def output_tokens(self) -> int:
        return self.token_usage.output_tokens

    @property
    def cached_input_tokens(self) -> int:
        return self.token_usage.cached_input_tokens

    @property
    def thoughts_tokens(self) -> int:
        return self.token_usage.thoughts_tokens

    @property
    def error_type(self) -> str | None:
        """The class name of :attr:`error`, or ``None``."""
        return None if self.error is None else type(self.error).__name__

    @property
    def error_message(self) -> str | None:
        """``str(error)``, or ``None``."""
        return None if self.error is None else str(self.error)


@dataclass(slots=True)
class BatchResult(Generic[TOutput, TContext]):
    """All results of a run, in submission order, with totals.

    ``interrupted`` is true when the run was cancelled or interrupted; unfinished items then carry an
    :class:`~notebookllm.core.errors.ItemCancelledError`.
    """

    results: list[WorkItemResult[TOutput, TContext]]
    interrupted: bool = False

    @property
    def total_items(self) -> int:
        return len(self.results)

    @property
    def succeeded(self) -> int:
        return sum(1 for r in self.results if r.success)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.success)

    @property
    def total_input_tokens(self) -> int:
        return sum(r.token_usage.input_tokens for r in self.results)

    @property
    def total_output_tokens(self) -> int:
        return sum(r.token_usage.output_tokens for r in self.results)

    @property
    def total_cached_tokens(self) -> int:
        return sum(r.token_usage.cached_input_tokens for r in self.results)

    @property
    def total_thoughts_tokens(self) -> int:
        return sum(r.token_usage.thoughts_tokens for r in self.results)

    def cache_hit_rate(self) -> float:
        """Share of input tokens served from a context cache (0.0 when there were none)."""
        total = self.total_input_tokens
        return self.total_cached_tokens / total if total else 0.0
