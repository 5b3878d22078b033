"""Files as prompt parts: :class:`File` (what a user writes) and :class:`Media` (a checked, hashed file).

A DataFrame cell holding a ``pathlib.Path``, ``bytes``, a Pillow image or ``nl.File(...)`` becomes a
:class:`Media` through :func:`to_media`: the file is checked (exists, is a file, readable, within the API's size
limit, a type the API accepts), its MIME type read from its content, and its content hashed (SHA-256, streamed
from disk in 1 MiB chunks, so a large file is never held in memory). The hash, not the path, identifies the file
from then on: in the response cache, in the upload memory and in the request a batch job carries.

Example:
    >>> media = to_media(b"%PDF-1.4 /Type /Page ...")
    >>> media.mime_type, media.kind, media.tokens
    ('application/pdf', 'pdf', 258)
    >>> to_media(File("https://generativelanguage.googleapis.com/v1beta/files/abc", mime_type="image/png")).uri
    'https://generativelanguage.googleapis.com/v1beta/files/abc'
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO, Any

from .mime import kind, normalise, sniff
from .tokens import PageCounter, media_tokens

__all__ = ["MAX_FILE_BYTES", "File", "Media", "MediaError", "is_media_value", "media_key", "to_media", "to_media_all"]

#: The Files API takes files up to 2 GB.
MAX_FILE_BYTES = 2 * 1024**3
_CHUNK = 1024 * 1024
_HEAD = 64 * 1024
_URI_PREFIXES = ("https://", "http://", "gs://")
_ACCEPTED = "PNG, JPEG, WebP, HEIC/HEIF images, PDF, plain text, and the common audio and video formats"


class MediaError(ValueError):
    """A file cannot be part of a prompt (missing, a directory, unreadable, too large, an unsupported type)."""


class File:
    """A file to put into a prompt: a local path, a URI the API can read (a Files API URI such as
    ``https://generativelanguage.googleapis.com/v1beta/files/abc``, or ``gs://...``), or bytes.

    Args:
        source: the path (``str`` or ``Path``), the URI, or the content as ``bytes``.
        mime_type: the MIME type, when it should not be read from the content and the extension (required for
            a URI whose extension does not tell).
        name: what to call it in messages and in ``results.df`` (default: the file name).

    Example:
        >>> df["photo"] = [nl.File("shots/a.heic"), nl.File("shots/b.png")]  # doctest: +SKIP
    """

    __slots__ = ("mime_type", "name", "source")

    def __init__(
        self, source: str | os.PathLike[str] | bytes, mime_type: str | None = None, *, name: str | None = None
    ):
        if not isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
            raise MediaError(f"File takes a path, a URI or bytes, got {type(source).__name__}")
        self.source: str | Path | bytes = bytes(source) if isinstance(source, (bytearray, memoryview)) else source
        if isinstance(source, os.PathLike):
            self.source = Path(source)
        self.mime_type = mime_type
        self.name = name

    @property
    def is_uri(self) -> bool:
        return isinstance(self.source, str) and self.source.startswith(_URI_PREFIXES)

    def __repr__(self) -> str:
        shown = f"<{len(self.source)} bytes>" if isinstance(self.source, bytes) else repr(str(self.source))
        mime = f", mime_type={self.mime_type!r}" if self.mime_type else ""
        return f"File({shown}{mime})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, File):
            return NotImplemented
        return (self.source, self.mime_type) == (other.source, other.mime_type)

    def __hash__(self) -> int:
        return hash((self.source, self.mime_type))


@dataclass(frozen=True, eq=False)
class Media:
    """A checked file, identified by its content: what a prompt part holds once the input rows are built.

    Attributes:
        mime_type: as the API spells it (``image/png``, ``audio/wav``, ``application/pdf``, ...).
        kind: ``image``, ``audio``, ``video``, ``pdf`` or ``text``.
        size: bytes (0 for a URI).
        sha256: hex digest of the content (``None`` for a URI: the API holds the content).
        tokens: input tokens the API bills for it (see :mod:`notebookllm.media.tokens`).
        name: the file name, for messages and display.
        path / data / uri: where the content is: a local file, bytes in memory, or a URI.
    """

    mime_type: str
    kind: str
    size: int
    sha256: str | None
    tokens: int
    name: str
    path: str | None = None
    data: bytes | None = field(default=None, repr=False)
    uri: str | None = None

    def identity(self) -> dict[str, Any]:
        """What identifies the content in a request fingerprint: its hash (or URI) and type, never its path."""
        if self.sha256 is not None:
            return {"mime_type": self.mime_type, "sha256": self.sha256}
        return {"mime_type": self.mime_type, "uri": self.uri}

    def describe(self) -> str:
        """How the file reads inside the text form of a prompt: ``<image/png photo.png 1.2 MB sha256:0123…>``."""
        where = f"sha256:{self.sha256[:16]}" if self.sha256 else self.uri
        size = f" {_human(self.size)}" if self.size else ""
        return f"<{self.mime_type} {self.name}{size} {where}>"

    def open(self) -> IO[bytes]:
        """The content as a binary stream (a file handle for a path: read as it is sent, not loaded whole)."""
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.path is None:
            raise MediaError(f"{self.name} is a URI; the API reads it, there is no local content")
        return open(self.path, "rb")

    def read(self) -> bytes:
        """The whole content (for inline parts, which are small)."""
        with self.open() as stream:
            return stream.read()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Media):
            return NotImplemented
        return self.identity() == other.identity()

    def __hash__(self) -> int:
        return hash((self.mime_type, self.sha256, self.uri))


def is_media_value(value: Any) -> bool:
    """Whether a cell value is meant as a file: a ``Path``, ``bytes``, a :class:`File` or a Pillow image."""
    if isinstance(value, str):  # the common cell, answered first: this runs for every cell of a text column
        return False
    return isinstance(value, (PurePath, bytes, bytearray, memoryview, File, Media)) or _is_pil_image(value)


def to_media(value: Any, cache: dict[Any, Media] | None = None) -> Media:
    """Check and hash a file-like value (see :func:`is_media_value`).

    ``cache`` (path and file status → Media) lets the rows of one run that name the same file (under different
    spellings) hash it once.

    Raises:
        MediaError: the file does not exist, is a directory, cannot be read, is empty, is over the Files API's
            2 GB, or is of a type the API does not accept.
    """
    if isinstance(value, Media):
        return value
    if isinstance(value, File):
        file = value
    elif _is_pil_image(value):
        file = File(_pil_png(value), "image/png", name=f"{type(value).__name__} {value.width}x{value.height}")
    else:
        file = File(value)
    if file.is_uri:
        return _uri_media(file)
    if isinstance(file.source, bytes):
        return _bytes_media(file)
    return _path_media(file, cache)


def media_key(value: Any) -> Hashable:
    """What :func:`to_media_all` files a value's result under (the value, or its id if it is not hashable)."""
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def to_media_all(values: Iterable[Any]) -> dict[Hashable, Media | MediaError]:
    """:func:`to_media` of every distinct file-like value, hashed on a few threads (hashing and reading release
    the GIL, so files are hashed on every core); each result, or the error, filed under :func:`media_key`."""
    distinct = {media_key(v): v for v in values if is_media_value(v)}
    cache: dict[Any, Media] = {}

    def resolve(value: Any) -> Media | MediaError:
        try:
            return to_media(value, cache)
        except MediaError as exc:
            return exc

    workers = min(len(distinct), os.cpu_count() or 1, 8)
    if workers <= 1:
        return {key: resolve(value) for key, value in distinct.items()}
    with ThreadPoolExecutor(workers, thread_name_prefix="notebookllm-hash") as pool:
        return dict(zip(distinct, pool.map(resolve, distinct.values()), strict=True))


def _uri_media(file: File) -> Media:
    uri = str(file.source)
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    mime = file.mime_type or sniff(b"", name)
    if mime is None:
        raise MediaError(f"{uri}: pass mime_type= (the URI's name does not tell the type)")
    media_kind = _checked_kind(mime, name)
    return Media(normalise(mime), media_kind, 0, None, media_tokens(media_kind, b"", 0), name, uri=uri)


def _bytes_media(file: File) -> Media:
    data = file.source
    assert isinstance(data, bytes)
    name = file.name or "bytes"
    if not data:
        raise MediaError(f"{name}: the content is empty")
    mime = file.mime_type or sniff(data[:_HEAD])
    if mime is None:
        raise MediaError(f"{name}: the type of these bytes cannot be told; pass nl.File(data, mime_type=...)")
    media_kind = _checked_kind(mime, name)
    pages = None
    if media_kind == "pdf":
        counter = PageCounter()
        counter.feed(data)
        pages = counter.pages
    tokens = media_tokens(media_kind, data[:_HEAD], len(data), pages)
    digest = hashlib.sha256(data).hexdigest()
    return Media(normalise(mime), media_kind, len(data), digest, tokens, name, data=data)


def _path_media(file: File, cache: dict[Any, Media] | None) -> Media:
    path = Path(file.source).expanduser()  # type: ignore[arg-type]
    try:
        status = path.stat()
    except FileNotFoundError:
        raise MediaError(f"file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise MediaError(f"file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise MediaError(f"{str(path)!r} is a directory, not a file")
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns, status.st_ino, file.mime_type)
    if cache is not None and key in cache:
        return cache[key]
    if status.st_size == 0:
        raise MediaError(f"file {str(path)!r} is empty")
    if status.st_size > MAX_FILE_BYTES:
        raise MediaError(
            f"file {str(path)!r} is {_human(status.st_size)}; the Gemini Files API takes at most "
            f"{_human(MAX_FILE_BYTES)} per file"
        )
    try:
        media = _hash_file(path, file)
    except OSError as exc:
        raise MediaError(f"file {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    if cache is not None:
        cache[key] = media
    return media


def _hash_file(path: Path, file: File) -> Media:
    """Type, hash and tokens in one streamed pass over the file."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        head = stream.read(_HEAD)
        mime = file.mime_type or sniff(head, path.name)
        if mime is None:
            raise MediaError(f"file {str(path)!r}: its type cannot be told; pass nl.File(path, mime_type=...)")
        media_kind = _checked_kind(mime, str(path))
        counter = PageCounter() if media_kind == "pdf" else None
        chunk = head
        size = 0
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            if counter is not None:
                counter.feed(chunk)
            chunk = stream.read(_CHUNK)
    tokens = media_tokens(media_kind, head, size, counter.pages if counter else None)
    name = file.name or path.name
    return Media(normalise(mime), media_kind, size, digest.hexdigest(), tokens, name, path=str(path))


def _checked_kind(mime: str, where: str) -> str:
    media_kind = kind(mime)
    if media_kind is None:
        raise MediaError(
            f"{where!r} is {mime}, which Gemini does not accept (it takes {_ACCEPTED}); convert it first, "
            "or pass nl.File(..., mime_type=...) if the type was misread"
        )
    return media_kind


def _is_pil_image(value: Any) -> bool:
    # Duck-typed on the module so that Pillow stays optional and is never imported here.
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "width")


def _pil_png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _human(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    value, unit = next((size / 1000**n, u) for n, u in ((3, "GB"), (2, "MB"), (1, "kB")) if size >= 1000**n)
    return f"{value:.1f} {unit}"
