"""Which media the Gemini API accepts, and what a file is, read from its first bytes (then its extension).

Content wins over the extension: a PNG saved as ``photo.jpg`` is ``image/png``. Plain-text kinds (``.txt``,
``.csv``, ``.md``, ...) have no signature, so they come from the extension, and only when the bytes are UTF-8.

Example:
    >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8), "photo.jpg")
    'image/png'
    >>> sniff(b"hello", "notes.txt")
    'text/plain'
    >>> kind("audio/wav")
    'audio'
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

__all__ = ["SUPPORTED", "kind", "normalise", "sniff"]

#: MIME type → kind, as the Gemini API documents its multimodal inputs (image, audio, video and document
#: understanding). Anything else is refused before a request is sent.
SUPPORTED: dict[str, str] = {
    **dict.fromkeys(("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"), "image"),
    **dict.fromkeys(
        ("audio/wav", "audio/mp3", "audio/mpeg", "audio/aiff", "audio/aac", "audio/ogg", "audio/flac"), "audio"
    ),
    **dict.fromkeys(
        (
            "video/mp4",
            "video/mpeg",
            "video/mov",
            "video/avi",
            "video/x-flv",
            "video/mpg",
            "video/webm",
            "video/wmv",
            "video/3gpp",
        ),
        "video",
    ),
    "application/pdf": "pdf",
    **dict.fromkeys(
        (
            "text/plain",
            "text/csv",
            "text/html",
            "text/css",
            "text/md",
            "text/xml",
            "text/rtf",
            "text/javascript",
            "text/x-python",
        ),
        "text",
    ),
}

# Names the standard library gives that the API spells differently.
_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/x-aiff": "audio/aiff",
    "audio/x-flac": "audio/flac",
    "video/quicktime": "video/mov",
    "video/x-msvideo": "video/avi",
    "video/x-ms-wmv": "video/wmv",
    "text/markdown": "text/md",
    "application/xml": "text/xml",
    "application/rtf": "text/rtf",
    "application/javascript": "text/javascript",
    "text/x-script.python": "text/x-python",
    "image/jpg": "image/jpeg",
}
_EXTENSIONS = {".md": "text/md", ".py": "text/x-python", ".heic": "image/heic", ".heif": "image/heif"}

# (offset, signature, MIME type); RIFF and ISO-BMFF containers are told apart by the brand that follows.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"ID3", "audio/mp3"),
    (0, b"FLV", "video/x-flv"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "video/wmv"),
    (0, b"\x00\x00\x01\xba", "video/mpeg"),
    (0, b"\x00\x00\x01\xb3", "video/mpeg"),
    (0, b"GIF8", "image/gif"),
    (0, b"BM", "image/bmp"),
)
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/avi"}
_FTYP = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heif", b"qt  ": "video/mov"}


def sniff(head: bytes, name: str | None = None) -> str | None:
    """The MIME type of a file from its first bytes, else from ``name``'s extension; ``None`` if unknown.

    The answer may be a type the API does not accept (``image/gif``); check it with :func:`kind`.
    """
    found = _from_content(head)
    if found is not None:
        return found
    if name is None:
        return None
    suffix = PurePath(name).suffix.lower()
    guessed = _EXTENSIONS.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]
    if guessed is None:
        return None
    guessed = _ALIASES.get(guessed, guessed)
    if SUPPORTED.get(guessed) == "text" and not _is_utf8(head):
        return "application/octet-stream"
    return guessed


def kind(mime_type: str) -> str | None:
    """``"image"``, ``"audio"``, ``"video"``, ``"pdf"`` or ``"text"`` for a type the API accepts, else ``None``."""
    base = mime_type.split(";", 1)[0].strip().lower()
    return SUPPORTED.get(_ALIASES.get(base, base))


def normalise(mime_type: str) -> str:
    """The API's spelling of ``mime_type`` (``audio/x-wav`` → ``audio/wav``), parameters dropped."""
    base = mime_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def _from_content(head: bytes) -> str | None:
    for offset, signature, mime in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return mime
    if head[:4] == b"RIFF":
        return _RIFF.get(head[8:12])
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"3g"):
            return "video/3gpp"
        return _FTYP.get(brand, "video/mp4")
    if head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mp3"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "audio/aac"
    return None


def _is_utf8(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data"  # a character cut in two at the end of the head is fine
    return True
