"""The replies of a finished batch job, each turned into a result row exactly as an online reply is.

Every reply goes through the strategy's own reply path (``GeminiStrategy._finish``: token billing, finish reason,
safety ratings, blocked detection, parsing) inside an attempt context, the way the processor runs an online
attempt; only the cost is then re-estimated at the batch price. So a batch row and an online row of the same
prompt look alike, and a blocked reply, an empty one or one that does not parse becomes a failed row, not an
exception for the whole job. A per-request ``error`` (gRPC-coded as the API sends it, or HTTP-coded) becomes the
SDK's own ``ClientError`` / ``ServerError`` with the HTTP code, classified like an online failure.

Example:
    >>> reply = batch.fetch_batch_replies(name)[0]                          # doctest: +SKIP
    >>> reply.ok, reply.output, reply.text, reply.metadata["finish_reason"]  # doctest: +SKIP
    (True, 'Geography', 'Geography', 'STOP')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from google.genai import errors as genai_errors
from google.genai import types

from ..core.attempt import AttemptContext, _enter, _exit
from ..core.results import WorkItemResult
from ..core.tokens import TokenUsage
from .batch_errors import JsonReplyError
from .json_reply import JsonReply, parse_json_reply
from .pricing import estimate_cost
from .response import GeminiResponse
from .strategy import GeminiStrategy

__all__ = ["BatchReply", "RawReply", "read_jsonl", "to_reply"]


@dataclass(frozen=True)
class RawReply:
    """One entry of a job's output as the API gave it: a response or an error, with its key when it has one."""

    key: str | None
    response: types.GenerateContentResponse | None = None
    error: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class BatchReply:
    """One request's outcome, in payload order.

    Attributes:
        key: the request's key in the job.
        result: the result row (output or error, tokens, metadata with cost at the batch price), as online.
        text: the model's text as it came, whatever parsing made of it (``None`` for an error or no text).
        json: with ``filter_json=True``, how the JSON was found (:class:`~notebookllm.gemini.JsonReply`:
            status ``"truncated"`` marks partial output), else ``None``.
    """

    key: str
    result: WorkItemResult[Any, Any]
    text: str | None = None
    json: JsonReply | None = None

    @property
    def ok(self) -> bool:
        """The request succeeded and its reply parsed."""
        return self.result.success

    @property
    def output(self) -> Any:
        """The parsed output (the JSON value with ``filter_json=True``); ``None`` for a failed request."""
        return self.result.output

    @property
    def error(self) -> BaseException | None:
        """Why the request failed: the API's error, a block, an unparsable reply; ``None`` when it succeeded."""
        return self.result.error

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Finish reason, safety ratings, blocked, model, cost (batch price): the keys of an online row."""
        return self.result.metadata

    @property
    def token_usage(self) -> TokenUsage:
        return self.result.token_usage

    def __str__(self) -> str:
        return str(self.output) if self.ok else f"<error {type(self.error).__name__}: {self.error}>"


def to_reply(
    strategy: GeminiStrategy[Any],
    raw: RawReply,
    *,
    key: str,
    item_id: str,
    filter_json: bool,
    timing: tuple[float, float],
    context: Any = None,
    batch: bool = True,
) -> BatchReply:
    """The :class:`BatchReply` of ``raw`` (see the module docstring); ``timing`` is the job's (start, end);
    ``batch=False`` prices an online reply read the same way (``GeminiLLM.generate``)."""
    ctx = AttemptContext(item_id, 1)
    token = _enter(ctx)
    output: Any = None
    error: BaseException | None = None
    found: JsonReply | None = None
    text = _text_of(raw.response)
    ctx.annotate(model=strategy.model)  # as an online attempt does before its request
    if batch:  # the store counts online requests per day apart from these (the Batch API has quotas of its own)
        ctx.annotate(batch=True)
    try:
        if raw.response is None:
            raise _api_error(raw.error or {"code": 500, "message": "the job returned no result for this request"})
        output, _ = strategy._finish(raw.response)  # the online reply path: billing, metadata, blocks, parsing
        if filter_json:
            found = parse_json_reply(text)
            if not found.ok:
                raise JsonReplyError(found)
            if isinstance(output, GeminiResponse):
                output.output = found.value
            else:
                output = found.value
    except Exception as exc:  # one request's failure is that row's error, never the job's
        error, output = exc, None
    finally:
        _exit(token)
    billed = ctx.billed or TokenUsage()
    ctx.annotate(cost_usd=estimate_cost(billed, strategy.model, batch=batch))
    started, finished = timing
    result: WorkItemResult[Any, Any] = WorkItemResult(
        item_id,
        error is None,
        output=output,
        error=error,
        error_info=None if error is None else strategy.default_error_classifier().classify(error),
        attempts=1,
        token_usage=billed,
        metadata=ctx.metadata,
        latency_s=max(0.0, finished - started),
        started_at=started,
        finished_at=finished,
        context=context,
    )
    return BatchReply(key, result, text, found)


def read_jsonl(lines: Iterable[bytes]) -> Iterator[RawReply]:
    """The entries of a responses file (lines ``{"key", "response"}`` or ``{"key", "error"}``), one at a time as
    they are read: pass the open file (binary), and only the line being read and its entry are in memory."""
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        response = entry.get("response")
        yield RawReply(
            key=entry.get("key"),
            response=None if response is None else types.GenerateContentResponse.model_validate(response),
            error=entry.get("error"),
        )


# google.rpc.Code → the HTTP status the API answers online with the same error (google/rpc/code.proto).
_GRPC_TO_HTTP = {
    1: (499, "CANCELLED"),
    2: (500, "UNKNOWN"),
    3: (400, "INVALID_ARGUMENT"),
    4: (504, "DEADLINE_EXCEEDED"),
    5: (404, "NOT_FOUND"),
    6: (409, "ALREADY_EXISTS"),
    7: (403, "PERMISSION_DENIED"),
    8: (429, "RESOURCE_EXHAUSTED"),
    9: (400, "FAILED_PRECONDITION"),
    10: (409, "ABORTED"),
    11: (400, "OUT_OF_RANGE"),
    12: (501, "UNIMPLEMENTED"),
    13: (500, "INTERNAL"),
    14: (503, "UNAVAILABLE"),
    15: (500, "DATA_LOSS"),
    16: (401, "UNAUTHENTICATED"),
}
# The status name an HTTP code goes with online: the lowest gRPC code mapping to it, but INTERNAL for 500.
_HTTP_STATUS = {**{http: name for _, (http, name) in sorted(_GRPC_TO_HTTP.items(), reverse=True)}, 500: "INTERNAL"}


def _api_error(error: Mapping[str, Any]) -> genai_errors.APIError:
    """A per-request error as the exception the SDK raises for the same error online.

    A batch output's per-request ``error`` is a ``google.rpc.Status``, whose ``code`` is a gRPC code (3, 8, 14,
    ...), not an HTTP status; HTTP-coded errors are taken as they are. Either way the exception carries the HTTP
    code and status name an online call would, so it is classified (retryable, rate limit, ...) the same way.
    """
    code = int(error.get("code") or 500)
    if code in _GRPC_TO_HTTP:
        code, status = _GRPC_TO_HTTP[code]
    else:
        status = _HTTP_STATUS.get(code, "UNKNOWN")
    # the SDK's JobError keeps no status name: put back the one the online error carries
    body = {"error": {**error, "code": code, "status": error.get("status") or status}}
    if 400 <= code < 500:
        return genai_errors.ClientError(code, body)
    if 500 <= code < 600:
        return genai_errors.ServerError(code, body)
    return genai_errors.APIError(code, body)


def _text_of(response: types.GenerateContentResponse | None) -> str | None:
    """The answer's text (thoughts left out) without ``response.text``, which warns on blocked or mixed replies."""
    if response is None or not response.candidates:
        return None
    content = response.candidates[0].content
    texts = [p.text for p in (content.parts or []) if p.text is not None and not p.thought] if content else []
    return "".join(texts) if texts else None
