"""File parts of a request: ``inlineData`` (base64 bytes) and ``fileData`` (an uploaded file's URI).

Each is checked as the real API checks it — a MIME type it does not accept is a 400 INVALID_ARGUMENT
("Unsupported MIME type: ..."), a URI naming no file (never uploaded, deleted, or past its 48 hours) is the
403 PERMISSION_DENIED the Files API gives for it — and billed by the API's documented media rules (shared with
the client-side estimate in :mod:`notebookllm.media.tokens`: the one standard-library module both sides read).

>>> from notebookllm.emulator.files import FileStore
>>> files = FileStore(clock=lambda: 0.0)
>>> png = {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAyAAAAJY"}}
>>> media_part(png, files).tokens, media_part(png, files).describe()
(516, 'image/png 800x600 sha256:1aaa82a8')
>>> media_part({"inlineData": {"mimeType": "image/gif", "data": "R0lGOA=="}}, files)
Traceback (most recent call last):
...
notebookllm.emulator.errors.ApiError: 400 INVALID_ARGUMENT: Unsupported MIME type: image/gif
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from ..media.mime import kind
from ..media.tokens import PageCounter, image_size, media_tokens
from .errors import ApiError
from .fields import pick
from .files import FileStore

__all__ = ["MediaPart", "is_media", "media_part", "media_parts", "without_media"]

_HEAD = 64 * 1024
_BAD_BASE64 = "Invalid value at 'contents.parts.inline_data.data' (TYPE_BYTES), Base64 decoding failed."


@dataclass(frozen=True)
class MediaPart:
    """A file part as received: its type, content digest and the tokens it bills."""

    mime_type: str
    sha256: str
    size: int
    tokens: int
    dims: tuple[int, int] | None

    def describe(self) -> str:
        """``image/png 800x600 sha256:ab26b7c2``: how replies mention the file (deterministic in its content)."""
        size = f" {self.dims[0]}x{self.dims[1]}" if self.dims else f" {self.size} bytes"
        return f"{self.mime_type}{size} sha256:{self.sha256[:8]}"


def is_media(part: dict[str, Any]) -> bool:
    """Whether a part carries a file (inline or by URI)."""
    return any(key in part for key in ("inlineData", "inline_data", "fileData", "file_data"))


def media_part(part: dict[str, Any], files: FileStore) -> MediaPart:
    """Read and check one file part; raises :class:`ApiError` as the API would."""
    inline = pick(part, "inlineData", "inline_data")
    if inline is not None:
        mime = str(pick(inline, "mimeType", "mime_type") or "")
        _check_type(mime)
        data = _decode(str(inline.get("data") or ""))
    else:
        ref = pick(part, "fileData", "file_data") or {}
        uri = str(pick(ref, "fileUri", "file_uri") or "")
        if not uri:
            raise ApiError.invalid("* GenerateContentRequest.contents.parts.file_data.file_uri: file_uri is required")
        stored = files.find(uri)
        if stored is None:
            name = uri.rsplit("/files/", 1)[-1]
            raise ApiError.permission_denied(
                f"You do not have permission to access the File {name} or it may not exist."
            )
        mime = str(pick(ref, "mimeType", "mime_type") or stored.mime_type)
        _check_type(mime)
        data = stored.data
    media_kind = kind(mime) or "image"
    pages = None
    if media_kind == "pdf":
        counter = PageCounter()
        counter.feed(data)
        pages = counter.pages
    head = data[:_HEAD]
    tokens = media_tokens(media_kind, head, len(data), pages)
    dims = image_size(head) if media_kind == "image" else None
    return MediaPart(mime, hashlib.sha256(data).hexdigest(), len(data), tokens, dims)


def media_parts(contents: list[dict[str, Any]] | None, files: FileStore) -> list[MediaPart]:
    """Every file part of ``contents``, in order, read and checked."""
    return [
        media_part(part, files) for content in contents or () for part in content.get("parts") or () if is_media(part)
    ]


def without_media(contents: list[dict[str, Any]] | None, seen: list[MediaPart]) -> list[dict[str, Any]]:
    """``contents`` with each file part replaced by its content digest: the same file inline or uploaded (under
    any URI) is the same request."""
    digests = iter(seen)
    return [
        {
            **content,
            "parts": [{"media": next(digests).sha256} if is_media(p) else p for p in content.get("parts") or ()],
        }
        for content in contents or ()
    ]


def _check_type(mime: str) -> None:
    if kind(mime) is None:
        raise ApiError.invalid(f"Unsupported MIME type: {mime}")


def _decode(data: str) -> bytes:
    # The SDK sends base64url; the REST docs show standard base64. Accept both, padding optional.
    text = data.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError.invalid(
            "Invalid value at 'contents.parts.inline_data.data' (TYPE_BYTES), Base64 decoding failed."
        ) from None
