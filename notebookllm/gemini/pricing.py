"""Estimated Gemini prices, so results can show what a run cost.

The table is dated (:data:`PRICES_AS_OF`) and holds **estimates** of the Gemini Developer API list prices in US
dollars per million tokens (standard tier, prompts up to 200k tokens; context-cache storage is not included).
Prices change: override them with :func:`set_price` or pass ``prices=`` to :func:`estimate_cost`.

* Input tokens are billed at the input price, except cached input tokens, billed at the cached price
  (``input_tokens`` includes ``cached_input_tokens``, as Gemini counts them).
* Thinking tokens are billed as output.
* Batch API jobs cost ``batch_multiplier`` (50%) of the online price.

Example:
    >>> from notebookllm import TokenUsage
    >>> estimate_cost(TokenUsage(input_tokens=1_000_000, output_tokens=0), "gemini-2.5-flash")
    0.3
    >>> estimate_cost({"input_tokens": 1_000_000}, "gemini-2.5-flash", batch=True)
    0.15
    >>> set_price("my-tuned-model", ModelPrice(input=1.0, output=2.0, cached_input=0.1))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ..core.tokens import TokenUsage, TokenUsageLike

__all__ = ["PRICES_AS_OF", "ModelPrice", "estimate_cost", "price_for", "set_price"]

PRICES_AS_OF = date(2026, 11, 22)
"""The day the built-in table was last checked. Treat every figure as an estimate."""


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """US dollars per million tokens for one model."""

    input: float
    output: float
    cached_input: float
    batch_multiplier: float = 0.5


_PRICES: dict[str, ModelPrice] = {
    "gemini-2.5-pro": ModelPrice(input=1.25, output=10.00, cached_input=0.125),
    "gemini-2.5-flash": ModelPrice(input=0.30, output=2.50, cached_input=0.03),
    "gemini-2.5-flash-lite": ModelPrice(input=0.10, output=0.40, cached_input=0.01),
    "gemini-2.0-flash": ModelPrice(input=0.10, output=0.40, cached_input=0.025),
    "gemini-2.0-flash-lite": ModelPrice(input=0.075, output=0.30, cached_input=0.01875),
}


def set_price(model: str, price: ModelPrice) -> None:
    """Add or replace the price of ``model`` (and of its versioned names, e.g. ``<model>-001``)."""
    _PRICES[_bare(model)] = price


def price_for(model: str, prices: Mapping[str, ModelPrice] | None = None) -> ModelPrice | None:
    """The price of ``model``: an exact match, else the longest table entry the name starts with.

    ``models/`` prefixes and suffixes such as ``-001`` or ``-preview-09-2025`` are handled by the prefix match.
    Returns ``None`` for unknown models.
    """
    table = _PRICES if prices is None else prices
    name = _bare(model)
    if name in table:
        return table[name]
    matches = [key for key in table if name.startswith(key + "-")]
    return table[max(matches, key=len)] if matches else None


def estimate_cost(
    usage: TokenUsageLike | None,
    model: str,
    *,
    batch: bool = False,
    prices: Mapping[str, ModelPrice] | None = None,
) -> float | None:
    """Estimated US dollars for ``usage`` on ``model``; ``None`` when the model's price is unknown."""
    price = price_for(model, prices)
    if price is None:
        return None
    u = TokenUsage.coerce(usage)
    cached = min(u.cached_input_tokens, u.input_tokens)
    dollars = (
        (u.input_tokens - cached) * price.input
        + cached * price.cached_input
        + (u.output_tokens + u.thoughts_tokens) * price.output
    ) / 1_000_000
    if batch:
        dollars *= price.batch_multiplier
    return round(dollars, 10)


def _bare(model: str) -> str:
    return model.removeprefix("models/")
