"""The files of a :class:`~notebookllm.media.MultimodalPrompt` as Gemini ``Part``\\ s: inline when the request
stays under the API's inline size limit, else uploaded through the Files API once per content hash.

* **Inline or uploaded.** The API takes inline data up to a total request size of 20 MB. A request's files are
  inlined smallest first while the request (base64 grows bytes by 4/3) stays under that; the rest are uploaded.
  A file already uploaded is always sent by URI: the request is smaller and the upload is paid for.
* **Once per content.** Uploads are keyed by the file's SHA-256 and remembered in the store
  (:class:`~notebookllm.store.UploadMemory`) with their expiry (48 h), so a file used by 100 rows, or by a later
  run, is uploaded once; rows needing an upload already under way wait for it. Past expiry it is uploaded again.
* **Streamed.** A file on disk is handed to the SDK by path, which sends it in chunks; nothing reads it whole.
* **Gone early.** If the API answers that an uploaded file does not exist (deleted, or the account changed), the
  upload is forgotten and the request sent again with a new upload, within the same attempt.

Example:
    >>> media = MediaParts(client)                                         # doctest: +SKIP
    >>> await media.prepare(prompt)         # uploads what must be uploaded  # doctest: +SKIP
    >>> media.parts(prompt)                 # [Part(text=...), Part(file_data=...), ...]  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from google import genai
from google.genai import errors, types

from ..media import Media, MultimodalPrompt
from ..store.uploads import Upload, UploadMemory
from .connection import account_of

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["INLINE_REQUEST_LIMIT_BYTES", "MediaParts", "fingerprint_contents"]

#: The API's limit on a request carrying inline data.
INLINE_REQUEST_LIMIT_BYTES = 20 * 1000 * 1000
_FILE_TTL_S = 48 * 3600.0
_MISSING_FILE = "or it may not exist"

T = TypeVar("T")


def fingerprint_contents(prompt: MultimodalPrompt) -> list[dict[str, Any]]:
    """The user turn of ``prompt`` as the response cache keys it: text, and each file by content hash and type
    (never by path, inline bytes or upload URI: a moved file is the same request, a changed one is not)."""
    parts = [{"text": p} if isinstance(p, str) else {"media": p.identity()} for p in prompt.parts]
    return [{"role": "user", "parts": parts}]


class MediaParts:
    """Builds and uploads the file parts of one strategy's prompts (one per strategy; shared by its items).

    Args:
        client: the ``genai.Client`` the strategy calls.
        store: the store whose ``media_uploads`` table remembers uploads (default: the project store, opened on
            the first upload).
        clock: epoch seconds for upload expiry (tests pass the emulator's clock).
        inline_limit: the request size above which files are uploaded instead of inlined.
    """

    def __init__(
        self,
        client: genai.Client,
        *,
        store: Store | None = None,
        clock: Callable[[], float] = time.time,
        inline_limit: int = INLINE_REQUEST_LIMIT_BYTES,
    ) -> None:
        self._client = client
        self._store = store
        self._clock = clock
        self._memory: UploadMemory | None = None
        self._known: dict[str, Upload] | None = None  # the store's valid uploads, read once
        self.inline_limit = inline_limit
        self._uploaded: dict[str, types.Part] = {}
        self._names: dict[str, str] = {}
        self._in_flight: dict[str, asyncio.Future[types.Part]] = {}  # uploads under way, by content hash
        self.uploads = 0
        """Files uploaded by this object (uploads found in the store not counted)."""

    def use_store(self, store: Store) -> None:
        """Remember uploads in ``store`` from now on (``nl.run`` passes the run's store)."""
        if store is not self._store:
            self._store = store
            self._memory = None
            self._known = None

    @property
    def memory(self) -> UploadMemory:
        """The upload memory: the ``media_uploads`` table of the store (the project store by default)."""
        if self._memory is None:
            self._memory = UploadMemory(self._store, clock=self._clock)
        return self._memory

    async def send(self, prompt: MultimodalPrompt, request: Callable[[], Awaitable[T]]) -> T:
        """Prepare ``prompt``'s files and run ``request()``; if the API says an uploaded file is gone, forget it,
        upload again and run ``request()`` once more."""
        await self.prepare(prompt)
        try:
            return await request()
        except errors.ClientError as exc:
            message = str(exc)
            gone = [m for m in prompt.media if _file_id(self._names.get(m.sha256)) in message]  # type: ignore[arg-type]
            if not gone or _MISSING_FILE not in message:
                raise
            for media in gone:
                self._forget(media)
            await self.prepare(prompt)
            return await request()

    async def prepare(self, prompt: MultimodalPrompt) -> None:
        """Upload the files of ``prompt`` that do not fit inline (or find their earlier uploads)."""
        await asyncio.gather(*(self._upload(m) for m in self._to_upload(prompt)))

    async def prepare_many(self, prompts: Iterable[Any]) -> None:
        """Upload every file of the multimodal ``prompts``, whatever its size (concurrently, each content once):
        a batch job's requests carry files by URI."""
        media = {m.sha256: m for p in prompts if isinstance(p, MultimodalPrompt) for m in p.media if m.sha256}
        await asyncio.gather(*(self._upload(m) for m in media.values()))

    def parts(self, prompt: MultimodalPrompt) -> list[types.Part]:
        """The parts to send: text, uploaded files by URI, the others inline (read now; they are small)."""
        return [self._part(p) for p in prompt.parts]

    # ------------------------------------------------------------------------------------------------ helpers
    def _part(self, part: str | Media) -> types.Part:
        if isinstance(part, str):
            return types.Part(text=part)
        if part.uri is not None:
            return types.Part(file_data=types.FileData(file_uri=part.uri, mime_type=part.mime_type))
        uploaded = self._uploaded.get(part.sha256)  # type: ignore[arg-type]
        if uploaded is not None:
            return uploaded
        return types.Part(inline_data=types.Blob(data=part.read(), mime_type=part.mime_type))

    def _to_upload(self, prompt: MultimodalPrompt) -> list[Media]:
        local = [m for m in dict.fromkeys(prompt.media) if m.sha256 is not None]
        for media in local:  # a kernel kept open for days outlives its uploads
            known = (self._known or {}).get(media.sha256)  # type: ignore[arg-type]
            if known is not None and not self.memory.usable(known):
                self._forget_here(media)
                self._known = None  # read the store again: another run may have uploaded it since
        pending = [m for m in local if m.sha256 not in self._uploaded]
        size = sum(len(p.encode()) for p in prompt.parts if isinstance(p, str))
        inline: set[Media] = set()
        for media in sorted(pending, key=lambda m: m.size):
            grown = size + -(-media.size // 3) * 4
            if grown > self.inline_limit:
                break
            size = grown
            inline.add(media)
        return [m for m in pending if m not in inline]

    async def _upload(self, media: Media) -> types.Part:
        """The file's URI part: known, found in the store, or uploaded — once, however many rows wait for it.

        The upload runs as a task of its own, so a row whose attempt times out or is cancelled while it waits does
        not cancel the upload the other rows are waiting for."""
        key = media.sha256
        assert key is not None
        if key in self._uploaded:
            return self._uploaded[key]
        task = self._in_flight.get(key)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(self._find_or_upload(media))
            self._in_flight[key] = task
            task.add_done_callback(functools.partial(self._settled, key))
        return await asyncio.shield(task)

    def _settled(self, key: str, task: asyncio.Future[types.Part]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # the waiters re-raise it; no "exception never retrieved" if none is left

    async def _find_or_upload(self, media: Media) -> types.Part:
        memory = self.memory
        account = self._account()
        if self._known is None:  # one short query, on the loop: concurrent rows must not each start one
            self._known = memory.valid(account)
        known = self._known.get(media.sha256)  # type: ignore[arg-type]
        if known is None or not memory.usable(known):
            known = await self._send_upload(media, account, memory.now())
            self._known[known.sha256] = known
            await asyncio.to_thread(memory.remember, known)
        self._names[media.sha256] = known.name  # type: ignore[index]
        part = types.Part(file_data=types.FileData(file_uri=known.uri, mime_type=known.mime_type))
        self._uploaded[media.sha256] = part  # type: ignore[index]
        return part

    async def _send_upload(self, media: Media, account: str, now: float) -> Upload:
        config = types.UploadFileConfig(mime_type=media.mime_type, display_name=media.name)
        source: Any = media.path if media.path is not None else media.open()
        uploaded = await self._client.aio.files.upload(file=source, config=config)
        self.uploads += 1
        expires = uploaded.expiration_time.timestamp() if uploaded.expiration_time is not None else now + _FILE_TTL_S
        return Upload(
            sha256=media.sha256,  # type: ignore[arg-type]
            account=account,
            name=str(uploaded.name),
            uri=str(uploaded.uri),
            mime_type=uploaded.mime_type or media.mime_type,
            size=media.size,
            uploaded_at=now,
            expires_at=expires,
        )

    def _forget(self, media: Media) -> None:
        self._forget_here(media)
        self.memory.forget(media.sha256, self._account())  # type: ignore[arg-type]

    def _forget_here(self, media: Media) -> None:
        self._uploaded.pop(media.sha256, None)  # type: ignore[arg-type]
        self._names.pop(media.sha256, None)  # type: ignore[arg-type]
        if self._known is not None:
            self._known.pop(media.sha256, None)  # type: ignore[arg-type]

    def _account(self) -> str:
        """Which Files API store an upload lives in: the endpoint and a digest of the key (never the key)."""
        base, key = account_of(self._client)
        return f"{base}#{key or ''}"


def _file_id(name: str | None) -> str:
    """``abc`` of ``files/abc`` (how the API names a missing file in its message); never matches for ``None``."""
    return name.removeprefix("files/") if name else "\x00"
