"""An error whose ErrorInfo.scope is "run" stops the run: nothing more is sent, the rest fail with it, finished
results are kept."""

from __future__ import annotations

import asyncio

from notebookllm import (
    ErrorClassifier,
    ErrorInfo,
    LLMCallStrategy,
    LLMWorkItem,
    ParallelBatchProcessor,
    ProcessorConfig,
    RetryConfig,
)


class KeyRevoked(Exception):
    pass


class AccountClassifier(ErrorClassifier):
    def classify(self, exc: BaseException) -> ErrorInfo:
        if isinstance(exc, KeyRevoked):
            return ErrorInfo(retryable=True, category="auth", scope="run")  # retryable, yet never retried
        return ErrorInfo(retryable=True, category="unknown")


class Service(LLMCallStrategy[str]):
    """Answers until the key is revoked at the prompt "revoke"; counts every call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def execute(self, prompt: str, attempt: int, timeout: float):
        self.calls.append(prompt)
        await asyncio.sleep(0)
        if prompt == "revoke":
            raise KeyRevoked("API key revoked: create a new key")
        return prompt.upper(), {"input_tokens": 1}


async def _run(strategy: Service, prompts: list[str], workers: int):
    config = ProcessorConfig(max_workers=workers, retry=RetryConfig(max_attempts=3, initial_wait=0.001, max_wait=0.001))
    async with ParallelBatchProcessor(config=config, error_classifier=AccountClassifier()) as processor:
        for i, prompt in enumerate(prompts):
            await processor.add_work(LLMWorkItem(f"row-{i}", strategy, prompt))
        return await asyncio.wait_for(processor.process_all(), 10)


async def test_a_run_scoped_error_stops_the_run_and_keeps_what_finished():
    strategy = Service()
    batch = await _run(strategy, ["a", "b", "revoke", "c", "d", "e"], workers=1)
    assert strategy.calls == ["a", "b", "revoke"]  # nothing sent after it, and it was not retried
    assert [r.success for r in batch.results] == [True, True, False, False, False, False]
    assert [r.output for r in batch.results[:2]] == ["A", "B"]
    stopper = batch.results[2]
    assert stopper.attempts == 1 and stopper.error_info.scope == "run"
    for r in batch.results[3:]:
        assert r.error is stopper.error and r.error_info.category == "auth" and r.attempts == 0


async def test_with_many_workers_every_item_still_ends_with_one_result():
    strategy = Service()
    prompts = ["revoke"] + [f"p{i}" for i in range(40)]
    batch = await _run(strategy, prompts, workers=8)
    assert len(batch.results) == 41 and batch.results[0].error_info.scope == "run"
    # items already in flight when the error arrived finish normally; the rest are never sent
    sent = set(strategy.calls)
    assert len(sent) <= 8
    for r, prompt in zip(batch.results, prompts, strict=True):
        assert r.success == (prompt in sent and prompt != "revoke")
