"""What one Gemini reply means: :class:`GeminiResponse` and the mapping from the SDK's ``GenerateContentResponse``.

The mapping never touches ``response.text`` on a blocked reply and treats the usage counts the API leaves out
(it omits zeros) as 0.

Example:
    >>> r = GeminiResponse(output={"title": "Dune"}, safety_ratings={"HARM_CATEGORY_HARASSMENT": "NEGLIGIBLE"},
    ...                    finish_reason="STOP", token_usage={"input_tokens": 12, "output_tokens": 7})
    >>> r.output["title"], r.blocked
    ('Dune', False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from google.genai import types

from ..core.tokens import TokenUsage
from .finish_reasons import FINISH_REASON_OUTCOMES

__all__ = [
    "BLOCKING_FINISH_REASONS",
    "GeminiResponse",
    "audio_tokens_of",
    "response_metadata",
    "to_gemini_response",
    "usage_of",
]

TOutput = TypeVar("TOutput")

BLOCKING_FINISH_REASONS = frozenset(
    reason for reason, outcome in FINISH_REASON_OUTCOMES.items() if outcome == "blocked"
)
"""Finish reasons that mean a safety or policy filter stopped the answer (as opposed to length or recitation)."""

_EMULATOR_SUFFIX = "-notebookllm-emulator"


@dataclass
class GeminiResponse(Generic[TOutput]):
    """A parsed Gemini reply with its metadata; what a strategy returns when ``include_metadata=True``.

    Attributes:
        output: the parsed output (``None`` on a blocked reply).
        safety_ratings: harm category → probability, e.g. ``{"HARM_CATEGORY_HARASSMENT": "NEGLIGIBLE"}``;
            ``None`` when the reply carried no ratings.
        finish_reason: why generation stopped, e.g. ``"STOP"``, ``"MAX_TOKENS"``, ``"SAFETY"``.
        token_usage: ``input_tokens`` (including cached), ``output_tokens``, ``total_tokens``,
            ``cached_input_tokens``, ``thoughts_tokens``.
        raw_response: the SDK's ``GenerateContentResponse``.
        blocked: the prompt was blocked or a safety filter stopped the answer.
        prompt_block_reason: ``promptFeedback.blockReason`` (e.g. ``"SAFETY"``) when the prompt was blocked.
        model_version: the model version that answered (``modelVersion``).
    """

    output: TOutput
    safety_ratings: dict[str, str] | None
    finish_reason: str | None
    token_usage: dict[str, int]
    raw_response: Any = field(default=None, repr=False)
    blocked: bool = False
    prompt_block_reason: str | None = None
    model_version: str | None = None


def usage_of(response: types.GenerateContentResponse) -> TokenUsage:
    """The tokens a reply billed; counts the API left out (``None``) are 0.

    ``input_tokens`` is ``promptTokenCount`` (which includes the cached tokens) plus ``toolUsePromptTokenCount``
    (tool results fed back to the model, billed as input), ``output_tokens`` is ``candidatesTokenCount``,
    ``thoughts_tokens`` is ``thoughtsTokenCount``.
    """
    meta = response.usage_metadata
    if meta is None:
        return TokenUsage()
    return TokenUsage(
        input_tokens=(meta.prompt_token_count or 0) + (meta.tool_use_prompt_token_count or 0),
        output_tokens=meta.candidates_token_count or 0,
        total_tokens=meta.total_token_count or 0,
        cached_input_tokens=meta.cached_content_token_count or 0,
        thoughts_tokens=meta.thoughts_token_count or 0,
    )


def audio_tokens_of(response: types.GenerateContentResponse) -> tuple[int, int]:
    """``(audio prompt tokens, cached audio tokens)`` from the per-modality details (audio input costs more)."""
    meta = response.usage_metadata
    if meta is None:
        return 0, 0
    return _modality_tokens(meta.prompt_tokens_details, "AUDIO"), _modality_tokens(meta.cache_tokens_details, "AUDIO")


def _modality_tokens(details: list[types.ModalityTokenCount] | None, modality: str) -> int:
    return sum(d.token_count or 0 for d in details or () if _name(d.modality) == modality)


def to_gemini_response(
    response: types.GenerateContentResponse, output: Any = None, *, usage: TokenUsage | None = None
) -> GeminiResponse[Any]:
    """Map an SDK reply to a :class:`GeminiResponse` carrying ``output``, without reading ``response.text``;
    ``usage`` is the reply's :func:`usage_of` when the caller has read it already."""
    candidate = response.candidates[0] if response.candidates else None
    feedback = response.prompt_feedback
    prompt_block_reason = _name(feedback.block_reason) if feedback is not None else None
    finish_reason = _name(candidate.finish_reason) if candidate is not None else None
    ratings = candidate.safety_ratings if candidate is not None else None
    if not ratings and feedback is not None:
        ratings = feedback.safety_ratings
    return GeminiResponse(
        output=output,
        safety_ratings={_name(r.category): _name(r.probability) for r in ratings} if ratings else None,
        finish_reason=finish_reason,
        token_usage=(usage_of(response) if usage is None else usage).to_dict(),
        raw_response=response,
        blocked=prompt_block_reason is not None or finish_reason in BLOCKING_FINISH_REASONS,
        prompt_block_reason=prompt_block_reason,
        model_version=response.model_version,
    )


def response_metadata(reply: GeminiResponse[Any], model: str) -> dict[str, Any]:
    """The result-row metadata keys (see DEVELOPERS.md) for ``reply`` to a request for ``model``; no cost."""
    return {
        "finish_reason": reply.finish_reason,
        "safety_ratings": dict(reply.safety_ratings or {}),
        "blocked": reply.blocked,
        "block_reason": reply.prompt_block_reason or (reply.finish_reason if reply.blocked else None),
        "model": model,
        "model_version": reply.model_version,
        "emulated": bool(reply.model_version and reply.model_version.endswith(_EMULATOR_SUFFIX)),
    }


def _name(value: Any) -> Any:
    """An SDK enum as its API string (``HarmCategory.HARM_CATEGORY_HARASSMENT`` → ``"HARM_CATEGORY_HARASSMENT"``)."""
    if value is None:
        return None
    return value.name if isinstance(value, Enum) else str(value)
