"""Shared by the Gemini tests: running items through the real processor."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from notebookllm import LLMCallStrategy, LLMWorkItem, ParallelBatchProcessor, ProcessorConfig, RetryConfig
from notebookllm.core.results import BatchResult

FAST_RETRY = RetryConfig(max_attempts=3, initial_wait=0.01, max_wait=0.02)


async def run_items(
    strategy: LLMCallStrategy[Any],
    prompts: Iterable[str],
    *,
    config: ProcessorConfig | None = None,
    **processor_kwargs: Any,
) -> BatchResult[Any, Any]:
    """Run one item per prompt (ids ``item-0``, ``item-1``, ...) and return the batch result."""
    config = config or ProcessorConfig(max_workers=8, timeout_per_item=10, retry=FAST_RETRY)
    async with ParallelBatchProcessor(config=config, **processor_kwargs) as processor:
        for i, prompt in enumerate(prompts):
            await processor.add_work(LLMWorkItem(f"item-{i}", strategy, prompt))
        return await processor.process_all()
