"""Scripted strategies and small helpers shared by the core tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from notebookllm import (
    BatchResult,
    ErrorClassifier,
    ErrorInfo,
    LLMCallStrategy,
    LLMWorkItem,
    ParallelBatchProcessor,
    ProcessorConfig,
    RetryState,
)
from notebookllm.core.virtual_clock import run_virtual


class RateLimited(Exception):
    """What a provider's 429 looks like to the core: classified by :class:`ScriptClassifier`."""

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__(f"429 retry_after={retry_after}")
        self.retry_after = retry_after


class QuotaExhausted(Exception):
    """A daily quota is spent."""


class Unavailable(Exception):
    """What a provider's 503 (overloaded) looks like to the core."""


class ScriptClassifier(ErrorClassifier):
    """Knows the three exceptions above; everything else goes to the default rules."""

    def classify(self, exc: BaseException) -> ErrorInfo:
        if isinstance(exc, RateLimited):
            # retryable=False on purpose: lesson 1 — a rate limit must be waited out whatever the flag says.
            return ErrorInfo(retryable=False, is_rate_limit=True, retry_after=exc.retry_after, category="rate_limit")
        if isinstance(exc, Unavailable):
            return ErrorInfo(retryable=True, is_unavailable=True, category="server")
        if isinstance(exc, QuotaExhausted):
            return ErrorInfo(retryable=False, is_rate_limit=True, is_quota_exhausted=True, category="quota_exhausted")
        from notebookllm import DefaultErrorClassifier

        return DefaultErrorClassifier().classify(exc)


Step = Callable[[str, int, RetryState | None], Any]


class Scripted(LLMCallStrategy[str]):
    """``script[prompt]`` is a list of steps, one per attempt: an exception instance to raise, ``"hang"`` to
    wait forever, or anything else to return as output. Past the list's end the prompt is echoed upper-cased.
    Every call is logged as ``(loop.time(), prompt, attempt)``; each takes ``delay`` seconds (virtual time).
    """

    def __init__(
        self, script: dict[str, list[Any]] | None = None, usage: dict[str, int] | None = None, delay: float = 0
    ) -> None:
        self.script = script or {}
        self.delay = delay
        self.usage = usage if usage is not None else {"input_tokens": 10, "output_tokens": 2}
        self.calls: list[tuple[float, str, int]] = []
        self.seen: dict[str, int] = {}
        self.prepared = 0
        self.cleaned = 0

    async def prepare(self) -> None:
        self.prepared += 1

    async def cleanup(self) -> None:
        self.cleaned += 1

    async def execute(self, prompt: str, attempt: int, timeout: float, state: RetryState | None = None):
        self.calls.append((asyncio.get_running_loop().time(), prompt, attempt))
        n = self.seen[prompt] = self.seen.get(prompt, 0) + 1
        steps = self.script.get(prompt, [])
        step = steps[n - 1] if n <= len(steps) else prompt.upper()
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(step, BaseException):
            raise step
        if step == "hang":
            await asyncio.Event().wait()
        return step, self.usage


def items(strategy: LLMCallStrategy[Any], prompts: Iterable[str]) -> list[LLMWorkItem[Any, Any]]:
    return [LLMWorkItem(p, strategy, p) for p in prompts]


async def run_items(work: Iterable[LLMWorkItem[Any, Any]], config: ProcessorConfig | None = None, **kw: Any):
    processor = ParallelBatchProcessor(config or ProcessorConfig(), **kw)
    for item in work:
        await processor.add_work(item)
    return await processor.process_all()


def run(work: Iterable[LLMWorkItem[Any, Any]], config: ProcessorConfig | None = None, **kw: Any) -> BatchResult:
    """Process ``work`` on a virtual clock and return the BatchResult."""
    return run_virtual(run_items(work, config, **kw))
