"""Reading request fields under either spelling.

The real API's proto-JSON parser accepts camelCase and snake_case field names alike, and the SDK relies on it: it
sends top-level fields in camelCase but serialises nested pydantic objects (``thinkingConfig``, the upload's
``file``) in snake_case. Every handler reads fields through :func:`pick` so both spellings work everywhere.

>>> pick({"display_name": "x"}, "displayName", "display_name")
'x'
>>> pick({"displayName": "", "display_name": "y"}, "displayName", "display_name")
''
"""

from __future__ import annotations

from typing import Any

__all__ = ["pick"]


def pick(body: dict[str, Any], camel: str, snake: str) -> Any:
    """``body[camel]`` if present and not null, else ``body.get(snake)``."""
    value = body.get(camel)
    return body.get(snake) if value is None else value
