"""Token accounting shared by every layer.

A strategy reports what one attempt billed as a :class:`TokenUsage` or as a plain dict with the same keys;
:meth:`TokenUsage.coerce` accepts both. ``input_tokens`` *includes* ``cached_input_tokens``, as the Gemini API
counts them (``promptTokenCount`` includes ``cachedContentTokenCount``).

Example:
    >>> TokenUsage(input_tokens=10, output_tokens=5) + {"input_tokens": 2, "cached_input_tokens": 1}
    TokenUsage(input_tokens=12, output_tokens=5, total_tokens=17, cached_input_tokens=1, thoughts_tokens=0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["TokenUsage", "TokenUsageLike", "format_usd"]

_FIELDS = ("input_tokens", "output_tokens", "total_tokens", "cached_input_tokens", "thoughts_tokens")


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens billed by one attempt, or summed over many.

    ``total_tokens`` defaults to input + output + thoughts when not given (or given as 0).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_input_tokens: int = 0
    thoughts_tokens: int = 0

    def __post_init__(self) -> None:
        i, o, c, t = self.input_tokens, self.output_tokens, self.cached_input_tokens, self.thoughts_tokens
        # Fast path first (exact ints): this runs for every attempt of every item.
        if not (
            type(i) is int
            and type(o) is int
            and type(c) is int
            and type(t) is int
            and type(self.total_tokens) is int
            and min(i, o, c, t, self.total_tokens) >= 0
        ):
            self._check()
        if not self.total_tokens:
            object.__setattr__(self, "total_tokens", i + o + t)

    def _check(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"TokenUsage.{name} must be a non-negative int, got {value!r}")

    @classmethod
    def coerce(cls, value: TokenUsageLike | None) -> TokenUsage:
        """Return ``value`` as a TokenUsage; ``None`` is zero usage, unknown dict keys are ignored.

        Dict values that are ``None`` count as 0, because the Gemini API omits zero counts.
        """
        if value is None:
            return ZERO_USAGE
        if isinstance(value, TokenUsage):
            return value
        if isinstance(value, Mapping):
            get = value.get
            return cls(
                int(get("input_tokens") or 0),
                int(get("output_tokens") or 0),
                int(get("total_tokens") or 0),
                int(get("cached_input_tokens") or 0),
                int(get("thoughts_tokens") or 0),
            )
        raise TypeError(f"token usage must be a TokenUsage, a dict or None, got {type(value).__name__}")

    def __add__(self, other: TokenUsageLike | None) -> TokenUsage:
        o = TokenUsage.coerce(other)
        return TokenUsage(
            input_tokens=self.input_tokens + o.input_tokens,
            output_tokens=self.output_tokens + o.output_tokens,
            total_tokens=self.total_tokens + o.total_tokens,
            cached_input_tokens=self.cached_input_tokens + o.cached_input_tokens,
            thoughts_tokens=self.thoughts_tokens + o.thoughts_tokens,
        )

    __radd__ = __add__

    def to_dict(self) -> dict[str, int]:
        """The five counts as a plain dict (the shape strategies may return)."""
        return {k: getattr(self, k) for k in _FIELDS}


ZERO_USAGE = TokenUsage()

TokenUsageLike = TokenUsage | Mapping[str, Any]


def format_usd(value: float | None) -> str:
    """``$0.0123``; fractions of a cent keep six decimals; ``None`` is ``unknown``."""
    if value is None:
        return "unknown"
    # Emulated and small runs cost fractions of a cent: keep their digits visible.
    return f"${value:,.4f}" if value >= 0.01 or value == 0 else f"${value:.6f}"
