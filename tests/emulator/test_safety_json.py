"""Safety outcomes, finish reasons and JSON mode through the real SDK."""

from __future__ import annotations

import enum
import json

import jsonschema
import pydantic
import pytest
from google.genai import types

pytestmark = pytest.mark.sdk_compat
MODEL = "gemini-2.5-flash"


def _rating(candidate, category):
    return next(r for r in candidate.safety_ratings if r.category == category)


def test_unsafe_marker_sets_rating_without_blocking(emulator_client):
    response = emulator_client.models.generate_content(model=MODEL, contents="rude [[unsafe:harassment:MEDIUM]]")
    candidate = response.candidates[0]
    assert candidate.finish_reason == types.FinishReason.STOP and response.text
    rating = _rating(candidate, types.HarmCategory.HARM_CATEGORY_HARASSMENT)
    assert rating.probability == types.HarmProbability.MEDIUM and not rating.blocked


def test_safety_settings_threshold_blocks(emulator_client):
    config = types.GenerateContentConfig(
        safety_settings=[
            types.SafetySetting(
                category=types.HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT,
                threshold=types.HarmBlockThreshold.BLOCK_MEDIUM_AND_ABOVE,
            )
        ]
    )
    response = emulator_client.models.generate_content(
        model=MODEL, contents="how to [[unsafe:dangerous:HIGH]]", config=config
    )
    candidate = response.candidates[0]
    assert candidate.finish_reason == types.FinishReason.SAFETY
    assert response.text is None
    rating = _rating(candidate, types.HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT)
    assert rating.blocked is True and rating.probability == types.HarmProbability.HIGH
    assert response.usage_metadata.candidates_token_count is None


def test_safety_stop(emulator_client):
    response = emulator_client.models.generate_content(model=MODEL, contents="[[safety-stop:hate]] text")
    candidate = response.candidates[0]
    assert candidate.finish_reason == types.FinishReason.SAFETY and candidate.content is None
    assert _rating(candidate, types.HarmCategory.HARM_CATEGORY_HATE_SPEECH).blocked is True


@pytest.mark.parametrize(
    ("marker", "reason"), [("[[block]]", types.BlockedReason.SAFETY), ("[[block:OTHER]]", types.BlockedReason.OTHER)]
)
def test_blocked_prompt(emulator_client, marker, reason):
    response = emulator_client.models.generate_content(model=MODEL, contents=f"blocked {marker}")
    assert response.candidates is None and response.text is None
    assert response.prompt_feedback.block_reason == reason
    assert response.usage_metadata.prompt_token_count > 0


async def test_blocked_prompt_aio(emulator_client):
    response = await emulator_client.aio.models.generate_content(model=MODEL, contents="blocked [[block]]")
    assert response.prompt_feedback.block_reason == types.BlockedReason.SAFETY


@pytest.mark.parametrize(
    ("marker", "reason", "has_text"),
    [
        ("[[recitation]]", types.FinishReason.RECITATION, False),
        ("[[other]]", types.FinishReason.OTHER, False),
        ("[[max-tokens]]", types.FinishReason.MAX_TOKENS, True),
    ],
)
def test_finish_reasons(emulator_client, marker, reason, has_text):
    response = emulator_client.models.generate_content(model=MODEL, contents=f"poem on rain {marker}")
    assert response.candidates[0].finish_reason == reason
    assert bool(response.text) == has_text


class Sentiment(enum.Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class Aspect(pydantic.BaseModel):
    name: str
    score: float = pydantic.Field(ge=0, le=1)


class Review(pydantic.BaseModel):
    sentiment: Sentiment
    summary: str
    stars: int = pydantic.Field(ge=1, le=5)
    aspects: list[Aspect]
    recommended: bool


def test_response_schema_from_pydantic(emulator_client):
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=Review)
    response = emulator_client.models.generate_content(model=MODEL, contents="Review: great phone", config=config)
    data = json.loads(response.text)
    jsonschema.validate(data, Review.model_json_schema())
    assert isinstance(response.parsed, Review)


def test_response_schema_gemini_dialect(emulator_client):
    schema = {
        "type": "OBJECT",
        "properties": {
            "label": {"type": "STRING", "enum": ["spam", "ham"]},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": 2, "maxItems": 4},
            "meta": {"type": "OBJECT", "properties": {"n": {"type": "INTEGER", "minimum": 3, "maximum": 9}}},
            "note": {"type": "STRING", "nullable": True},
        },
        "required": ["label", "tags", "meta"],
    }
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=schema)
    response = emulator_client.models.generate_content(model=MODEL, contents="Is this spam?", config=config)
    data = json.loads(response.text)
    assert data["label"] in ("spam", "ham") and 2 <= len(data["tags"]) <= 4 and 3 <= data["meta"]["n"] <= 9


def test_response_json_schema_with_refs(emulator_client):
    schema = Review.model_json_schema()
    config = types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=schema)
    response = emulator_client.models.generate_content(model=MODEL, contents="Review: slow laptop", config=config)
    jsonschema.validate(json.loads(response.text), schema)


@pytest.mark.parametrize("seed_prompt", [f"item {i}" for i in range(10)])
def test_json_schema_variety_always_validates(emulator_client, seed_prompt):
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "when": {"type": "string", "format": "date-time"},
            "kind": {"anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "null"}]},
            "values": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 1},
            "code": {"type": "string", "minLength": 5, "maxLength": 8},
            "fixed": {"const": 3},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}], "minItems": 2},
        },
        "required": ["id", "values", "code", "fixed"],
        "additionalProperties": False,
    }
    config = types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=schema)
    response = emulator_client.models.generate_content(model=MODEL, contents=seed_prompt, config=config)
    jsonschema.validate(json.loads(response.text), schema)


def test_json_mode_without_schema_is_json(emulator_client):
    config = types.GenerateContentConfig(response_mime_type="application/json")
    response = emulator_client.models.generate_content(model=MODEL, contents="anything", config=config)
    assert isinstance(json.loads(response.text), dict)


def test_bad_json_marker(emulator_client):
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=Review)
    response = emulator_client.models.generate_content(model=MODEL, contents="Review [[bad-json]]", config=config)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_enum_mime_type(emulator_client):
    config = types.GenerateContentConfig(
        response_mime_type="text/x.enum", response_schema={"type": "STRING", "enum": ["red", "green"]}
    )
    response = emulator_client.models.generate_content(model=MODEL, contents="pick a colour", config=config)
    assert response.text in ("red", "green")
