"""The seed guide's code (tests/seed_guide.py, verbatim but for the import line) on a scripted model.

The scripted model bills its tokens through ``current_attempt()``, as a Gemini strategy does, because the guide's
strategies return ``tokens`` that the guide never defines.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import seed_guide
from seed_guide import BookMetadata, MultiStageStrategy, MyCustomStrategy, SmartRetryStrategy

from notebookllm import (
    LLMCallStrategy,
    LLMWorkItem,
    ParallelBatchProcessor,
    ProcessorConfig,
    RetryConfig,
    RetryState,
    current_attempt,
)
from notebookllm.core.virtual_clock import run_virtual

BILLED = {"input_tokens": 120, "output_tokens": 30}


def _bill() -> None:
    ctx = current_attempt()
    assert ctx is not None, "the processor runs every attempt inside an AttemptContext"
    ctx.bill(BILLED)


class ScriptedSmartRetry(SmartRetryStrategy):
    """``replies[prompt]``: one entry per model call — a dict to validate, or an exception to raise."""

    def __init__(self, replies: dict[str, list[Any]]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, str, float]] = []

    def _reply(self, prompt: str, kind: str, temperature: float) -> BookMetadata:
        self.calls.append((prompt, kind, temperature))
        reply = self.replies[prompt].pop(0)
        if isinstance(reply, Exception):
            raise reply
        _bill()
        return BookMetadata.model_validate(reply)

    async def _call_llm(self, prompt: str, temperature: float) -> BookMetadata:
        return self._reply(prompt, "full", temperature)

    async def _partial_recovery(self, last_error: str, partial_data: Any, temperature: float) -> BookMetadata:
        return self._reply(self._current, "partial", temperature)

    async def execute(self, prompt, attempt, timeout, state=None):
        self._current = prompt
        return await super().execute(prompt, attempt, timeout, state)


async def _run(strategy: LLMCallStrategy[Any], prompts: list[str], max_attempts: int = 6):
    processor = ParallelBatchProcessor(
        config=ProcessorConfig(max_workers=1, retry=RetryConfig(max_attempts=max_attempts, jitter=False))
    )
    for prompt in prompts:
        await processor.add_work(LLMWorkItem(item_id=prompt, strategy=strategy, prompt=prompt))
    return await processor.process_all()


def test_retry_state_api_as_in_the_guide():
    state = RetryState()
    state.set("key", "value")
    value = state.get("key", default=None)
    assert value == "value" and state.get("missing", default=None) is None
    state_dict = state.to_dict()
    state.clear()
    assert state.get("key") is None
    state = RetryState.from_dict(state_dict)
    assert state.get("key") == "value"


def test_multi_stage_strategy_with_partial_recovery(caplog):
    caplog.set_level(logging.INFO, logger="seed_guide")
    bad = {"title": "Dune"}  # missing year: ValidationError
    good = {"title": "Dune", "year": 1965}
    strategy = ScriptedSmartRetry(
        {
            "recovers": [bad, good],  # full fails → stage 2 partial succeeds
            "network": [ConnectionError("reset"), good],  # network error → same stage again
            "hopeless": [bad] * 5,  # stages 1..4, then the prompt limit stops it
        }
    )
    batch = run_virtual(_run(strategy, ["recovers", "network", "hopeless"]))
    recovers, network, hopeless = batch.results

    assert recovers.success and recovers.output == BookMetadata(title="Dune", year=1965) and recovers.attempts == 2
    assert [c[1:] for c in strategy.calls if c[0] == "recovers"] == [("full", 0.0), ("partial", 0.0)]
    assert network.success and [c[1] for c in strategy.calls if c[0] == "network"] == ["full", "full"]
    assert not hopeless.success and str(hopeless.error) == "Exceeded max prompts: 5/5" and hopeless.attempts == 6
    assert [c[1:] for c in strategy.calls if c[0] == "hopeless"] == [
        ("full", 0.0),
        ("partial", 0.0),
        ("full", 0.25),
        ("partial", 0.25),
        ("partial", 0.25),
    ]
    # every billed attempt counts, the failed ones too: recovers billed twice (the first reply failed validation),
    # network once (the connection error billed nothing), hopeless five times
    assert (recovers.input_tokens, network.input_tokens, hopeless.input_tokens) == (240, 120, 600)
    assert "Retry 1: Stage 2, Total prompts: 1" in caplog.text


def test_basic_multi_stage_strategy_and_prepare_once_mixin(monkeypatch: pytest.MonkeyPatch):
    async def generate(prompt: str) -> str:
        _bill()
        return f"generated: {prompt}"

    monkeypatch.setattr(seed_guide, "reader", seed_guide.Reader(generate=generate))
    batch = run_virtual(_run(MyCustomStrategy(), [f"q{i}" for i in range(10)]))
    assert batch.succeeded == 10 and seed_guide.reader.connections == 1 and len(seed_guide.reader.caches) == 1
    assert batch.results[0].output == "generated: q0" and batch.total_input_tokens == 1200
    assert run_virtual(_run(MultiStageStrategy(), ["Dune"])).results[0].output.title == "Dune"
