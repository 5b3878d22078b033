"""``GeminiCachedStrategy``: Gemini calls that share one context cache (a long prompt prefix billed at the cached rate).

The cache holds ``cached_content`` plus the system instruction and tools (the API rejects a request that names a
cache and also sets those), is created in :meth:`~GeminiCachedStrategy.prepare` — never in a dry run — and is
shared by every item of the strategy. See :mod:`notebookllm.gemini.context_cache` for reuse, renewal and recreation.

Example (seed guide, section 3):
    >>> strategy = GeminiCachedStrategy(
    ...     cached_content=[{"role": "user", "parts": [{"text": "Prompt version 1"}]}],
    ...     cache_tags={"prompt_version": "v1", "purpose": "enrichment", "dataset": "openlibrary"},
    ... )
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, TypeVar

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..core.attempt import current_attempt
from ..core.tokens import TokenUsage
from .connection import account_error
from .context_cache import CACHE_GONE_CODES, ContextCache
from .errors import CacheVanishedError
from .pricing import cache_storage_cost
from .strategy import GeminiStrategy, ResponseParser

__all__ = ["GeminiCachedStrategy"]

TOutput = TypeVar("TOutput")

# Request fields that must live in the cache when a request names one.
_CACHE_FIELDS = ("system_instruction", "tools", "tool_config")


class GeminiCachedStrategy(GeminiStrategy[TOutput]):
    """A :class:`GeminiStrategy` whose shared prompt prefix lives in one Gemini context cache.

    Args:
        client, model: as for :class:`GeminiStrategy` (defaults: the last ``connect()``'s client and model).
        cached_content: the contents to cache (list of ``Content`` or dicts, or a string).
        system_instruction: cached with the contents. Tools and tool config given in ``config`` are cached too.
        response_parser, response_schema, include_metadata, retry_blocked, config: as for :class:`GeminiStrategy`;
            the response schema stays in each request's generation config (caches cannot hold one).
        cache_ttl_seconds: lifetime of the cache, set at creation and at each renewal.
        cache_renewal_buffer_seconds: renew when less than this is left.
        auto_renew: extend the TTL before expiry while the run goes on.
        cache_tags: labels kept with the cache; a cache is reused only when model, cached content, system
            instruction, tools and all tags match.
        delete_on_cleanup: delete the cache at the end of the run (default: keep it for the next run until its TTL).
        **generation: ``temperature``, ``max_output_tokens``, ... as for :class:`GeminiStrategy`.

    With nothing to cache (no ``cached_content``, system instruction or tools) it warns and calls without a cache;
    content below the API's minimum cache size is sent with every request instead (with a warning).
    """

    def __init__(
        self,
        client: genai.Client | None = None,
        model: str | None = None,
        *,
        cached_content: types.ContentListUnion | None = None,
        system_instruction: str | types.ContentUnion | None = None,
        response_parser: ResponseParser | None = None,
        cache_ttl_seconds: float = 3600,
        cache_renewal_buffer_seconds: float = 300,
        auto_renew: bool = True,
        include_metadata: bool = False,
        cache_tags: Mapping[str, str] | None = None,
        delete_on_cleanup: bool = False,
        response_schema: Any = None,
        config: types.GenerateContentConfig | Mapping[str, Any] | None = None,
        retry_blocked: bool = False,
        **generation: Any,
    ) -> None:
        super().__init__(
            client,
            model,
            system_instruction=system_instruction,
            config=config,
            response_schema=response_schema,
            response_parser=response_parser,
            include_metadata=include_metadata,
            retry_blocked=retry_blocked,
            **generation,
        )
        cached = {name: getattr(self.config, name) for name in _CACHE_FIELDS}
        # Without a cache (content below the API's minimum size) the same input goes with every request instead.
        self._uncached_config = self.config
        self._cached_contents = _as_contents(cached_content)
        self.config = self.config.model_copy(update=dict.fromkeys(_CACHE_FIELDS))
        self.delete_on_cleanup = delete_on_cleanup
        self.context_cache: ContextCache | None = None
        if cached_content is None and all(value is None for value in cached.values()):
            warnings.warn(
                "GeminiCachedStrategy has nothing to cache (no cached_content, system_instruction or tools); "
                "calling without a context cache",
                stacklevel=2,
            )
            return
        self.context_cache = ContextCache(
            self.client,
            self.model,
            contents=cached_content,
            ttl_seconds=cache_ttl_seconds,
            renewal_buffer_seconds=cache_renewal_buffer_seconds,
            auto_renew=auto_renew,
            tags=cache_tags,
            **cached,
        )

    async def prepare(self) -> None:
        """Find a matching context cache or create one. Called once per run by the processor, never in a dry run.

        Idempotent: concurrent or repeated calls share one cache. A retired or unknown model raises
        :class:`~notebookllm.gemini.GeminiModelUnavailableError` naming the models the key can use.
        """
        await super().prepare()
        if self.context_cache is None:
            return
        try:
            await self.context_cache.ensure_fresh()
        except genai_errors.ClientError as exc:
            refused = await account_error(self.client, self.model, exc)
            if refused is not None:
                raise refused from exc
            raise

    async def cleanup(self) -> None:
        """Delete the cache if ``delete_on_cleanup``; else it stays for later runs until its TTL ends."""
        try:
            if self.context_cache is not None and self.delete_on_cleanup:
                await self.context_cache.delete()
        finally:
            await super().cleanup()

    def _fingerprint_extra(self) -> dict[str, Any]:
        # The cache's identity, not its name: the name differs between runs, the request does not.
        return {"context_cache": self.context_cache.identity()} if self.context_cache is not None else {}

    async def _generate(self, prompt: str) -> types.GenerateContentResponse:
        if self.context_cache is None:
            return await super()._generate(prompt)
        name = await self.context_cache.ensure_fresh()
        if name is None:
            return await self._send(self._cached_contents + self._contents(prompt), self._uncached_config)
        try:
            return await self._send_cached(prompt, name)
        except genai_errors.ClientError as err:
            if err.code not in CACHE_GONE_CODES or not await self.context_cache.recreate_if_gone(name):
                raise
            new_name = self.context_cache.name or "?"
        # The cache vanished (expired, deleted) and is back under a new name: send again within this attempt, so a
        # cache we manage costs the item none of its attempts. Vanishing twice in a row is left to the retries.
        try:
            return await self._send_cached(prompt, new_name)
        except genai_errors.ClientError as err:
            if err.code in CACHE_GONE_CODES and await self.context_cache.recreate_if_gone(new_name):
                raise CacheVanishedError(new_name, self.context_cache.name or "?") from err
            raise

    def _finish(self, response: types.GenerateContentResponse) -> tuple[Any, TokenUsage]:
        """As for :class:`GeminiStrategy`; a successful item also carries the cache storage bought since the last
        one (``metadata["cache_storage_usd"]``), so the run's summary counts it once."""
        finished = super()._finish(response)
        ctx = current_attempt()
        if ctx is not None and self.context_cache is not None:
            token_hours = self.context_cache.take_unbilled_token_hours()
            if token_hours:
                ctx.annotate(cache_storage_usd=cache_storage_cost(token_hours, 1.0, self.model))
        return finished

    async def _send_cached(self, prompt: str, cache_name: str) -> types.GenerateContentResponse:
        config = self.config.model_copy(update={"cached_content": cache_name})
        return await self._send(self._request_contents(prompt), config)


def _as_contents(value: types.ContentListUnion | None) -> list[types.Content]:
    """``cached_content`` as a list of ``Content``; bare parts (strings, parts) form one user turn, as in the SDK."""
    if value is None:
        return []
    contents: list[types.Content] = []
    parts: list[types.Part] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, types.Content) or (isinstance(item, dict) and "parts" in item):
            contents.append(types.Content.model_validate(item))
        else:
            parts.append(types.Part(text=item) if isinstance(item, str) else types.Part.model_validate(item))
    if parts:
        contents.append(types.Content(role="user", parts=parts))
    return contents
