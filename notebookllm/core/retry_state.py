"""Per-work-item state that lives across all attempts of that item.

The processor creates one :class:`RetryState` per work item and passes the same object to every
``execute(..., state=)`` and ``on_error(..., state=)`` call for that item, so a strategy can move between stages
(for example "full prompt" → "partial recovery") and count what it has spent.

Example:
    >>> state = RetryState()
    >>> state.set("stage", 2)
    >>> state.get("stage", 1), state.get("missing", "default")
    (2, 'default')
    >>> RetryState.from_dict(state.to_dict()).get("stage")
    2
"""

from __future__ import annotations

from typing import Any

__all__ = ["RetryState"]


class RetryState:
    """A small key/value store owned by one work item."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = dict(data) if data else {}

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        return self._data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` for this item's later attempts."""
        self._data[key] = value

    def clear(self) -> None:
        """Forget everything stored for this item."""
        self._data.clear()

    def to_dict(self) -> dict[str, Any]:
        """A shallow copy of the stored values, for logging or debugging."""
        return dict(self._data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RetryState:
        """A new state holding a copy of ``data``."""
        return cls(data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"RetryState({self._data!r})"
