"""The seed guide's strategies (seeds/000_77c40e894db76c0e.txt), verbatim but for the import line.

One copy, shared by the core tests (a scripted model) and the Gemini tests (the emulator). The guide leaves some
names to the reader; they are defined here with a seam for each test's model:

* ``SmartRetryStrategy`` calls ``self._call_llm`` / ``self._partial_recovery``: a test subclass supplies them.
* ``MyCustomStrategy`` builds its connection with ``create_expensive_connection()`` and its cache with
  ``initialize_cache()``: both go through :data:`reader`, which a test points at its model.
* ``tokens`` is ``None``: the guide returns an undefined ``tokens``; ``None`` makes the processor count what the
  model calls billed (``current_attempt().bill``), as a Gemini strategy reports it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from notebookllm import LLMCallStrategy, RetryState
from notebookllm.mixins import PrepareOnceMixin

# --- what the guide leaves to the reader ------------------------------------------------------------------------

logger = logging.getLogger("seed_guide")
tokens = None


class BookMetadata(BaseModel):
    title: str
    year: int


Output = BookMetadata


async def _no_cache() -> Any:
    return {}


@dataclass
class Reader:
    """The reader's side of the guide's ``PrepareOnceMixin`` example: a model to call and a cache to set up."""

    generate: Callable[[str], Awaitable[Any]] | None = None
    initialize_cache: Callable[[], Awaitable[Any]] = _no_cache
    connections: int = 0
    caches: list[Any] = field(default_factory=list)


reader = Reader()


class _Connection:
    async def generate(self, prompt: str) -> Any:
        assert reader.generate is not None, "point seed_guide.reader.generate at the test's model"
        return await reader.generate(prompt)


async def create_expensive_connection() -> _Connection:
    reader.connections += 1
    return _Connection()


async def initialize_cache() -> Any:
    cache = await reader.initialize_cache()
    reader.caches.append(cache)
    return cache


# --- the guide's code -------------------------------------------------------------------------------------------


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
