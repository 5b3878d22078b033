"""Strategies for the notebook-layer tests (engine-only: no SDK, no network)."""

from __future__ import annotations

import asyncio
from typing import Any

from notebookllm import ErrorClassifier, ErrorInfo, LLMCallStrategy
from notebookllm.core.classification import DefaultErrorClassifier


class RateLimited(Exception):
    """What a provider's 429 looks like to the scripted strategy."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"429 rate limited, retry in {retry_after}s")
        self.retry_after = retry_after


class _Classifier(ErrorClassifier):
    def classify(self, exc: BaseException) -> ErrorInfo:
        if isinstance(exc, RateLimited):
            return ErrorInfo(retryable=True, is_rate_limit=True, retry_after=exc.retry_after, category="rate_limit")
        return DefaultErrorClassifier().classify(exc)


class Scripted(LLMCallStrategy[str]):
    """Upper-cases the prompt, unless the prompt says otherwise:

    * ``fail``: ValueError (not retried); ``flaky``: ConnectionError on the first attempt (retried);
    * ``limit``: a rate-limit error on the first attempt (a cooldown of ``retry_after`` seconds);
    * ``hang``: waits until cancelled (records the cancellation in ``cancelled``); once ``hang_target`` items
      hang, ``all_hanging`` is set.
    """

    def __init__(self, retry_after: float = 0.01, hang_target: int = 0) -> None:
        self.calls: list[tuple[str, int]] = []
        self.cancelled: list[str] = []
        self.retry_after = retry_after
        self.hang_target = hang_target
        self.hanging = 0
        self.all_hanging = asyncio.Event()

    async def execute(self, prompt: str, attempt: int, timeout: float, state: Any = None) -> tuple[str, dict[str, int]]:
        self.calls.append((prompt, attempt))
        if "fail" in prompt:
            raise ValueError(f"cannot answer {prompt!r}")
        if "flaky" in prompt and attempt == 1:
            raise ConnectionError("connection reset")
        if "limit" in prompt and sum(1 for p, _ in self.calls if p == prompt) == 1:
            raise RateLimited(self.retry_after)
        if "hang" in prompt:
            self.hanging += 1
            if self.hanging == self.hang_target:
                self.all_hanging.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled.append(prompt)
                raise
        return prompt.upper(), {"input_tokens": len(prompt), "output_tokens": 2, "cached_input_tokens": 1}

    def default_error_classifier(self) -> ErrorClassifier:
        return _Classifier()
