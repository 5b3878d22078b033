"""Estimated Gemini prices, so results can show what a run cost.

The table holds **estimates** of the Gemini Developer API list prices (paid tier) in US dollars per million tokens,
read on 2026-12-03 (:data:`PRICES_AS_OF`) from:

* https://ai.google.dev/gemini-api/docs/pricing (per-model input, output, cached and storage prices, the
  >200k-token tier of the Pro models, audio input prices; Gemini 3.8 Flash's launch price runs to 2026-12-31);
* https://ai.google.dev/gemini-api/docs/optimization (Flex: 50% off; Priority: 75-100% above Standard, counted
  here at +100% so an estimate never comes out low; Batch: 50% off);
* https://ai.google.dev/gemini-api/docs/models and /deprecations (which models are current);
* https://ai.google.dev/gemini-api/docs/caching and
  https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/context-cache/context-cache-overview
  (read 2026-12-03: the input tokens that create an explicit cache are billed at the standard input price, then
  storage per token-hour for as long as it is kept, then the cached tokens at the cached price in each request).

Sources disagree on some dates; where they do, the newest page wins. Prices change: override them with
:func:`set_price` or pass ``prices=`` to :func:`estimate_cost`. Models not in the table cost ``None``.

Rules (each has a test in ``tests/gemini/test_pricing.py``):

* input tokens at the input price, cached input tokens at the cached price (``input_tokens`` includes
  ``cached_input_tokens``, as Gemini counts them; an implicit-cache hit is billed like an explicit one);
* audio input tokens at the audio price where the pricing page lists one (``audio_input_tokens`` and
  ``cached_audio_tokens`` are parts of ``input_tokens`` / ``cached_input_tokens``);
* thinking tokens are billed as output;
* a prompt above ``long_context_threshold`` tokens bills every token of the request at the long-context prices;
* tool-use prompt tokens are input (:func:`~notebookllm.gemini.response.usage_of` folds them into
  ``input_tokens``);
* Batch API jobs cost ``batch_multiplier`` (50%) of the online price; ``service_tier="flex"`` costs
  ``flex_multiplier``, ``"priority"`` ``priority_multiplier``;
* a price may change on a known date (``price_for(model, on=...)``): Gemini 3.8 Flash doubles on 2027-01-01;
* explicit context caches are also billed for storage, per token-hour (:func:`cache_storage_cost`), and creating
  one bills its tokens once at the input price (``estimate_cost`` of that many input tokens).

Example:
    >>> from notebookllm import TokenUsage
    >>> estimate_cost(TokenUsage(input_tokens=1_000_000, output_tokens=0), "gemini-3.5-flash-lite")
    0.3
    >>> estimate_cost({"input_tokens": 1_000_000}, "gemini-3.5-flash-lite", batch=True)
    0.15
    >>> cache_storage_cost(1_000_000, 2.0, "gemini-3.1-pro-preview")
    9.0
    >>> set_price("my-tuned-model", ModelPrice(input=1.0, output=2.0, cached_input=0.1))
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..core.tokens import TokenUsage, TokenUsageLike

__all__ = [
    "PRICES_AS_OF",
    "ModelPrice",
    "cache_saving",
    "cache_storage_cost",
    "estimate_cost",
    "price_for",
    "set_price",
]

PRICES_AS_OF = date(2026, 12, 3)
"""The day the built-in table was last checked. Treat every figure as an estimate."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """US dollars per million tokens for one model (storage: per million tokens per hour).

    ``audio_input`` / ``cached_audio_input`` default to the text prices; the ``long_*`` prices apply to requests
    whose prompt exceeds ``long_context_threshold`` tokens (``None``: one tier).
    """

    input: float
    output: float
    cached_input: float
    batch_multiplier: float = 0.5
    audio_input: float | None = None
    cached_audio_input: float | None = None
    long_context_threshold: int | None = None
    long_input: float | None = None
    long_output: float | None = None
    long_cached_input: float | None = None
    cache_storage_per_hour: float = 0.0
    flex_multiplier: float = 0.5
    priority_multiplier: float = 2.0


def _flash(
    input: float, output: float, cached: float, audio: float | None = None, cached_audio: float | None = None
) -> ModelPrice:
    """A Flash or Flash-Lite model: one tier, storage at $1.00 per million token-hours."""
    return ModelPrice(
        input, output, cached, audio_input=audio, cached_audio_input=cached_audio, cache_storage_per_hour=1.00
    )


def _pro(
    input: float, output: float, cached: float, long_input: float, long_output: float, long_cached: float
) -> ModelPrice:
    """A Pro model: dearer above 200k prompt tokens, storage at $4.50 per million token-hours."""
    return ModelPrice(
        input,
        output,
        cached,
        long_context_threshold=200_000,
        long_input=long_input,
        long_output=long_output,
        long_cached_input=long_cached,
        cache_storage_per_hour=4.50,
    )


_PRICES: dict[str, ModelPrice] = {
    # current (ai.google.dev/gemini-api/docs/models, 2026-12-03)
    "gemini-3.8-flash": _flash(0.75, 3.75, 0.075),
    "gemini-3.5-flash": _flash(1.50, 9.00, 0.15),
    "gemini-3.5-flash-lite": _flash(0.30, 2.50, 0.03),
    "gemini-3.1-flash-lite": _flash(0.25, 1.50, 0.025, audio=0.50, cached_audio=0.05),
    "gemini-3.1-pro-preview": _pro(2.00, 12.00, 0.20, 4.00, 18.00, 0.40),
    "gemini-3-flash-preview": _flash(0.50, 3.00, 0.05, audio=1.00, cached_audio=0.10),
    # deprecated: refused to new keys, still billed for the keys that use them
    "gemini-2.5-pro": _pro(1.25, 10.00, 0.125, 2.50, 15.00, 0.25),
    "gemini-2.5-flash": _flash(0.30, 2.50, 0.03, audio=1.00, cached_audio=0.10),
    "gemini-2.5-flash-lite": _flash(0.10, 0.40, 0.01, audio=0.30, cached_audio=0.03),
}

# Announced price changes: model → [(first day, price from that day)], in date order.
_SCHEDULED: dict[str, list[tuple[date, ModelPrice]]] = {
    "gemini-3.8-flash": [(date(2027, 1, 1), _flash(1.50, 7.50, 0.15))],
}


def set_price(model: str, price: ModelPrice) -> None:
    """Add or replace the price of ``model`` (and of its versioned names, e.g. ``<model>-001``), from today on."""
    name = _bare(model)
    _PRICES[name] = price
    _SCHEDULED.pop(name, None)


def price_for(
    model: str, prices: Mapping[str, ModelPrice] | None = None, *, on: date | None = None
) -> ModelPrice | None:
    """The price of ``model`` on day ``on`` (default today): an exact match, else the longest table entry the name
    starts with.

    ``models/`` prefixes and suffixes such as ``-001`` or ``-preview-09-2025`` are handled by the prefix match.
    Returns ``None`` for unknown models.
    """
    table = _PRICES if prices is None else prices
    name = _bare(model)
    if name not in table:
        matches = [key for key in table if name.startswith(key + "-")]
        if not matches:
            return None
        name = max(matches, key=len)
    price = table[name]
    if prices is None:
        day = on or _today()
        for start, later in _SCHEDULED.get(name, ()):
            if day >= start:
                price = later
    return price


def estimate_cost(
    usage: TokenUsageLike | None,
    model: str,
    *,
    batch: bool = False,
    prices: Mapping[str, ModelPrice] | None = None,
    service_tier: str | None = None,
    audio_input_tokens: int = 0,
    cached_audio_tokens: int = 0,
    on: date | None = None,
) -> float | None:
    """Estimated US dollars for the ``usage`` of one request to ``model``; ``None`` when the price is unknown.

    Args:
        usage: the request's tokens (``input_tokens`` includes cached and audio tokens).
        batch: billed through the Batch API.
        prices: a table to use instead of the built-in one.
        service_tier: ``"flex"``, ``"priority"`` or ``"standard"`` (default) when the request set one.
        audio_input_tokens, cached_audio_tokens: how much of the (cached) input was audio.
        on: the day the request ran (default today), for announced price changes.
    """
    price = price_for(model, prices, on=on)
    if price is None:
        return None
    u = TokenUsage.coerce(usage)
    cached = min(u.cached_input_tokens, u.input_tokens)
    cached_audio = min(cached_audio_tokens, cached)
    audio = min(audio_input_tokens, u.input_tokens - cached)
    long = price.long_context_threshold is not None and u.input_tokens > price.long_context_threshold
    text_in = price.long_input if long and price.long_input is not None else price.input
    text_cached = price.long_cached_input if long and price.long_cached_input is not None else price.cached_input
    out = price.long_output if long and price.long_output is not None else price.output
    audio_in = price.audio_input if price.audio_input is not None else text_in
    audio_cached = price.cached_audio_input if price.cached_audio_input is not None else text_cached
    dollars = (
        (u.input_tokens - cached - audio) * text_in
        + audio * audio_in
        + (cached - cached_audio) * text_cached
        + cached_audio * audio_cached
        + (u.output_tokens + u.thoughts_tokens) * out
    ) / 1_000_000
    return round(dollars * _multiplier(price, batch, service_tier), 10)


def cache_saving(
    usage: TokenUsageLike | None,
    model: str,
    *,
    batch: bool = False,
    prices: Mapping[str, ModelPrice] | None = None,
    service_tier: str | None = None,
    on: date | None = None,
) -> float | None:
    """US dollars the cached input tokens of ``usage`` saved against sending them uncached (implicit or explicit
    cache hits alike); ``None`` when the price is unknown. Storage of an explicit cache is not subtracted."""
    u = TokenUsage.coerce(usage)
    common = {"batch": batch, "prices": prices, "service_tier": service_tier, "on": on}
    paid = estimate_cost(u, model, **common)  # type: ignore[arg-type]
    uncached = TokenUsage(u.input_tokens, u.output_tokens, u.total_tokens, 0, u.thoughts_tokens)
    full = estimate_cost(uncached, model, **common)  # type: ignore[arg-type]
    if paid is None or full is None:
        return None
    return round(full - paid, 10)


def cache_storage_cost(
    tokens: float,
    hours: float,
    model: str,
    *,
    prices: Mapping[str, ModelPrice] | None = None,
    on: date | None = None,
) -> float | None:
    """Estimated US dollars for keeping an explicit context cache of ``tokens`` for ``hours`` (or, with
    ``hours=1``, for ``tokens`` token-hours)."""
    price = price_for(model, prices, on=on)
    if price is None:
        return None
    return round(tokens * max(hours, 0.0) * price.cache_storage_per_hour / 1_000_000, 10)


def _multiplier(price: ModelPrice, batch: bool, service_tier: str | None) -> float:
    if batch:
        return price.batch_multiplier
    tier = (service_tier or "standard").lower()
    if tier == "flex":
        return price.flex_multiplier
    if tier == "priority":
        return price.priority_multiplier
    return 1.0


_day = (date.min, -1.0)  # today's date and the epoch second tomorrow begins (local time)


def _today() -> date:
    """``date.today()``, read once a day: it asks the C library for the local time zone every call (5 µs, and
    every reply's cost reads it)."""
    global _day
    day, ends = _day
    if time.time() >= ends:
        day = date.today()
        _day = day, datetime.combine(day + timedelta(days=1), datetime.min.time()).timestamp()
    return day


def _bare(model: str) -> str:
    return model.removeprefix("models/")
