"""Files: the resumable upload protocol, get/list/delete, and download of generated files (batch results).

Upload (as the SDK speaks it): ``POST /upload/{v}/files`` with ``X-Goog-Upload-Command: start`` answers with the
header ``X-Goog-Upload-URL`` (absolute, pointing back at the emulator); chunks are POSTed there with
``X-Goog-Upload-Command: upload[, finalize]`` and answered with ``X-Goog-Upload-Status`` (``active``/``final``);
the final answer's body is ``{"file": {...}}``.

>>> store = FileStore(clock=lambda: 0.0)
>>> session = store.start_upload({"file": {"mime_type": "jsonl", "display_name": "in"}})
>>> store.append(session, b'{"key": "a"}\\n', finalize=True, base_url="http://h")["file"]["sizeBytes"]
'13'
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any

from .clock import Clock, rfc3339
from .errors import ApiError
from .fields import pick
from .pagination import page

FILE_TTL_S = 48 * 3600.0


class _File:
    __slots__ = ("create_time", "data", "display_name", "generated", "mime_type", "name", "uri_base")

    def __init__(self, name: str, data: bytes, mime_type: str, display_name: str | None, now: float, base: str):
        self.name = name
        self.data = data
        self.mime_type = mime_type
        self.display_name = display_name
        self.create_time = now
        self.uri_base = base
        self.generated = False

    def resource(self, version: str = "v1beta") -> dict[str, Any]:
        resource: dict[str, Any] = {"name": self.name}
        if self.display_name:
            resource["displayName"] = self.display_name
        resource.update(
            mimeType=self.mime_type,
            sizeBytes=str(len(self.data)),
            createTime=rfc3339(self.create_time),
            updateTime=rfc3339(self.create_time),
            expirationTime=rfc3339(self.create_time + FILE_TTL_S),
            sha256Hash=base64.b64encode(hashlib.sha256(self.data).hexdigest().encode()).decode(),
            uri=f"{self.uri_base}/{version}/{self.name}",
            state="ACTIVE",
            source="GENERATED" if self.generated else "UPLOADED",
        )
        if self.generated:
            resource["downloadUri"] = f"{self.uri_base}/{version}/{self.name}:download?alt=media"
        return resource


class FileStore:
    """Uploaded and generated files, plus upload sessions in progress."""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self._clock = clock
        self._files: dict[str, _File] = {}
        self._sessions: dict[str, tuple[dict[str, Any], bytearray]] = {}

    def start_upload(self, body: dict[str, Any]) -> str:
        """Open an upload session for the ``{"file": {...}}`` start body; returns the session id."""
        session = uuid.uuid4().hex
        self._sessions[session] = (body.get("file") or {}, bytearray())
        return session

    def append(self, session: str, chunk: bytes, *, finalize: bool, base_url: str) -> dict[str, Any] | None:
        """Add a chunk; on ``finalize`` store the file and return ``{"file": {...}}``."""
        try:
            meta, data = self._sessions[session]
        except KeyError:
            raise ApiError.not_found("Upload session not found.") from None
        data += chunk
        if not finalize:
            return None
        del self._sessions[session]
        mime = pick(meta, "mimeType", "mime_type") or "application/octet-stream"
        display = pick(meta, "displayName", "display_name")
        name = meta.get("name") or f"files/{uuid.uuid4().hex[:12]}"
        stored = _File(name, bytes(data), mime, display, self._clock(), base_url)
        self._files[name] = stored
        return {"file": stored.resource()}

    def add_generated(self, name: str, data: bytes, mime_type: str, base_url: str) -> None:
        """Store a file the service produced (downloadable, like batch results)."""
        stored = _File(name, data, mime_type, None, self._clock(), base_url)
        stored.generated = True
        self._files[name] = stored

    def find(self, uri_or_name: str) -> _File | None:
        """The live file a ``fileData`` URI (``http://host/v1beta/files/abc``) or name points at, else ``None``."""
        name = "files/" + uri_or_name.rsplit("files/", 1)[-1]
        stored = self._files.get(name)
        if stored is not None and not stored.generated and self._clock() >= stored.create_time + FILE_TTL_S:
            del self._files[name]  # expired: the API deletes uploads after 48 hours
            return None
        return stored

    def get(self, name: str, version: str = "v1beta") -> dict[str, Any]:
        return self._file(name).resource(version)

    def data(self, name: str) -> bytes:
        return self._file(name).data

    def list(self, page_size: str | None, page_token: str | None, version: str) -> dict[str, Any]:
        live = [stored for name in list(self._files) if (stored := self.find(name)) is not None]
        items, next_token = page(live, page_size, page_token)
        result: dict[str, Any] = {"files": [f.resource(version) for f in items]}
        if next_token:
            result["nextPageToken"] = next_token
        return result

    def delete(self, name: str) -> None:
        self._file(name)
        del self._files[_full_name(name)]

    def _file(self, name: str) -> _File:
        stored = self.find(_full_name(name))
        if stored is None:
            raise ApiError.permission_denied(
                f"You do not have permission to access the File {name.removeprefix('files/')} or it may not exist."
            )
        return stored


def _full_name(name: str) -> str:
    return name if name.startswith("files/") else f"files/{name}"
