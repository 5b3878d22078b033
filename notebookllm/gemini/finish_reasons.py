"""What each Gemini finish reason and prompt block reason means for the item: every value decided on purpose.

Outcomes:

* ``"ok"``: parse the answer;
* ``"blocked"``: a safety or policy filter stopped it (:class:`~notebookllm.gemini.GeminiBlockedError`, not retried
  unless ``retry_blocked``);
* ``"truncated"``: ``MAX_TOKENS`` (:class:`~notebookllm.gemini.GeminiTruncatedError`, not retried, partial text
  kept, never repaired as JSON);
* ``"failed"``: the same request would end the same way (:class:`~notebookllm.gemini.GeminiFinishReasonError`,
  not retried);
* ``"account"``: the account may not generate at all (``PUP_LIMITED_DISABLED``): not retried, and the run stops
  (every item would end the same way);
* ``"retry"``: nothing says the next answer fails too (:class:`~notebookllm.gemini.GeminiEmptyResponseError`).

Values come from google-genai 3.6's ``FinishReason`` and ``BlockedReason`` (read in the SDK source, 2026-12-03);
a value this table does not know yet counts as ``"failed"``, so a new reason is never re-billed blindly.

Example:
    >>> finish_outcome("MAX_TOKENS"), finish_outcome("LANGUAGE"), finish_outcome(None)
    ('truncated', 'failed', 'ok')
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["BLOCKED_REASON_OUTCOMES", "FINISH_REASON_OUTCOMES", "finish_outcome"]

FINISH_REASON_OUTCOMES = MappingProxyType(
    {
        "FINISH_REASON_UNSPECIFIED": "ok",  # older replies and partial stream frames leave the reason unset
        "STOP": "ok",
        "MAX_TOKENS": "truncated",
        "CONTINUATION": "truncated",  # the per-request token limit cut it; the rest needs a follow-up request
        "SAFETY": "blocked",
        "BLOCKLIST": "blocked",
        "PROHIBITED_CONTENT": "blocked",
        "SPII": "blocked",
        "IMAGE_SAFETY": "blocked",
        "IMAGE_PROHIBITED_CONTENT": "blocked",
        "ESCALATION": "blocked",
        "MODEL_ARMOR": "blocked",
        "RECITATION": "failed",
        "IMAGE_RECITATION": "failed",
        "LANGUAGE": "failed",
        "MALFORMED_FUNCTION_CALL": "failed",
        "UNEXPECTED_TOOL_CALL": "failed",
        "TOO_MANY_TOOL_CALLS": "failed",
        "MISSING_THOUGHT_SIGNATURE": "failed",
        "NO_IMAGE": "failed",
        "PUP_LIMITED_DISABLED": "account",
        "OTHER": "retry",
        "MALFORMED_RESPONSE": "retry",  # a garbled reply, not a property of the request
        "IMAGE_OTHER": "retry",
    }
)
"""``candidates[0].finishReason`` → outcome."""

BLOCKED_REASON_OUTCOMES = MappingProxyType(
    {
        "BLOCKED_REASON_UNSPECIFIED": "blocked",
        "SAFETY": "blocked",
        "OTHER": "blocked",
        "BLOCKLIST": "blocked",
        "PROHIBITED_CONTENT": "blocked",
        "IMAGE_SAFETY": "blocked",
        "MODEL_ARMOR": "blocked",
        "JAILBREAK": "blocked",
    }
)
"""``promptFeedback.blockReason`` → outcome: a blocked prompt is blocked whatever the reason."""


def finish_outcome(finish_reason: str | None) -> str:
    """The outcome of a candidate that ended with ``finish_reason`` (``None``: no reason given, ``"ok"``)."""
    if finish_reason is None:
        return "ok"
    return FINISH_REASON_OUTCOMES.get(finish_reason, "failed")
