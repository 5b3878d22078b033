"""The seed guide's code (seeds/000: batch-llm v0.3 migration guide), unchanged but for the import line.

The guide leaves a few names to the reader (``Output``, ``BookMetadata``, ``logger``, ``tokens``, the model
calls ``_call_llm`` / ``_partial_recovery``, ``create_expensive_connection``); they are defined here as a scripted
stand-in for the model. The guide's classes below are copied as they are.
"""

from __future__ import annotations

import logging
from typing import Any

from core_virtual_clock import run_virtual
from pydantic import BaseModel

from notebookllm import LLMCallStrategy, LLMWorkItem, ParallelBatchProcessor, ProcessorConfig, RetryConfig, RetryState
from notebookllm.mixins import PrepareOnceMixin

# --- what the guide assumes exists ---------------------------------------------------------------------------

logger = logging.getLogger("seed_guide")
tokens = {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150}


class BookMetadata(BaseModel):
    title: str
    year: int


Output = BookMetadata


class _Connection:
    async def generate(self, prompt: str) -> str:
        return f"generated: {prompt}"


async def create_expensive_connection() -> _Connection:
    _Counters.connections += 1
    return _Connection()


async def initialize_cache() -> dict[str, Any]:
    return {}


class _Counters:
    connections = 0


# --- the guide's code ------------------------------------------------------------------------------------------


class MultiStageStrategy(LLMCallStrategy[Output]):
    async def execute(
        self,
        prompt: str,
        attempt: int,
        timeout: float,
        state: RetryState | None = None,  # NEW: Optional state parameter
    ):
        # Access state across retries
        if state:
            stage = state.get("stage", 1)
            total_attempts = state.get("total_attempts", 0)

            # Store state for next retry
            state.set("total_attempts", total_attempts + 1)

        # ... rest of execute logic ...
        return BookMetadata(title=prompt, year=2000), tokens


class SmartRetryStrategy(LLMCallStrategy[BookMetadata]):
    """Multi-stage retry with partial recovery for 81% cost savings."""

    STAGES = {
        1: {"type": "full", "temperature": 0.0},
        2: {"type": "partial", "temperature": 0.0},  # 81% cheaper
        3: {"type": "full", "temperature": 0.25},
        4: {"type": "partial", "temperature": 0.25},  # 81% cheaper
    }

    async def execute(
        self,
        prompt: str,
        attempt: int,
        timeout: float,
        state: RetryState | None = None,
    ):
        # Initialize state on first attempt
        if state is None:
            state = RetryState()

        if attempt == 1:
            state.set("stage", 1)
            state.set("total_prompts", 0)

        stage = state.get("stage", 1)
        total_prompts = state.get("total_prompts", 0)

        # Enforce total prompt limit (prevent runaway costs)
        if total_prompts >= 5:
            raise ValueError(f"Exceeded max prompts: {total_prompts}/5")

        stage_config = self.STAGES.get(stage, self.STAGES[4])

        try:
            if stage_config["type"] == "full":
                # Full prompt with all instructions
                result = await self._call_llm(prompt, stage_config["temperature"])
            else:
                # Partial recovery - only fix failed fields (81% cheaper)
                last_error = state.get("last_validation_error")
                partial_data = state.get("partial_data")
                result = await self._partial_recovery(last_error, partial_data, stage_config["temperature"])

            state.set("total_prompts", total_prompts + 1)
            return result, tokens

        except ValidationError as e:
            # Validation failed - advance to next stage
            state.set("stage", min(stage + 1, 4))
            state.set("last_validation_error", str(e))
            state.set("partial_data", e.partial_data if hasattr(e, "partial_data") else None)
            state.set("total_prompts", total_prompts + 1)
            raise  # Framework will retry with new stage

        except (ConnectionError, TimeoutError) as e:
            # Network error - retry same stage (don't advance)
            state.set("total_prompts", total_prompts + 1)
            raise  # Framework will retry same stage

    async def on_error(
        self,
        exception: Exception,
        attempt: int,
        state: RetryState | None = None,
    ):
        """Log state for debugging."""
        if state:
            logger.info(f"Retry {attempt}: Stage {state.get('stage')}, Total prompts: {state.get('total_prompts')}")


class MyCustomStrategy(PrepareOnceMixin, LLMCallStrategy[Output]):
    async def _prepare_once(self) -> None:
        """Expensive initialization - called exactly once."""
        self.connection = await create_expensive_connection()
        self.cache = await initialize_cache()
        logger.info("Strategy prepared once")

    async def execute(self, prompt: str, attempt: int, timeout: float):
        # Use self.connection and self.cache
        response = await self.connection.generate(prompt)
        return response, tokens


# --- the scripted model behind SmartRetryStrategy -------------------------------------------------------------

from pydantic import ValidationError  # noqa: E402  (the guide imports it next to its strategy)


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
    # Tokens of every attempt are counted, failed ones included only when billed — here the model returns them.
    assert recovers.input_tokens == 120
    assert "Retry 1: Stage 2, Total prompts: 1" in caplog.text


def test_basic_multi_stage_strategy_and_prepare_once_mixin():
    _Counters.connections = 0
    custom = MyCustomStrategy()
    batch = run_virtual(_run(custom, [f"q{i}" for i in range(10)]))
    assert batch.succeeded == 10 and _Counters.connections == 1
    assert batch.results[0].output == "generated: q0" and batch.total_input_tokens == 1200
    assert run_virtual(_run(MultiStageStrategy(), ["Dune"])).results[0].output.title == "Dune"
