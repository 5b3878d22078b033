"""``BatchService``: the seed guide's ``LLMService`` batch facade, ``(provider_name, job_name)`` pairs over
:class:`~notebookllm.gemini.GeminiBatch` providers.

Example:
    >>> service = BatchService([GeminiBatch(system_prompt="prompts/categorise.md")])        # doctest: +SKIP
    >>> provider_name, job_name = service.create_batch_job(batch_payload, filter_json=True)  # doctest: +SKIP
    >>> service.get_batch_job_status(provider_name, job_name).done                          # doctest: +SKIP
    >>> results = service.fetch_batch_results(provider_name, job_name)                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

from google.genai import types

from ..core.errors import ConfigurationError
from .batch import GeminiBatch
from .batch_replies import BatchReply
from .batch_requests import BatchPayload

__all__ = ["BatchService"]


class BatchService:
    """Batch jobs across providers, each named ``gemini`` (then ``gemini-2``, ...) in the order given.

    Raises:
        ConfigurationError: no providers.
    """

    def __init__(self, providers: Sequence[GeminiBatch]) -> None:
        if not providers:
            raise ConfigurationError("BatchService needs at least one provider")
        self.providers = {("gemini" if i == 0 else f"gemini-{i + 1}"): p for i, p in enumerate(providers)}

    def create_batch_job(self, batch_payload: BatchPayload, *, filter_json: bool = False) -> tuple[str, str]:
        """Create the job with the first provider; returns ``(provider_name, job_name)``."""
        name, provider = next(iter(self.providers.items()))
        return name, provider.create_batch_job(batch_payload, filter_json=filter_json)

    def get_batch_job_status(self, provider_name: str, batch_job_name: str) -> types.BatchJob:
        """The job as the provider reports it (``.state``, ``.done``)."""
        return self._provider(provider_name).get_batch_job(batch_job_name)

    def fetch_batch_results(self, provider_name: str, batch_job_name: str) -> list[BatchReply]:
        """The job's replies in payload order (see :meth:`GeminiBatch.fetch_batch_results`)."""
        return self._provider(provider_name).fetch_batch_results(batch_job_name)

    def cancel_batch_job(self, provider_name: str, batch_job_name: str) -> None:
        """Cancel the job (``batches.cancel``)."""
        self._provider(provider_name).cancel_batch_job(batch_job_name)

    def _provider(self, name: str) -> GeminiBatch:
        try:
            return self.providers[name]
        except KeyError:
            raise ValueError(f"unknown provider {name!r}; known: {', '.join(self.providers)}") from None
