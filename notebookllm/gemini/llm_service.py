"""``LLMService``: the seed guide's facade over LLM providers, batch jobs named by ``(provider_name, job_name)``.

Example (the seed guide's flow, with only the imports changed):
    >>> from notebookllm import GeminiLLM, LLMProviderError, LLMService
    >>> service = LLMService([GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True)])  # doctest: +SKIP
    >>> provider_name, job_name = service.create_batch_job(batch_payload, filter_json=True)       # doctest: +SKIP
    >>> service.get_batch_job_status(provider_name, job_name).done                               # doctest: +SKIP
    True
    >>> service.fetch_batch_results(provider_name, job_name)                                     # doctest: +SKIP
    [{'category': 'Geography'}, {'category': 'French'}, {'category': 'Mathematics'}]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.errors import ConfigurationError
from .batch_requests import BatchPayload

__all__ = ["LLMService"]

_BATCH_METHODS = ("create_batch_job", "get_batch_job", "fetch_batch_results", "cancel_batch_job")


class LLMService:
    """Batch jobs across providers (e.g. :class:`~notebookllm.GeminiLLM`), each known by its ``name`` attribute
    (``"gemini"``), or its class name in lower case; a repeated name gets ``-2``, ``-3``, ... in the order given.

    Args:
        providers: the providers, in order of preference.

    Raises:
        ConfigurationError: no providers.
    """

    def __init__(self, providers: Sequence[Any]) -> None:
        if not providers:
            raise ConfigurationError("LLMService needs at least one provider")
        self.providers: dict[str, Any] = {}
        for provider in providers:
            base = str(getattr(provider, "name", None) or type(provider).__name__.lower())
            name, n = base, 1
            while name in self.providers:
                n += 1
                name = f"{base}-{n}"
            self.providers[name] = provider

    def __repr__(self) -> str:
        return f"LLMService({', '.join(self.providers)})"

    def create_batch_job(self, batch_payload: BatchPayload, *, filter_json: bool = False) -> tuple[str, str]:
        """Create the job with the first provider that supports batch jobs; returns ``(provider_name, job_name)``.

        Raises:
            ValueError: an empty payload or prompt (before anything is sent).
            NotImplementedError: no provider supports batch jobs.
        """
        for name, provider in self.providers.items():
            if all(callable(getattr(provider, method, None)) for method in _BATCH_METHODS):
                return name, provider.create_batch_job(batch_payload, filter_json=filter_json)
        raise NotImplementedError(f"none of the providers ({', '.join(self.providers)}) supports batch jobs")

    def get_batch_job_status(self, provider_name: str, batch_job_name: str) -> Any:
        """The job as the provider reports it (for Gemini a ``BatchJob``: ``.state``, ``.done``)."""
        return self._method(provider_name, "get_batch_job")(batch_job_name)

    def fetch_batch_results(self, provider_name: str, batch_job_name: str) -> Sequence[Any]:
        """The job's results in payload order (see :meth:`~notebookllm.GeminiLLM.fetch_batch_results`).

        Raises:
            ValueError: the job is not finished yet.
            LLMProviderError: the job or some of its requests failed (the good results are on the exception).
        """
        return self._method(provider_name, "fetch_batch_results")(batch_job_name)

    def cancel_batch_job(self, provider_name: str, batch_job_name: str) -> None:
        """Cancel the job (``batches.cancel`` for Gemini).

        Raises:
            ValueError: no provider of that name.
            NotImplementedError: the provider cannot cancel jobs.
            LLMProviderError: the cancellation failed (e.g. the job had already ended).
        """
        self._method(provider_name, "cancel_batch_job")(batch_job_name)

    def _method(self, provider_name: str, method: str) -> Callable[..., Any]:
        try:
            provider = self.providers[provider_name]
        except KeyError:
            known = ", ".join(self.providers)
            raise ValueError(f"unknown provider {provider_name!r}; known: {known}") from None
        bound = getattr(provider, method, None)
        if not callable(bound):
            raise NotImplementedError(f"provider {provider_name!r} does not support {method}")
        return bound
