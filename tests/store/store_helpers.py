"""Helpers of the store tests: a strategy whose fingerprint reflects its settings, a fake clock, and a run
driven by the core processor the way the notebook layer drives it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from notebookllm.core.config import ProcessorConfig, RetryConfig
from notebookllm.core.processor import ParallelBatchProcessor
from notebookllm.core.results import WorkItemResult
from notebookllm.core.strategy import LLMCallStrategy
from notebookllm.core.work_item import LLMWorkItem
from notebookllm.store import Store
from notebookllm.store.session import RunSession


class KeyedStrategy(LLMCallStrategy[Any]):
    """Answers ``"<model>:<prompt>"``; its request fingerprint holds what a Gemini request holds.

    ``fail`` (prompts that raise) and ``block`` (prompts answered as safety-blocked) script bad replies; ``calls``
    records every prompt sent.
    """

    def __init__(
        self,
        model: str = "m1",
        *,
        temperature: float = 0.0,
        schema: dict[str, Any] | None = None,
        system_prompt: str | None = None,
        cache_tags: dict[str, str] | None = None,
        fail: Sequence[str] = (),
        block: Sequence[str] = (),
        output: Any = None,
    ) -> None:
        self.model, self.temperature, self.schema = model, temperature, schema
        self.system_prompt, self.cache_tags = system_prompt, cache_tags
        self.fail, self.block, self.output = set(fail), set(block), output
        self.calls: list[str] = []

    async def execute(self, prompt: str, attempt: int, timeout: float, state: Any = None) -> tuple[Any, Any]:
        from notebookllm.core.attempt import current_attempt

        self.calls.append(prompt)
        ctx = current_attempt()
        if ctx is not None:
            ctx.annotate(model=self.model, cost_usd=0.001, blocked=prompt in self.block, finish_reason="STOP")
        if prompt in self.fail:
            raise ValueError(f"bad reply to {prompt}")
        output = self.output if self.output is not None else f"{self.model}:{prompt}"
        return output, {"input_tokens": 10, "output_tokens": 4}

    def request_fingerprint(self, prompt: str) -> dict[str, Any]:
        return {
            "namespace": "tests.store/1",
            "model": self.model,
            "temperature": self.temperature,
            "schema": self.schema,
            "system": self.system_prompt,
            "cache_tags": self.cache_tags,
            "prompt": prompt,
        }


class UncacheableStrategy(KeyedStrategy):
    """The same, without a request fingerprint: only run checkpoints can resume it."""

    def request_fingerprint(self, prompt: str) -> None:  # type: ignore[override]
        return None


@dataclass
class FakeClock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    session: RunSession
    results: dict[str, WorkItemResult[Any, Any]] = field(default_factory=dict)

    @property
    def requested(self) -> list[str]:
        return [r.item_id for r in self.results.values() if not r.from_cache]


def items_for(strategy: LLMCallStrategy[Any], prompts: Sequence[str]) -> list[LLMWorkItem[Any, Any]]:
    return [LLMWorkItem(f"row-{i}", strategy, p, context={"row": i}) for i, p in enumerate(prompts)]


async def run_items(store: Store, items: list[LLMWorkItem[Any, Any]], **begin: Any) -> Outcome:
    """What ``nl.arun`` does with the store: answer from it, process the rest, record each result as it finishes."""
    session = store.begin_run(items, **begin)
    outcome = Outcome(session, dict(session.finished))
    config = ProcessorConfig(max_workers=4, retry=RetryConfig(max_attempts=1))
    async with session:
        processor = ParallelBatchProcessor(config, post_processor=session.record)
        await processor.add_many(session.pending)
        batch = await processor.process_all()
    outcome.results.update({r.item_id: r for r in batch.results})
    return outcome
