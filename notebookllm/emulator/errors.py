"""Google JSON errors, as the real API sends them.

Handlers raise :class:`ApiError`; the server turns it into ``{"error": {"code", "message", "status", "details"}}``
with ``Content-Type: application/json`` (the SDK's aiohttp path only parses JSON error bodies with that type).

>>> ApiError.not_found("models/x is not found").body()["error"]["status"]
'NOT_FOUND'
"""

from __future__ import annotations

import json
from typing import Any

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_DEFAULT_MESSAGES = {
    500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    502: "Bad gateway.",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
    408: "Request timed out.",
}

RATE_LIMIT_DOCS = "https://ai.google.dev/gemini-api/docs/rate-limits"


def status_name(code: int) -> str:
    """The canonical gRPC status name the real API pairs with an HTTP code (``UNKNOWN`` if unmapped)."""
    return _STATUS_NAMES.get(code, "UNKNOWN")


def format_duration(seconds: float) -> str:
    """A protobuf Duration string: ``7.0 -> "7s"``, ``0.25 -> "0.25s"``.

    >>> format_duration(7.0), format_duration(0.25)
    ('7s', '0.25s')
    """
    text = f"{max(seconds, 0.0):.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


class ApiError(Exception):
    """An error answer: HTTP ``code``, ``message`` and optional google.rpc ``details``; ``retry_delay_s`` is the
    RetryInfo delay among them (None without one), kept apart for the request log."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        details: list[dict[str, Any]] | None = None,
        retry_delay_s: float | None = None,
    ) -> None:
        self.code = code
        self.retry_delay_s = retry_delay_s
        self.message = message if message is not None else _DEFAULT_MESSAGES.get(code, status_name(code).title())
        self.details = details or []
        super().__init__(f"{code} {status_name(code)}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON body ``{"error": {...}}``."""
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": status_name(self.code)}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def body_bytes(self) -> bytes:
        return json.dumps(self.body()).encode()

    @classmethod
    def invalid(cls, message: str, field: str | None = None) -> ApiError:
        """400 INVALID_ARGUMENT, with a BadRequest field violation when ``field`` is given."""
        details = None
        if field is not None:
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": field, "description": message}],
                }
            ]
        return cls(400, message, details)

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, message)

    @classmethod
    def permission_denied(cls, message: str) -> ApiError:
        return cls(403, message)


def quota_error(
    *, message: str, quota_id: str, metric: str, model: str, limit: int | None, retry_delay_s: float | None
) -> ApiError:
    """429 RESOURCE_EXHAUSTED with QuotaFailure, Help and (optionally) RetryInfo details, like the real API."""
    violation: dict[str, Any] = {
        "quotaMetric": metric,
        "quotaId": quota_id,
        "quotaDimensions": {"location": "global", "model": model},
    }
    if limit is not None:
        violation["quotaValue"] = str(limit)
    details: list[dict[str, Any]] = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_LIMIT_DOCS}],
        },
    ]
    if retry_delay_s is not None:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format_duration(retry_delay_s)}
        )
    return ApiError(429, message, details, retry_delay_s)
