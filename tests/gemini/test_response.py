"""Mapping SDK replies (parsed from the JSON the API sends) to GeminiResponse, token usage and row metadata."""

from __future__ import annotations

from google.genai import types

from notebookllm import TokenUsage
from notebookllm.gemini import GeminiBlockedError, usage_of
from notebookllm.gemini.response import response_metadata, to_gemini_response


def _reply(body: dict) -> types.GenerateContentResponse:
    return types.GenerateContentResponse.model_validate(body)


RATINGS = [
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "HIGH", "blocked": True},
]


def test_ordinary_reply():
    r = _reply(
        {
            "candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}, "finishReason": "STOP"}],
            "usageMetadata": {
                "promptTokenCount": 4406,
                "candidatesTokenCount": 5,
                "cachedContentTokenCount": 4400,
                "thoughtsTokenCount": 7,
                "totalTokenCount": 4418,
            },
            "modelVersion": "gemini-2.5-flash-notebookllm-emulator",
        }
    )
    g = to_gemini_response(r, output="hi")
    assert g.finish_reason == "STOP" and not g.blocked and g.safety_ratings is None
    assert g.token_usage == {
        "input_tokens": 4406,
        "output_tokens": 5,
        "total_tokens": 4418,
        "cached_input_tokens": 4400,
        "thoughts_tokens": 7,
    }
    meta = response_metadata(g, "gemini-2.5-flash")
    assert meta["emulated"] is True and meta["model"] == "gemini-2.5-flash" and meta["block_reason"] is None
    assert "raw_response" not in repr(g)


def test_usage_counts_the_api_leaves_out_are_zero():
    r = _reply({"usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 5, "totalTokenCount": 11}})
    assert usage_of(r) == TokenUsage(input_tokens=6, output_tokens=5, total_tokens=11)
    assert usage_of(_reply({})) == TokenUsage()


def test_blocked_prompt_has_no_candidates_and_is_mapped_without_text():
    r = _reply({"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": RATINGS}})
    assert r.text is None
    g = to_gemini_response(r)
    assert g.blocked and g.prompt_block_reason == "SAFETY" and g.finish_reason is None
    assert g.safety_ratings == {"HARM_CATEGORY_HARASSMENT": "NEGLIGIBLE", "HARM_CATEGORY_HATE_SPEECH": "HIGH"}
    err = GeminiBlockedError(g)
    assert err.block_reason == "SAFETY" and err.safety_ratings["HARM_CATEGORY_HATE_SPEECH"] == "HIGH"
    assert response_metadata(g, "m")["block_reason"] == "SAFETY"


def test_safety_stop_is_blocked_with_the_candidates_ratings():
    r = _reply({"candidates": [{"finishReason": "SAFETY", "safetyRatings": RATINGS}]})
    g = to_gemini_response(r)
    assert g.blocked and g.finish_reason == "SAFETY" and g.prompt_block_reason is None
    meta = response_metadata(g, "m")
    assert meta["blocked"] is True and meta["block_reason"] == "SAFETY" and meta["emulated"] is False
    assert meta["safety_ratings"]["HARM_CATEGORY_HATE_SPEECH"] == "HIGH"


def test_length_stop_is_not_blocked():
    g = to_gemini_response(_reply({"candidates": [{"finishReason": "MAX_TOKENS"}]}))
    assert not g.blocked and g.finish_reason == "MAX_TOKENS"
