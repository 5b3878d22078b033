"""Input tokens of a media part, by the rules the Gemini API documents for its default media resolution.

* image: 258 tokens when both sides are at most 384 px, else 258 per 768×768 tile;
* audio: 32 tokens per second; video: 263 tokens per second;
* PDF: 258 tokens per page; text files: about four characters per token.

Sizes and durations are read from the file's header where that is cheap and exact (PNG, JPEG, WebP sizes;
WAV durations; PDF pages counted while the file is hashed); other audio and video durations are estimated from
the byte size at typical bitrates, so their counts are estimates. The emulator bills with these same rules.

Example:
    >>> image_tokens(300, 200), image_tokens(1000, 1000)
    (258, 1032)
    >>> count = PageCounter(); count.feed(b"<< /Type /Page >> << /Type /Pages >> << /Type/Page >>"); count.pages
    2
"""

from __future__ import annotations

import re
import struct

__all__ = ["PageCounter", "image_size", "image_tokens", "media_tokens"]

IMAGE_TILE_TOKENS = 258
SMALL_IMAGE_PX = 384
TILE_PX = 768
AUDIO_TOKENS_PER_S = 32
VIDEO_TOKENS_PER_S = 263
PDF_PAGE_TOKENS = 258
# Typical bitrates (bytes per second) for durations the header does not give cheaply.
_AUDIO_BYTES_PER_S = 16_000  # 128 kbit/s
_VIDEO_BYTES_PER_S = 250_000  # 2 Mbit/s
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_PAGE_OVERLAP = 32


def image_tokens(width: int, height: int) -> int:
    """Tokens of a ``width`` × ``height`` image."""
    if width <= SMALL_IMAGE_PX and height <= SMALL_IMAGE_PX:
        return IMAGE_TILE_TOKENS
    return -(-width // TILE_PX) * -(-height // TILE_PX) * IMAGE_TILE_TOKENS


def media_tokens(kind: str, head: bytes, size: int, pages: int | None = None) -> int:
    """Tokens of a part of ``kind`` (see :func:`notebookllm.media.mime.kind`) whose first bytes are ``head`` and
    whose length is ``size`` bytes; ``pages`` for a PDF (at least one page is assumed)."""
    if kind == "image":
        dims = image_size(head)
        return image_tokens(*dims) if dims else IMAGE_TILE_TOKENS
    if kind == "audio":
        seconds = _wav_seconds(head, size)
        if seconds is None:
            seconds = size / _AUDIO_BYTES_PER_S
        return max(1, round(seconds * AUDIO_TOKENS_PER_S))
    if kind == "video":
        return max(1, round(size / _VIDEO_BYTES_PER_S * VIDEO_TOKENS_PER_S))
    if kind == "pdf":
        return max(1, pages or 0) * PDF_PAGE_TOKENS
    return (size + 3) // 4


def image_size(head: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, JPEG or WebP header, else ``None``."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return struct.unpack(">II", head[16:24])
    if head[:3] == b"\xff\xd8\xff":
        return _jpeg_size(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    return None


class PageCounter:
    """Counts the page objects of a PDF fed in chunks (``/Type /Page``, not ``/Pages``)."""

    def __init__(self) -> None:
        self.pages = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        # A match inside the overlap kept from the last chunk was counted then; count only those ending later.
        self.pages += sum(1 for m in _PAGE.finditer(data) if m.end() > len(self._tail))
        self._tail = data[-_PAGE_OVERLAP:]


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(head):
        if head[pos] != 0xFF:
            return None
        marker = head[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", head[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _wav_seconds(head: bytes, size: int) -> float | None:
    """Duration of a WAV file from its ``fmt `` chunk's byte rate and the data length."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    byte_rate = None
    while pos + 8 <= len(head):
        chunk_id = head[pos : pos + 4]
        (length,) = struct.unpack("<I", head[pos + 4 : pos + 8])
        if chunk_id == b"fmt " and pos + 16 <= len(head):
            (byte_rate,) = struct.unpack("<I", head[pos + 16 : pos + 20])
        elif chunk_id == b"data" and byte_rate:
            return min(length, size - pos - 8) / byte_rate
        pos += 8 + length + (length & 1)
    return None
