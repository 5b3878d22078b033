"""Outputs are stored as JSON and come back as the same types."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import pytest
from pydantic import BaseModel

from notebookllm.store import UnstorableOutputError, register_codec
from notebookllm.store.codec import decode, encode

T = TypeVar("T")


class Book(BaseModel):
    title: str
    year: int
    tags: list[str] = []


class Page(BaseModel, Generic[T]):
    items: list[T]


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Label(str):
    pass


@dataclass(frozen=True)
class Wrapper:
    output: Any
    ratings: dict[str, str] | None
    count: int = field(default=0, init=False)


@pytest.mark.parametrize(
    "value",
    [
        "text",
        3,
        2.5,
        True,
        None,
        [1, "a", None],
        {"a": {"b": [1, 2]}},
        {1: "int key", (2, 3): "tuple key"},
        {"__nl__": "looks like a tag", "v": 1},
        (1, (2, 3)),
        {1, 2, 3},
        dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc),
        dt.date(2026, 11, 22),
        dt.timedelta(seconds=90),
        Decimal("0.10"),
        b"\x00\xff",
        Mood.SAD,
        Label("spam"),
        Book(title="Dune", year=1965, tags=["sf"]),
        Page[Book](items=[Book(title="Emma", year=1815)]),
        Wrapper(output=Book(title="Dune", year=1965), ratings={"HARM_CATEGORY_HARASSMENT": "NEGLIGIBLE"}),
        [Book(title="A", year=1), {"nested": (Mood.HAPPY,)}],
    ],
    ids=repr,
)
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    restored = decode(encode(value))
    assert restored == value
    assert type(restored) is type(value)
    if isinstance(value, Wrapper):
        assert type(restored.output) is Book


def test_a_dataclass_field_outside_init_is_restored() -> None:
    value = Wrapper(output="x", ratings=None)
    object.__setattr__(value, "count", 7)
    assert decode(encode(value)).count == 7


def test_gemini_response_with_raw_sdk_response_round_trips() -> None:
    from google.genai import types

    from notebookllm.gemini.response import GeminiResponse

    raw = types.GenerateContentResponse(
        candidates=[types.Candidate(content=types.Content(role="model", parts=[types.Part(text='{"title":"Dune"}')]))],
        usage_metadata=types.GenerateContentResponseUsageMetadata(prompt_token_count=5, candidates_token_count=3),
    )
    reply = GeminiResponse(
        output=Book(title="Dune", year=1965),
        safety_ratings={"HARM_CATEGORY_HARASSMENT": "NEGLIGIBLE"},
        finish_reason="STOP",
        token_usage={"input_tokens": 5, "output_tokens": 3},
        raw_response=raw,
        model_version="gemini-2.5-flash-001",
    )

    restored = decode(encode(reply))

    assert type(restored) is GeminiResponse and type(restored.output) is Book
    assert type(restored.raw_response) is types.GenerateContentResponse
    assert restored.raw_response.text == '{"title":"Dune"}'
    assert restored == reply


def test_registered_codec_is_used_for_a_foreign_type() -> None:
    register_codec(uuid.UUID, str, uuid.UUID)
    value = {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")}
    assert decode(encode(value)) == value


def test_unstorable_output_says_what_to_do() -> None:
    with pytest.raises(UnstorableOutputError, match="register_codec"):
        encode({"handle": object()})
