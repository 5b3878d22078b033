"""``GeminiLLM``: the seed guide's Gemini provider — one-off ``generate`` calls and Batch API jobs that send the same
model, system prompt and config — built on :class:`~notebookllm.gemini.GeminiBatch`.

Example (the seed guide's, with only the import changed):
    >>> from notebookllm import GeminiLLM
    >>> llm = GeminiLLM(system_prompt="prompts/categorise.md", filter_json=True)          # doctest: +SKIP
    >>> llm.generate(["Categorize this document: Geography GCSE"])                         # doctest: +SKIP
    {'category': 'Geography'}
    >>> job_name = llm.create_batch_job([["Categorize this document: French GCSE"]])      # doctest: +SKIP
    >>> llm.fetch_batch_results(job_name)                                                  # doctest: +SKIP
    [{'category': 'French'}]
"""

from __future__ import annotations

import time
from typing import Any, NoReturn

from google.genai import errors as genai_errors

from ..core.errors import LLMProviderError
from ..sync import run_sync
from .batch import GeminiBatch
from .batch_replies import RawReply, to_reply
from .batch_requests import PromptParts, build_requests, request_config

__all__ = ["GeminiLLM"]


class GeminiLLM(GeminiBatch):
    """The seed guide's provider: :class:`~notebookllm.gemini.GeminiBatch` (every batch method: create, get,
    fetch, cancel, and the ledger behind them) plus :meth:`generate`, one synchronous request built exactly as
    each request of its batch jobs.

    Args:
        system_prompt: the system instruction, or the path of a UTF-8 file holding it (``"prompts/categorise.md"``).
            A string naming an existing file is read; a one-line string ending in a file suffix (``.md``,
            ``.txt``, ...) that names no file is refused, so a mistyped path is never sent as the prompt.
        filter_json: read replies as JSON (requests ask for JSON output; see
            :meth:`~notebookllm.gemini.GeminiBatch.create_batch_job`) and return the parsed values.
        **options: as for :class:`~notebookllm.gemini.GeminiBatch` (``client``, ``model``, ``ledger``, ...).
    """

    name = "gemini"
    """The provider name :class:`~notebookllm.LLMService` knows it by."""

    def __init__(self, system_prompt: str | None = None, *, filter_json: bool = False, **options: Any) -> None:
        super().__init__(system_prompt=system_prompt, filter_json=filter_json, **options)

    async def agenerate(self, prompt: PromptParts, *, filter_json: bool | None = None) -> Any:
        """One request for ``prompt`` (a string, or a sequence of strings: the parts of one user turn), with the
        model, system prompt and config of this provider's batch requests; returns its value as
        :meth:`~notebookllm.gemini.GeminiBatch.fetch_batch_results` would (the parsed JSON with ``filter_json``).

        One attempt: for many prompts with retries and rate limits use ``nl.run`` / ``nl.arun``.

        Raises:
            ValueError: an empty prompt (nothing is sent).
            LLMProviderError: the request failed, was blocked, or (``filter_json``) its reply held no JSON.
        """
        filter_json = self.filter_json if filter_json is None else filter_json
        self._check_filter_json(filter_json)
        [request] = build_requests(self.strategy, [prompt])
        started = time.time()
        try:
            response = await self.client.aio.models.generate_content(
                model=self.model,
                contents=request.contents,
                config=request_config(self.strategy, filter_json=filter_json),
            )
        except genai_errors.APIError as exc:
            raise LLMProviderError(f"generate failed: {exc}") from exc
        reply = to_reply(
            self.strategy,
            RawReply(request.key, response=response),
            key=request.key,
            item_id=request.item_id,
            filter_json=filter_json,
            timing=(started, time.time()),
            batch=False,
        )
        if not reply.ok:
            raise LLMProviderError(f"generate failed: {type(reply.error).__name__}: {reply.error}") from reply.error
        return reply.output

    def generate(self, prompt: PromptParts, *, filter_json: bool | None = None) -> Any:
        """:meth:`agenerate`, synchronously (also inside a running Jupyter loop)."""
        return run_sync(self.agenerate(prompt, filter_json=filter_json))

    def batch_generate(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not supported, as in the seed guide: use :meth:`create_batch_job`, then poll and fetch.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError(
            "GeminiLLM.batch_generate is not supported: use create_batch_job(), poll get_batch_job(), "
            "then fetch_batch_results()"
        )
