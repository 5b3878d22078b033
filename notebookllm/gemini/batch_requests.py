"""The requests of a batch job: built by the strategy exactly as its online calls, each under its own key.

A payload entry is a prompt string or a sequence of strings (the seed guide's ``[["prompt"], ["prompt",
"context"]]``): one string is the request the strategy would send online for it; several become the parts of one
user turn. Every request gets a key (``r000000``, ``r000001``, ...) that the results are mapped back by.

A job may hold 100,000 requests, so nothing here holds a second copy of them all: a plain-text request keeps its
prompt string (no ``Content`` objects), the payload fingerprint is hashed a request at a time, and the input
file's lines are made one at a time (:func:`jsonl_lines` is a generator; the job writes them to a temporary file).

Example:
    >>> requests = build_requests(strategy, [["Categorise: Geography GCSE"], "Categorise: French GCSE"])
    ...                                                                                   # doctest: +SKIP
    >>> [(r.key, r.item_id) for r in requests]                                            # doctest: +SKIP
    [('r000000', '0'), ('r000001', '1')]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from google import genai
from google.genai import types

from ..core.errors import ConfigurationError
from ..core.strategy import canonical_json
from .strategy import GeminiStrategy, _sendable_contents, contents_json

__all__ = [
    "BatchPayload",
    "BatchRequest",
    "build_requests",
    "inlined_requests",
    "jsonl_lines",
    "payload_fingerprint",
    "request_config",
]

PromptParts = str | Sequence[str]
BatchPayload = Sequence[PromptParts]
"""A sequence of prompts; each prompt a string or a sequence of strings (the parts of one user turn)."""


@dataclass(frozen=True)
class BatchRequest:
    """One request of a job: its key, the caller's item id, and the contents sent (a plain-text prompt as the
    string itself, the form the SDK takes and sends as one user turn)."""

    key: str
    item_id: str
    contents: str | list[types.Content]


def build_requests(
    strategy: GeminiStrategy[Any], payload: BatchPayload, item_ids: Sequence[str] | None = None
) -> list[BatchRequest]:
    """Key every payload entry; ``item_ids`` default to the positions (``"0"``, ``"1"``, ...).

    Raises:
        ConfigurationError: an empty payload, an empty or non-string prompt, or item ids that do not fit.
    """
    if isinstance(payload, str) or not payload:
        raise ConfigurationError("the batch payload must be a non-empty sequence of prompts")
    ids = [str(i) for i in range(len(payload))] if item_ids is None else list(item_ids)
    if len(ids) != len(payload) or len(set(ids)) != len(ids):
        raise ConfigurationError("item_ids must be unique, one per payload entry")
    return [
        BatchRequest(f"r{index:06d}", item_id, _contents(strategy, entry, index))
        for index, (item_id, entry) in enumerate(zip(ids, payload, strict=True))
    ]


def payload_fingerprint(strategy: GeminiStrategy[Any], requests: Sequence[BatchRequest], **options: Any) -> str:
    """What identifies a job: the strategy's request identity (model, config, schema, parser), every request
    with its item id, and the reading options. Equal fingerprints mean a create would submit the same job.

    It is :func:`~notebookllm.core.strategy.fingerprint_digest` of ``{"request": identity, "requests": [[item id,
    contents as JSON], ...], "options": options}`` (so a job recorded by an earlier version is still found), hashed
    a request at a time: that whole structure as JSON data would be the largest thing a big job holds."""
    digest = hashlib.sha256()
    # canonical_json sorts keys: "options" < "request" < "requests"
    head = f'{{"options":{canonical_json(options)},"request":{canonical_json(strategy._request_identity)},"requests":['
    digest.update(head.encode())
    for index, request in enumerate(requests):
        sent = canonical_json([request.item_id, contents_json(request.contents)])
        digest.update(f"{',' if index else ''}{sent}".encode())
    digest.update(b"]}")
    return digest.hexdigest()


def request_config(strategy: GeminiStrategy[Any], *, filter_json: bool) -> types.GenerateContentConfig:
    """The config a job's requests (and ``GeminiLLM.generate``) send: the strategy's, asking for JSON output
    (``response_mime_type="application/json"``) when ``filter_json`` wants JSON and the strategy chose no MIME type.
    """
    if not filter_json or strategy.config.response_mime_type is not None:
        return strategy.config
    return strategy.config.model_copy(update={"response_mime_type": "application/json"})


def inlined_requests(
    config: types.GenerateContentConfig, requests: Sequence[BatchRequest]
) -> list[types.InlinedRequest]:
    """The requests as the SDK's inline source, each carrying its key in ``metadata``."""
    return [types.InlinedRequest(contents=r.contents, config=config, metadata={"key": r.key}) for r in requests]


def jsonl_lines(
    client: genai.Client, config: types.GenerateContentConfig, requests: Sequence[BatchRequest]
) -> Iterator[bytes]:
    """The input-file lines ``{"key": ..., "request": {GenerateContentRequest}}`` of ``requests`` sent with
    ``config``, one at a time.

    Each line is byte for byte what the SDK's own converter for inline batch requests (the same in google-genai 1.49
    to 3.x) makes of ``InlinedRequest(contents=..., config=config, metadata={"key": ...})``, so a file job sends
    exactly what an inline job would: response schemas, safety settings and system instructions included, with no
    second hand-written copy of the wire format to drift. The converter runs once per job, not per request: on a
    request of one plain user text (the usual one) whose text alone differs from line to line; other contents
    are converted on their own, and the config never again.
    """
    # A placeholder prompt gives the converter contents to put the config's fields after (and beside: some, like
    # systemInstruction, are request fields), and the shape a plain text prompt takes on the wire.
    shared = _wire(client, types.InlinedRequest(contents="-", config=config))
    (turn,) = shared.pop("contents")
    (part,) = turn["parts"]
    for request in requests:
        text = _sendable_contents(request.contents)
        if isinstance(text, str):
            contents = [{**turn, "parts": [{**part, "text": text}]}]
        else:
            contents = _wire(client, types.InlinedRequest(contents=request.contents))["contents"]
        line = {"key": request.key, "request": {"contents": contents, **shared}}
        yield json.dumps(line, separators=(",", ":")).encode()


def _wire(client: genai.Client, request: types.InlinedRequest) -> dict[str, Any]:
    """The ``request`` object the SDK sends for ``request``, as JSON-ready data."""
    from google.genai import _common, batches  # private: the one place that knows the request's wire format

    wire = batches._InlinedRequest_to_mldev(client._api_client, request)
    return _common.encode_unserializable_types(_common.convert_to_dict(wire))["request"]


def _contents(strategy: GeminiStrategy[Any], entry: PromptParts, index: int) -> str | list[types.Content]:
    parts = [entry] if isinstance(entry, str) else list(entry)
    if not parts or not all(isinstance(p, str) and p for p in parts):
        raise ConfigurationError(f"batch payload entry {index}: expected a non-empty string or strings, got {entry!r}")
    if len(parts) == 1:  # the request the strategy sends online for this prompt (same response-cache key)
        return strategy._request_contents(parts[0])
    return [types.Content(role="user", parts=[types.Part(text=p) for p in parts])]
