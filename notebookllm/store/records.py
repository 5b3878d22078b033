"""One stored reply: a :class:`~notebookllm.core.results.WorkItemResult` as a ``responses`` row and back.

A row holds only result fields — output, error (type and redacted message), error classification, attempts,
tokens, metadata, timings — under a key that is a SHA-256 digest. Nothing from the client or the strategy is
written, so the API key cannot reach the file; error messages are scrubbed of key-shaped strings as well.

Example:
    >>> row = to_row("k", None, WorkItemResult("a", True, output="yes"), now=0.0)
    >>> from_row(row[2:-1], item_id="b", context=None).output
    'yes'
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from ..core.classification import ErrorInfo
from ..core.errors import ItemCancelledError, NotebookLLMError
from ..core.redaction import redact
from ..core.results import WorkItemResult
from ..core.tokens import TokenUsage
from . import codec

__all__ = ["INSERT_SQL", "StoredError", "fetch", "from_row", "is_storable", "to_row"]

_KEY_COLUMNS = ("key", "run_id")
_RESULT_COLUMNS = (
    "success",
    "output",
    "error",
    "error_info",
    "attempts",
    "token_usage",
    "metadata",
    "cost_usd",
    "latency_s",
    "started_at",
    "finished_at",
)
_INDEXED_COLUMNS = ("created_at", "model", "model_version")
INSERT_SQL = (
    f"INSERT OR REPLACE INTO responses ({', '.join((*_KEY_COLUMNS, *_RESULT_COLUMNS, *_INDEXED_COLUMNS))}) "
    f"VALUES ({', '.join('?' * (len(_KEY_COLUMNS) + len(_RESULT_COLUMNS) + len(_INDEXED_COLUMNS)))})"
)
_SELECT_SQL = f"SELECT key, {', '.join(_RESULT_COLUMNS)} FROM responses WHERE key IN "
_CHUNK = 500  # bound variables per query; far below SQLite's limit, large enough to amortise each query


class StoredError(NotebookLLMError):
    """The error of a failed reply restored from the store (only with ``cache_failures=True``).

    The original exception object is not stored; its type name and message are.
    """

    def __init__(self, original_type: str, message: str) -> None:
        super().__init__(f"{original_type}: {message}")
        self.original_type = original_type
        self.message = message


def is_storable(result: WorkItemResult[Any, Any], *, cache_failures: bool) -> bool:
    """Successful, unblocked replies are stored and served; failed or blocked ones only with ``cache_failures``.

    An item cancelled by an interrupt never is: it has no reply, only the need to run again.
    """
    if isinstance(result.error, ItemCancelledError):
        return False
    return cache_failures or (result.success and not result.metadata.get("blocked"))


def to_row(key: str, run_id: str | None, result: WorkItemResult[Any, Any], *, now: float) -> tuple[Any, ...]:
    """The ``responses`` row of ``result`` (values in :data:`INSERT_SQL` order).

    Raises :class:`~notebookllm.store.codec.UnstorableOutputError` if the output or metadata is not storable.
    """
    error = result.error
    metadata = result.metadata
    cost = metadata.get("cost_usd")
    model, version = metadata.get("model"), metadata.get("model_version")
    return (
        key,
        run_id,
        int(result.success),
        codec.encode(result.output),
        None if error is None else json.dumps({"type": _error_type(error), "message": redact(str(error))}),
        None if result.error_info is None else codec.encode(result.error_info),
        result.attempts,
        codec.encode(result.token_usage.to_dict()),
        codec.encode(metadata),
        cost if isinstance(cost, (int, float)) else None,
        result.latency_s,
        result.started_at,
        result.finished_at,
        now,
        model if isinstance(model, str) else None,
        version if isinstance(version, str) else None,
    )


def from_row(values: Sequence[Any], *, item_id: str, context: Any) -> WorkItemResult[Any, Any]:
    """A result for ``item_id`` from a row's result columns (as :func:`fetch` returns them), marked ``from_cache``."""
    success, output, error, error_info, attempts, usage, metadata, _cost, latency, started, finished = values
    error_obj = None if error is None else StoredError(**_error_fields(error))
    info = None if error_info is None else codec.decode(error_info)
    return WorkItemResult(
        item_id=item_id,
        success=bool(success),
        output=codec.decode(output),
        error=error_obj,
        error_info=info if isinstance(info, ErrorInfo) else None,
        attempts=attempts,
        token_usage=TokenUsage(**codec.decode(usage)),
        metadata=codec.decode(metadata),
        latency_s=latency or 0.0,
        started_at=started or 0.0,
        finished_at=finished or 0.0,
        context=context,
        from_cache=True,
    )


def fetch(conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """The result columns of every stored key among ``keys``, looked up in chunks with ``WHERE key IN (...)``."""
    unique = list(dict.fromkeys(keys))
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        sql = _SELECT_SQL + f"({','.join('?' * len(chunk))})"
        for row in conn.execute(sql, chunk):
            found[row[0]] = row[1:]
    return found


def _error_type(error: BaseException) -> str:
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _error_fields(text: str) -> dict[str, str]:
    data = json.loads(text)
    return {"original_type": data["type"], "message": data["message"]}
