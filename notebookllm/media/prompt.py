"""A prompt of text and files, in order: what a template row with file cells becomes.

:class:`MultimodalPrompt` is a ``str`` — its text form, where each file reads as ``<image/png photo.png 12.0 kB
sha256:…>`` — that also carries the parts. Everything that handles prompts as text keeps working on it (the
results table, dry runs, rate-limit estimates, run checkpoints, strategies that only take text), and the text
form already names each file by its content hash; the Gemini strategies send the parts.

Example:
    >>> prompt = MultimodalPrompt(["What is in ", b"%PDF-1.4 /Type /Page", "?"])
    >>> str(prompt)[:28], [type(p).__name__ for p in prompt.parts]
    ('What is in <application/pdf ', ['str', 'Media', 'str'])
    >>> prompt.media_tokens, input_tokens(prompt), input_tokens("four score")
    (258, 261, 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .file import Media, to_media

__all__ = ["MultimodalPrompt", "input_tokens"]


class MultimodalPrompt(str):
    """Text and files in order. ``parts`` holds ``str`` and :class:`~notebookllm.media.file.Media` items.

    Args:
        parts: strings and file-like values (``Path``, ``bytes``, :class:`~notebookllm.media.file.File`, a Pillow
            image, or :class:`~notebookllm.media.file.Media`); adjacent strings are joined, empty ones dropped.
    """

    parts: tuple[str | Media, ...]

    def __new__(cls, parts: Iterable[Any]) -> MultimodalPrompt:
        merged: list[str | Media] = []
        for part in parts:
            if isinstance(part, str):
                if not part:
                    continue
                if merged and isinstance(merged[-1], str):
                    merged[-1] += part
                    continue
                merged.append(str(part))
            else:
                merged.append(to_media(part))
        text = "".join(p if isinstance(p, str) else p.describe() for p in merged)
        prompt = super().__new__(cls, text)
        prompt.parts = tuple(merged)
        return prompt

    @property
    def media(self) -> tuple[Media, ...]:
        """The file parts, in order."""
        return tuple(p for p in self.parts if isinstance(p, Media))

    @property
    def media_tokens(self) -> int:
        """Input tokens the API bills for the files (text not included)."""
        return sum(p.tokens for p in self.media)

    @property
    def text_length(self) -> int:
        """Characters of text, the file descriptions not counted."""
        return sum(len(p) for p in self.parts if isinstance(p, str))

    def __reduce__(self) -> tuple[Any, ...]:
        return (MultimodalPrompt, (self.parts,))


def input_tokens(prompt: str) -> int:
    """Estimated input tokens of a prompt: about four characters per token of text, plus what its files bill."""
    if isinstance(prompt, MultimodalPrompt):
        return prompt.text_length // 4 + prompt.media_tokens
    return len(prompt) // 4
