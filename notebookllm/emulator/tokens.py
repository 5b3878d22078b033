"""Deterministic token counting: about four characters per token, like Gemini's English average; file parts
by the API's media rules when the server's files are at hand (see :mod:`notebookllm.emulator.media`).

>>> count_text("Hello, world!")
4
>>> count_contents([{"role": "user", "parts": [{"text": "Hello, world!"}]}])
4
"""

from __future__ import annotations

from typing import Any

from .files import FileStore
from .media import is_media, media_part

# What the real API bills for one image or media reference at default resolution (when the file is not read).
MEDIA_PART_TOKENS = 258


def count_text(text: str) -> int:
    """Tokens in ``text``: ceil(len / 4), 0 for an empty string."""
    return (len(text) + 3) // 4


def count_parts(parts: list[dict[str, Any]] | None, files: FileStore | None = None) -> int:
    """Tokens of parts; with ``files``, file parts are read, checked (ApiError as the API) and measured."""
    total = 0
    for part in parts or ():
        text = part.get("text")
        if text is not None:
            total += count_text(text)
        elif is_media(part):
            total += media_part(part, files).tokens if files is not None else MEDIA_PART_TOKENS
        else:
            # function calls/responses and other structured parts: bill their JSON size
            total += count_text(str(part))
    return total


def count_contents(contents: list[dict[str, Any]] | None, files: FileStore | None = None) -> int:
    """Tokens in a list of Content objects (``{"role", "parts"}``)."""
    return sum(count_parts(content.get("parts"), files) for content in contents or ())


def count_content(content: dict[str, Any] | None) -> int:
    """Tokens in one Content (e.g. a systemInstruction); 0 for ``None``."""
    return count_parts(content.get("parts")) if content else 0
