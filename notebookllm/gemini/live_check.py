"""``make check-live``: a few cheap calls to the real Gemini API, compared in shape with the emulator's answers.

Every test runs on the emulator, so nothing fails when the real service drifts away from it. This check sends the
same small set of requests to both — generate, JSON mode, countTokens, a small context cache (created, used,
deleted) and a deliberate 400 — and prints every difference in *shape*: a key one side has and the other lacks, or
a value of another type. Values themselves (texts, counts, ids) are expected to differ. It also prints what the
calls cost. Without ``GEMINI_API_KEY`` / ``GOOGLE_API_KEY`` it says so and exits 0; it is never part of ``make test``.

Example:
    >>> shape_diff({"a": 1, "b": [{"c": "x"}]}, {"a": 2, "b": [{"c": "y", "d": True}]})
    [Difference(path='b[].d', kind='only in emulator', real=None, emulated='bool')]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..core.redaction import register_secret
from .errors import API_KEY_ENV_VARS
from .pricing import cache_storage_cost, estimate_cost
from .response import usage_of

__all__ = ["CALLS", "CHECK_MODEL", "Difference", "LiveCheckReport", "configure", "run", "run_live_check", "shape_diff"]

CHECK_MODEL = "gemini-3.1-flash-lite"
"""The cheapest current model (ai.google.dev pricing, 2026-12-03): a full check costs well under a cent."""

_CACHE_TEXT = "The quick brown fox jumps over the lazy dog. " * 420  # just above the 4,096-token cache minimum
_CACHE_TTL_S = 60
_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
}
# Fields whose presence depends on the transport or the moment, not on the protocol.
_IGNORED = frozenset({"sdk_http_response", "automatic_function_calling_history", "create_time", "response_id"})


@dataclass(frozen=True)
class Difference:
    """One difference in shape at ``path`` (``a.b[].c``): ``kind`` is ``"missing in emulator"``, ``"only in
    emulator"`` or ``"type differs"``; ``real`` / ``emulated`` name the JSON types on each side."""

    path: str
    kind: str
    real: str | None
    emulated: str | None


@dataclass
class LiveCheckReport:
    """What a live check found: differences per call, and the estimated US dollars the real calls cost."""

    differences: dict[str, list[Difference]] = field(default_factory=dict)
    cost_usd: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(self.differences.values())

    def render(self) -> str:
        lines = []
        for call, diffs in self.differences.items():
            lines.append(f"{call}: {'same shape' if not diffs else f'{len(diffs)} difference(s)'}")
            lines.extend(f"  {d.path or '<root>'}: {d.kind} (real {d.real}, emulator {d.emulated})" for d in diffs)
        lines.append(f"estimated cost of the real calls: ${self.cost_usd:.6f}")
        return "\n".join(lines)


def shape_diff(real: Any, emulated: Any, path: str = "") -> list[Difference]:
    """Differences in shape between two JSON-like values (dict keys, list item shapes, scalar types)."""
    real_type, emu_type = _json_type(real), _json_type(emulated)
    if real_type != emu_type:
        if "null" in (real_type, emu_type):
            kind = "missing in emulator" if emu_type == "null" else "only in emulator"
            return [Difference(path, kind, None if real_type == "null" else real_type, _none(emu_type))]
        return [Difference(path, "type differs", real_type, emu_type)]
    if real_type == "object":
        diffs = []
        for key in sorted(set(real) | set(emulated)):
            if key in _IGNORED:
                continue
            sub = f"{path}.{key}" if path else key
            diffs.extend(shape_diff(real.get(key), emulated.get(key), sub))
        return diffs
    if real_type == "array":
        return shape_diff(_merged(real), _merged(emulated), f"{path}[]")
    return []


def _none(json_type: str) -> str | None:
    return None if json_type == "null" else json_type


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _merged(items: list[Any]) -> Any:
    """One value with every key any item of the list has (item shapes, not positions, are compared)."""
    if not items:
        return None
    if all(isinstance(item, dict) for item in items):
        merged: dict[str, Any] = {}
        for item in items:
            for key, value in item.items():
                merged[key] = _merged([merged[key], value]) if key in merged and value is not None else value
        return merged
    return items[0]


# -- the calls ---------------------------------------------------------------------------------------------------

Call = Callable[[genai.Client, str], Awaitable[tuple[Any, float]]]


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", exclude_none=True) if value is not None else None


def _cost(response: types.GenerateContentResponse, model: str) -> float:
    return estimate_cost(usage_of(response), model) or 0.0


async def _generate(client: genai.Client, model: str) -> tuple[Any, float]:
    response = await client.aio.models.generate_content(model=model, contents="Name one colour. One word.")
    return _dump(response), _cost(response, model)


async def _json_mode(client: genai.Client, model: str) -> tuple[Any, float]:
    config = types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=_SCHEMA)
    response = await client.aio.models.generate_content(model=model, contents="The capital of France", config=config)
    return _dump(response), _cost(response, model)


async def _count_tokens(client: genai.Client, model: str) -> tuple[Any, float]:
    return _dump(await client.aio.models.count_tokens(model=model, contents="How many tokens is this?")), 0.0


async def _context_cache(client: genai.Client, model: str) -> tuple[Any, float]:
    config = types.CreateCachedContentConfig(contents=[_CACHE_TEXT], ttl=f"{_CACHE_TTL_S}s")
    cache = await client.aio.caches.create(model=model, config=config)
    try:
        response = await client.aio.models.generate_content(
            model=model,
            contents="How many times is the fox mentioned, roughly?",
            config=types.GenerateContentConfig(cached_content=cache.name),
        )
    finally:
        await client.aio.caches.delete(name=cache.name or "")
    tokens = cache.usage_metadata.total_token_count if cache.usage_metadata else 0
    storage = cache_storage_cost(tokens or 0, _CACHE_TTL_S / 3600, model) or 0.0
    shown = {"cache": _dump(cache), "reply": _dump(response)}
    return shown, _cost(response, model) + storage


async def _bad_request(client: genai.Client, model: str) -> tuple[Any, float]:
    config = types.GenerateContentConfig(response_mime_type="text/not-a-type")
    try:
        await client.aio.models.generate_content(model=model, contents="Hi", config=config)
    except genai_errors.APIError as exc:
        return {"code": exc.code, "status": exc.status, "body": exc.details}, 0.0
    return {"code": 200}, 0.0


CALLS: dict[str, Call] = {
    "generate": _generate,
    "json mode": _json_mode,
    "countTokens": _count_tokens,
    "context cache": _context_cache,
    "deliberate 400": _bad_request,
}


async def run_live_check(real: genai.Client, emulated: genai.Client, model: str = CHECK_MODEL) -> LiveCheckReport:
    """Send every call of :data:`CALLS` to ``real`` and to ``emulated`` and compare the shapes of the answers.

    A call that raises on one side is reported as a difference (its error type), not raised.
    """
    report = LiveCheckReport()
    for name, call in CALLS.items():
        real_shape, cost = await _guarded(call, real, model)
        emulated_shape, _ = await _guarded(call, emulated, model)
        report.cost_usd += cost
        report.differences[name] = shape_diff(real_shape, emulated_shape)
    return report


async def _guarded(call: Call, client: genai.Client, model: str) -> tuple[Any, float]:
    try:
        return await call(client, model)
    except Exception as exc:  # reported as a shape of its own: the other side most likely answered
        return {"raised": type(exc).__name__}, 0.0


# -- the command ---------------------------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    """``notebookllm check-live [--model M]``."""
    parser.add_argument("--model", default=CHECK_MODEL, help=f"model to check (default {CHECK_MODEL}, the cheapest)")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the check when a key is set (exit 1 on differences), else say so and exit 0."""
    out = out if out is not None else sys.stdout
    key = next((os.environ[name].strip() for name in API_KEY_ENV_VARS if os.environ.get(name, "").strip()), None)
    if key is None:
        print(f"check-live: no {' / '.join(API_KEY_ENV_VARS)} set; nothing checked.", file=out)
        return 0
    register_secret(key)
    from ..sync import run_sync
    from .connection import embedded_emulator

    real = genai.Client(api_key=key, vertexai=False)
    report = run_sync(run_live_check(real, embedded_emulator().client(), args.model))
    print(f"check-live: {args.model}, real Gemini API vs the notebookllm emulator", file=out)
    print(report.render(), file=out)
    return 0 if report.ok else 1
