"""Reply text: plausible, short, deterministic for the same request and seed; or whatever a responder decides.

>>> import random
>>> text_reply("Summarise the history of tea in one line.", random.Random(1)).startswith("Summary")
True
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .schema_json import generate
from .tokens import count_text

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_MARKER = re.compile(r"\[\[.*?\]\]")
_STOPWORDS = frozenset(
    {
        "this",
        "that",
        "with",
        "from",
        "have",
        "what",
        "which",
        "when",
        "where",
        "there",
        "their",
        "about",
        "would",
        "could",
        "should",
        "into",
        "your",
        "than",
        "then",
        "them",
        "they",
        "been",
        "were",
        "will",
        "just",
        "only",
        "also",
        "very",
        "more",
        "most",
        "some",
        "such",
        "each",
        "other",
        "these",
        "those",
        "please",
        "answer",
        "reply",
        "following",
        "given",
        "text",
        "below",
        "above",
        "write",
        "make",
        "tell",
        "give",
        "using",
        "line",
        "short",
        "sentence",
        "word",
        "words",
        "describe",
        "explain",
        "list",
        "summarise",
        "summarize",
        "classify",
        "review",
        "question",
    }
)
# Sentiment cues for classification prompts; the label words themselves are left out because the instruction
# ("positive, negative or neutral") names them all.
_POSITIVE_CUES = frozenset(
    [
        "love",
        "lovely",
        "great",
        "good",
        "excellent",
        "perfect",
        "amazing",
        "best",
        "recommend",
        "happy",
        "stars",
        "value",
        "exceeded",
        "quickly",
        "delighted",
    ]
)
_NEGATIVE_CUES = frozenset(
    [
        "broke",
        "broken",
        "disappointed",
        "disappointing",
        "terrible",
        "awful",
        "bad",
        "worst",
        "refund",
        "rude",
        "angry",
        "rant",
        "let-down",
        "poor",
        "waste",
    ]
)
_CUE = re.compile(r"[a-z]+(?:-[a-z]+)?")
_OPENERS = (
    "{Topic} is the heart of it.",
    "Looking at {topic}, a few points stand out.",
    "Here is a brief take on {topic}.",
    "In short, {topic} matters here.",
    "The key idea is {topic}.",
)
_BODIES = (
    "It connects {a} with {b} in a practical way.",
    "Most of the weight falls on {a}, with {b} close behind.",
    "{A} shapes the outcome more than {b} does.",
    "A careful reading links {a} to {b}.",
    "The evidence points to {a} rather than {b}.",
    "Taken together, {a} and {b} tell a consistent story.",
)
_CLOSERS = ("That is the gist.", "Overall, the picture is clear.", "Nothing more is needed.", "")
_FILLER = "Further detail on {a} follows from the same reasoning about {b}."


@dataclass
class ReplyRequest:
    """What a responder sees about one generateContent request.

    ``prompt`` joins the text of the request's contents; ``schema`` is responseSchema or responseJsonSchema (or
    None); ``rng`` is seeded from the emulator seed and the request, so anything drawn from it is deterministic.
    """

    model: str
    prompt: str
    contents: list[dict[str, Any]]
    system_instruction: str
    generation_config: dict[str, Any]
    json_mode: bool
    schema: dict[str, Any] | None
    rng: random.Random = field(repr=False)


Responder = Callable[[ReplyRequest], Any]
"""``responder(request) -> str | JSON-able | None``. None falls back to the built-in reply; in JSON mode a non-string
value is serialised with ``json.dumps``."""


def keywords(prompt: str) -> list[str]:
    """Content words of the prompt, in order of appearance, de-duplicated."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(_MARKER.sub(" ", prompt) if "[[" in prompt else prompt):
        lower = word.lower()
        if lower not in _STOPWORDS:
            seen.setdefault(lower, None)
    return list(seen)


def text_reply(prompt: str, rng: random.Random, target_tokens: int | None = None) -> str:
    """A short reply about the prompt; about ``target_tokens`` long when given."""
    words = keywords(prompt) or ["the question"]
    lower = prompt.lower()
    if "classify" in lower or "sentiment" in lower:
        reply = _sentiment(lower).capitalize()
    elif "summar" in lower:
        reply = f"Summary: {_sentences(words, rng, 1)}"
    elif "translate" in lower:
        reply = " ".join(reversed(words[:8])).capitalize() + "."
    else:
        reply = _sentences(words, rng, rng.randint(1, 3))
    if target_tokens is not None:
        reply = _fit(reply, words, rng, target_tokens)
    return reply


def _sentiment(lower_prompt: str) -> str:
    """The label a reader would give: cue words decide, neutral when they are absent or balanced."""
    words = set(_CUE.findall(lower_prompt))
    score = len(words & _POSITIVE_CUES) - len(words & _NEGATIVE_CUES)
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def json_reply(schema: dict[str, Any] | None, prompt: str, rng: random.Random) -> str:
    """Model JSON text valid under ``schema`` (an object with an ``answer`` when there is no schema)."""
    words = keywords(prompt)
    if schema is None:
        return json.dumps({"answer": _sentences(words or ["the question"], rng, 1)})
    return json.dumps(generate(schema, rng, words))


def enum_reply(schema: dict[str, Any] | None, rng: random.Random) -> str:
    """``text/x.enum``: one of the schema's enum values, as plain text."""
    values = (schema or {}).get("enum") or ["UNKNOWN"]
    return str(rng.choice(values))


def _sentences(words: list[str], rng: random.Random, count: int) -> str:
    topic = words[0]
    parts = [rng.choice(_OPENERS).format(topic=topic, Topic=topic.capitalize())]
    for _ in range(count - 1):
        a, b = rng.sample(words, 2) if len(words) > 1 else (words[0], "the context")
        parts.append(rng.choice(_BODIES).format(a=a, b=b, A=a.capitalize()))
    closer = rng.choice(_CLOSERS)
    if closer and count > 1:
        parts.append(closer)
    return " ".join(parts)


def _fit(reply: str, words: list[str], rng: random.Random, target_tokens: int) -> str:
    while count_text(reply) < target_tokens:
        reply += " " + _FILLER.format(a=rng.choice(words), b=rng.choice(words))
    return reply[: target_tokens * 4].rstrip()
