"""The strategy interface: how one work item's prompt becomes one output.

A strategy is shared by many work items. The processor calls :meth:`LLMCallStrategy.prepare` once per strategy
instance per run (before its first item), :meth:`~LLMCallStrategy.execute` once per attempt,
:meth:`~LLMCallStrategy.on_error` after each failed attempt, and :meth:`~LLMCallStrategy.cleanup` once at the end
of the run, also after failures. In a dry run it calls :meth:`~LLMCallStrategy.dry_run` instead of ``prepare`` and
``execute``, so nothing is billed.

``execute`` and ``on_error`` may leave out the ``state`` parameter (strategies written before retry state existed);
the processor decides once per strategy class whether to pass it.

Example:
    >>> class Echo(LLMCallStrategy[str]):
    ...     async def execute(self, prompt, attempt, timeout, state=None):
    ...         return prompt.upper(), {"input_tokens": len(prompt), "output_tokens": len(prompt)}
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from ..media.prompt import input_tokens
from .classification import ErrorClassifier
from .retry_state import RetryState
from .tokens import TokenUsage, TokenUsageLike

__all__ = ["LLMCallStrategy", "TOutput"]

TOutput = TypeVar("TOutput")


class LLMCallStrategy(ABC, Generic[TOutput]):
    """Base class of every strategy. Subclasses implement :meth:`execute`; the other hooks are optional.

    Class attributes:
        cache_namespace: set it (e.g. ``"my-extractor/v2"``) to let the response cache key this strategy's
            replies on ``(cache_namespace, prompt)``. Strategies that know their full request (the Gemini ones)
            override :meth:`request_fingerprint` instead. ``None`` (the default) means: never cached.
    """

    cache_namespace: ClassVar[str | None] = None

    async def prepare(self) -> None:
        """Set up shared resources (clients, context caches). Called once per instance per run."""

    @abstractmethod
    async def execute(
        self, prompt: str, attempt: int, timeout: float, state: RetryState | None = None
    ) -> tuple[TOutput, TokenUsageLike | None]:
        """Run one attempt; return ``(output, token_usage)``. Raise to fail the attempt.

        ``attempt`` counts from 1 and does not advance on rate-limit waits. ``timeout`` is the per-attempt
        budget in seconds; the framework enforces it too. ``state`` is this item's :class:`RetryState`.
        """

    async def on_error(self, exception: Exception, attempt: int, state: RetryState | None = None) -> None:
        """Called after each failed attempt, before any retry. Exceptions raised here are logged and ignored."""

    async def cleanup(self) -> None:
        """Release shared resources. Called once per instance at the end of the run, also after failures."""

    async def dry_run(self, prompt: str) -> tuple[TOutput, TokenUsageLike | None]:
        """What a dry run returns for ``prompt``: a placeholder output and an input-token estimate (files in a
        :class:`~notebookllm.media.MultimodalPrompt` counted as the API bills them).

        Never sends a request and never calls :meth:`prepare`.
        """
        return f"[dry run] {prompt[:80]}", TokenUsage(input_tokens=max(1, input_tokens(prompt)))  # type: ignore[return-value]

    def default_error_classifier(self) -> ErrorClassifier | None:
        """The classifier for this strategy's errors when the processor was not given one."""
        return None

    def request_fingerprint(self, prompt: str) -> dict[str, Any] | None:
        """A JSON-serialisable description of the exact request ``prompt`` becomes, or ``None`` if uncacheable.

        The response cache hashes it (:func:`fingerprint_digest`) to key one item's reply.
        """
        if self.cache_namespace is None:
            return None
        return {"namespace": self.cache_namespace, "prompt": prompt}

    def request_key(self, prompt: str) -> str | None:
        """The response cache's key of ``prompt``: :func:`fingerprint_digest` of :meth:`request_fingerprint`, or
        ``None`` if uncacheable. A strategy may compute the same digest faster; the store keys on this."""
        fingerprint = self.request_fingerprint(prompt)
        return None if fingerprint is None else fingerprint_digest(fingerprint)


def fingerprint_digest(fingerprint: dict[str, Any]) -> str:
    """A stable SHA-256 hex digest of a request fingerprint (keys sorted, compact JSON)."""
    return hashlib.sha256(canonical_json(fingerprint).encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """``value`` as the JSON text :func:`fingerprint_digest` hashes: keys sorted, compact, anything else as ``str``."""
    return _canonical_encode(value)


# Built once: json.dumps with arguments builds a new encoder on every call, once per item of a keyed run.
_canonical_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


@functools.cache
def _accepts_state(cls: type, method: str) -> bool:
    """Whether ``cls.method`` takes a ``state`` argument; decided once per class, not per call."""
    params = inspect.signature(getattr(cls, method)).parameters
    return "state" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


async def _call_execute(
    strategy: LLMCallStrategy[Any], prompt: str, attempt: int, timeout: float, state: RetryState
) -> tuple[Any, TokenUsageLike | None]:
    if _accepts_state(type(strategy), "execute"):
        return await strategy.execute(prompt, attempt, timeout, state=state)
    return await strategy.execute(prompt, attempt, timeout)


async def _call_on_error(strategy: LLMCallStrategy[Any], exception: Exception, attempt: int, state: RetryState) -> None:
    if _accepts_state(type(strategy), "on_error"):
        await strategy.on_error(exception, attempt, state=state)
    else:
        await strategy.on_error(exception, attempt)
