"""Context caches (``cachedContents``): create, get, list, patch (ttl/expireTime), delete, and use by generateContent.

Like the real API: a minimum size (400 "Cached content is too small"), ``ttl`` and ``expireTime`` are exclusive,
an unknown or expired cache answers 403 PERMISSION_DENIED "CachedContent not found (or permission denied)", and a
request using a cache must name the cache's model.

>>> store = CacheStore(min_tokens=1, clock=lambda: 0.0)
>>> cache = store.create({"model": "models/gemini-2.5-flash", "contents": [{"parts": [{"text": "abcd" * 10}]}]})
>>> cache["usageMetadata"], store.use(cache["name"], "gemini-2.5-flash")
({'totalTokenCount': 10}, 10)
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .catalog import min_cache_tokens
from .clock import Clock, parse_duration, parse_timestamp, rfc3339
from .errors import ApiError
from .fields import pick
from .pagination import page
from .tokens import count_content, count_contents

DEFAULT_TTL_S = 3600.0
_NOT_FOUND = "CachedContent not found (or permission denied)"


class _Cache:
    __slots__ = ("create_time", "display_name", "expire_time", "model", "name", "tokens", "update_time")

    def __init__(self, name: str, model: str, display_name: str | None, tokens: int, now: float, expire: float):
        self.name = name
        self.model = model
        self.display_name = display_name
        self.tokens = tokens
        self.create_time = self.update_time = now
        self.expire_time = expire

    def resource(self) -> dict[str, Any]:
        resource: dict[str, Any] = {"name": self.name, "model": self.model}
        if self.display_name:
            resource["displayName"] = self.display_name
        resource["createTime"] = rfc3339(self.create_time)
        resource["updateTime"] = rfc3339(self.update_time)
        resource["expireTime"] = rfc3339(self.expire_time)
        resource["usageMetadata"] = {"totalTokenCount": self.tokens}
        return resource


class CacheStore:
    """The emulator's cachedContents, expiring on ``clock``."""

    def __init__(self, *, min_tokens: int | None, clock: Clock = time.time) -> None:
        self.min_tokens = min_tokens
        self._clock = clock
        self._caches: dict[str, _Cache] = {}

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("model")
        if not model:
            raise ApiError.invalid("* CreateCachedContentRequest.cached_content.model: model is required", "model")
        model = model if "/" in model else f"models/{model}"
        tokens = count_contents(body.get("contents")) + count_content(
            pick(body, "systemInstruction", "system_instruction")
        )
        minimum = self.min_tokens if self.min_tokens is not None else min_cache_tokens(model.rsplit("/", 1)[-1])
        if tokens < minimum:
            raise ApiError.invalid(
                f"Cached content is too small. total_token_count={tokens}, min_total_token_count={minimum}"
            )
        now = self._clock()
        cache = _Cache(
            f"cachedContents/{uuid.uuid4().hex[:16]}",
            model,
            pick(body, "displayName", "display_name"),
            tokens,
            now,
            self._expiry(body, now, default_ttl=DEFAULT_TTL_S),
        )
        self._caches[cache.name] = cache
        return cache.resource()

    def get(self, name: str) -> dict[str, Any]:
        return self._live(name).resource()

    def list(self, page_size: str | None, page_token: str | None) -> dict[str, Any]:
        now = self._clock()
        live = [cache for cache in self._caches.values() if cache.expire_time > now]
        items, next_token = page(live, page_size, page_token)
        result: dict[str, Any] = {"cachedContents": [cache.resource() for cache in items]}
        if next_token:
            result["nextPageToken"] = next_token
        return result

    def patch(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        cache = self._live(name)
        now = self._clock()
        cache.expire_time = self._expiry(body, now, default_ttl=None) or cache.expire_time
        cache.update_time = now
        return cache.resource()

    def delete(self, name: str) -> None:
        self._live(name)
        del self._caches[_full_name(name)]

    def use(self, name: str, model: str) -> int:
        """The token count of cache ``name`` for a request to ``model`` (bare id); raises ApiError otherwise."""
        cache = self._live(name)
        if cache.model != f"models/{model}":
            raise ApiError.invalid(
                f"Model used by GenerateContent request (models/{model}) and CachedContent ({cache.model}) "
                "has to be the same."
            )
        return cache.tokens

    def _live(self, name: str) -> _Cache:
        full = _full_name(name)
        cache = self._caches.get(full)
        if cache is None or cache.expire_time <= self._clock():
            self._caches.pop(full, None)
            raise ApiError.permission_denied(_NOT_FOUND)
        return cache

    @staticmethod
    def _expiry(body: dict[str, Any], now: float, default_ttl: float | None) -> float:
        ttl = body.get("ttl")
        expire = pick(body, "expireTime", "expire_time")
        if ttl and expire:
            raise ApiError.invalid("Only one of ttl and expire_time may be set.", "expireTime")
        try:
            if ttl:
                seconds = parse_duration(ttl)
                if seconds <= 0:
                    raise ValueError("ttl must be positive")
                return now + seconds
            if expire:
                return parse_timestamp(expire)
        except ValueError as exc:
            raise ApiError.invalid(f"Invalid ttl or expire_time: {exc}", "ttl") from None
        return now + default_ttl if default_ttl is not None else 0.0


def _full_name(name: str) -> str:
    return name if name.startswith("cachedContents/") else f"cachedContents/{name}"
