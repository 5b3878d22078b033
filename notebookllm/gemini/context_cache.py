"""One Gemini context cache owned by one strategy: found or created once, renewed before expiry, recreated if gone.

A cache is identified by its model and by a display name that carries a fingerprint of what it holds (contents,
system instruction, tools) and a digest of the user's tags, e.g. ``notebookllm fp=3f2a… tags=9c1e…``. An existing
cache is reused — within a run and across runs — only when model and display name both match, so changing the
cached text, the system prompt, a tool or any tag creates a new cache.

Storage is billed per token-hour: the handle counts the token-hours it bought (creation and each renewal, for the
TTL asked for; an adopted cache was paid for by whoever created it) until :meth:`ContextCache.take_unbilled_token_hours`
hands them to the cost accounting. Creating a cache also bills its tokens once at the input price; the handle keeps
running totals of both (:attr:`ContextCache.created_tokens`, :attr:`ContextCache.bought_token_hours`) for a spend
cap to settle against, and :meth:`ContextCache.count_tokens` counts what a cache would hold before creating it.

Renewal reads the expiry time the API returned; it never lists caches per call. A cache that would expire within
the renewal buffer is not adopted (it could vanish before first use). The handle outlives a run, so the same
strategy in a later run renews (or replaces) its own cache without listing.

Example:
    >>> cache = ContextCache(client, "gemini-2.5-flash", contents=[...], tags={"prompt_version": "v1"})
    >>> name = await cache.ensure_fresh()  # first call: reuse a matching cache or create one;
    >>> name = await cache.ensure_fresh()  # later calls: extend the TTL when expiry is near
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..core.redaction import get_logger

__all__ = ["ContextCache"]

logger = get_logger(__name__)

TAGS_UNSUPPORTED_WARNING = "Cache tags requested but not supported by API"
CACHE_GONE_CODES = (403, 404)  # the Developer API answers an unknown or expired cache with one of these


class ContextCache:
    """A context cache for ``model`` holding ``contents`` / ``system_instruction`` / ``tools``.

    Args:
        client: the ``genai.Client``.
        model: the model the cache belongs to (a cache only serves its own model).
        contents, system_instruction, tools, tool_config: what the cache holds.
        ttl_seconds: lifetime given at creation and at each renewal.
        renewal_buffer_seconds: renew when less than this is left.
        auto_renew: renew at all (else the cache simply expires; a vanished cache is still recreated).
        tags: user labels; all must match for a cache to be reused.
        clock: wall-clock seconds (expiry times are the server's wall clock); injectable for tests.
    """

    def __init__(
        self,
        client: genai.Client,
        model: str,
        *,
        contents: Any = None,
        system_instruction: Any = None,
        tools: Any = None,
        tool_config: Any = None,
        ttl_seconds: float = 3600,
        renewal_buffer_seconds: float = 300,
        auto_renew: bool = True,
        tags: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.model = model
        self.ttl_seconds = ttl_seconds
        self.renewal_buffer_seconds = renewal_buffer_seconds
        self.auto_renew = auto_renew
        self.tags = dict(tags or {})
        self.clock = clock
        self._create_config = types.CreateCachedContentConfig(
            contents=contents, system_instruction=system_instruction, tools=tools, tool_config=tool_config
        )
        self.fingerprint = _digest(self._create_config.model_dump(mode="json", exclude_none=True))
        self.reusable = _display_name_supported()
        if self.tags and not self.reusable:
            # Without a display name there is nowhere to keep fingerprint or tags. Matching on the model alone would
            # reuse caches holding other content (batch-llm v0.3's bug), so we fall back to a fresh cache instead.
            warnings.warn(TAGS_UNSUPPORTED_WARNING, stacklevel=2)
            logger.warning("%s; creating a fresh cache instead of matching tags", TAGS_UNSUPPORTED_WARNING)
        self.name: str | None = None
        self.inline = False  # too small to cache: callers send the contents with each request
        self.expire_time: float | None = None
        self.tokens = 0  # the cache's size, as the API counted it
        self._unbilled_token_hours = 0.0
        #: Tokens of every cache this handle created (each billed once at the input price when created).
        self.created_tokens = 0
        #: Token-hours of storage this handle bought in all (creations and renewals).
        self.bought_token_hours = 0.0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    @property
    def display_name(self) -> str:
        """What this cache is called at the API: fingerprint of the contents and digest of the tags."""
        return f"notebookllm fp={self.fingerprint} tags={_digest(self.tags)}"

    def identity(self) -> dict[str, Any]:
        """What request fingerprints record instead of the (run-specific) cache name."""
        return {"model": self.model, "fingerprint": self.fingerprint, "tags": dict(sorted(self.tags.items()))}

    async def ensure_fresh(self) -> str | None:
        """The cache name, after acquiring it on first use or extending its TTL when less than the buffer is left.

        Acquiring adopts a matching, not nearly expired cache (one list call), else creates one; a cache known to
        have expired (e.g. between two runs, without ``auto_renew``) is replaced without a failed request.
        Concurrent callers wait for the first: one cache, however many workers start at once. ``None`` when the
        content is below the API's minimum cache size (:attr:`inline`): then send it with each request.
        """
        if self._needs_work():
            async with self._loop_lock():
                # Re-check: another worker may have acquired or renewed while we waited for the lock.
                if self.name is not None and self.expire_time is not None and self.clock() >= self.expire_time:
                    self.name = None
                if self.name is None and not self.inline:
                    await self._find_or_create()
                elif self.auto_renew and self._due():
                    await self._renew()
        return self.name

    async def recreate_if_gone(self, used_name: str) -> bool:
        """After a request naming ``used_name`` failed with 403/404: recreate the cache if it is really gone.

        Returns ``True`` when a retry can succeed (the cache was recreated, by us or by another worker),
        ``False`` when the cache is still there (the error had another cause).
        """
        async with self._loop_lock():
            if self.name != used_name:
                return True
            try:
                await self.client.aio.caches.get(name=used_name)
            except genai_errors.ClientError as err:
                if err.code not in CACHE_GONE_CODES:
                    raise
                logger.warning("context cache %s vanished; creating a new one", used_name)
                await self._create()
                return True
            return False

    @property
    def live(self) -> bool:
        """Whether the handle holds a cache that is not expired (a run using it now creates none)."""
        return self.name is not None and self.expire_time is not None and self.clock() < self.expire_time

    @property
    def renewal_due(self) -> bool:
        """Whether the next use extends the TTL (buying storage for up to another ``ttl_seconds``)."""
        return self.live and self.auto_renew and self._due()

    async def count_tokens(self) -> int:
        """The tokens a cache of these contents and system instruction would hold, by countTokens (free): what
        creating it bills at the input price. Tools are not counted (the Developer API's countTokens takes none)."""
        config = self._create_config
        total = 0
        for contents in (config.contents, config.system_instruction):
            if contents is not None:
                reply = await self.client.aio.models.count_tokens(model=self.model, contents=contents)
                total += int(reply.total_tokens or 0)
        return total

    def take_unbilled_token_hours(self) -> float:
        """Token-hours of storage bought since the last call (creation, renewals), and reset to 0."""
        taken, self._unbilled_token_hours = self._unbilled_token_hours, 0.0
        return taken

    async def delete(self) -> None:
        """Delete the cache at the API (a cache already gone is fine)."""
        name, self.name, self.expire_time = self.name, None, None
        if name is None:
            return
        try:
            await self.client.aio.caches.delete(name=name)
        except genai_errors.ClientError as err:
            if err.code not in CACHE_GONE_CODES:
                raise

    # -- internals --------------------------------------------------------------------------------------------------

    async def _find_or_create(self) -> None:
        found = await self._find() if self.reusable else None
        if found is not None:
            self._adopt(found)
            logger.info("reusing context cache %s (%s)", self.name, self.display_name)
        else:
            await self._create()

    def _needs_work(self) -> bool:
        if self.inline:
            return False
        if self.name is None:
            return True
        return self.expire_time is not None and (self.clock() >= self.expire_time or (self.auto_renew and self._due()))

    def _due(self) -> bool:
        return self.expire_time is not None and self.clock() >= self.expire_time - self.renewal_buffer_seconds

    def _loop_lock(self) -> asyncio.Lock:
        # A lock belongs to one event loop, and a strategy may be reused by a later run on another loop.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _find(self) -> types.CachedContent | None:
        wanted_model = _model_path(self.model)
        best: types.CachedContent | None = None
        pager = await self.client.aio.caches.list(config=types.ListCachedContentsConfig(page_size=100))
        async for cache in pager:
            if cache.display_name != self.display_name or _model_path(cache.model or "") != wanted_model:
                continue
            expires = cache.expire_time.timestamp() if cache.expire_time else None
            if expires is None or expires - self.renewal_buffer_seconds <= self.clock():
                continue  # nearly expired: adopting it risks a 403 on first use
            if best is None or (best.expire_time and expires > best.expire_time.timestamp()):
                best = cache
        return best

    async def _create(self) -> None:
        config = self._create_config.model_copy(update={"ttl": _ttl(self.ttl_seconds)})
        if self.reusable:
            config = config.model_copy(update={"display_name": self.display_name})
        try:
            cache = await self.client.aio.caches.create(model=self.model, config=config)
        except genai_errors.ClientError as err:
            if err.code != 400 or "too small" not in (err.message or "").lower():
                raise
            # The same model input without a cache gives the same answers, only at the full input price.
            warnings.warn(
                f"content to cache is below the model's minimum cache size ({err.message}); "
                "sending it with every request instead of caching it",
                stacklevel=2,
            )
            self.inline = True
            return
        self._adopt(cache)
        self.created_tokens += self.tokens
        self._bought(self.clock())
        logger.info("created context cache %s (%s)", self.name, self.display_name)

    async def _renew(self) -> None:
        assert self.name is not None
        try:
            cache = await self.client.aio.caches.update(
                name=self.name, config=types.UpdateCachedContentConfig(ttl=_ttl(self.ttl_seconds))
            )
        except genai_errors.ClientError as err:
            if err.code not in CACHE_GONE_CODES:
                raise
            logger.warning("context cache %s expired before renewal; creating a new one", self.name)
            await self._create()
            return
        paid_until = max(self.expire_time or 0.0, self.clock())
        self.expire_time = cache.expire_time.timestamp() if cache.expire_time else self.clock() + self.ttl_seconds
        self._bought(paid_until)

    def _adopt(self, cache: types.CachedContent) -> None:
        self.name = cache.name
        self.expire_time = cache.expire_time.timestamp() if cache.expire_time else self.clock() + self.ttl_seconds
        self.tokens = (cache.usage_metadata.total_token_count or 0) if cache.usage_metadata else 0

    def _bought(self, since: float) -> None:
        """Count the storage from ``since`` to the current expiry time."""
        if self.expire_time is not None and self.expire_time > since:
            token_hours = self.tokens * (self.expire_time - since) / 3600
            self._unbilled_token_hours += token_hours
            self.bought_token_hours += token_hours


def _display_name_supported() -> bool:
    """Whether this google-genai can name caches (where fingerprint and tags are kept)."""
    return "display_name" in types.CreateCachedContentConfig.model_fields


def _digest(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _model_path(model: str) -> str:
    return model if "/" in model else f"models/{model}"


def _ttl(seconds: float) -> str:
    return f"{seconds:g}s"
