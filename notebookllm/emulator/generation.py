"""One GenerateContentResponse from one GenerateContentRequest: the heart of the emulator, shared by the online
endpoints and batch jobs. Faults, quotas and latency are the server's business, not this module's.

>>> from notebookllm.emulator.caches import CacheStore
>>> gen = Generator(seed=0, responder=None, caches=CacheStore(min_tokens=0))
>>> reply = gen.respond("gemini-2.5-flash", {"contents": [{"role": "user", "parts": [{"text": "Hi there"}]}]})
>>> reply["candidates"][0]["finishReason"], reply["modelVersion"]
('STOP', 'gemini-2.5-flash-notebookllm-emulator')
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from typing import Any

from .caches import CacheStore
from .catalog import thinks_by_default
from .errors import ApiError
from .fields import pick
from .files import FileStore
from .markers import Markers, parse_markers
from .media import MediaPart, media_parts, without_media
from .replies import ReplyRequest, Responder, enum_reply, json_reply, text_reply
from .safety import blocking_category, ratings
from .tokens import count_content, count_contents, count_text

EMULATOR_SUFFIX = "-notebookllm-emulator"
_CACHE_CONFLICT = (
    "CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config."
    "\n\nProposed fix: move those values to CachedContent from GenerateContent request."
)
_MIME_TYPES = ("text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum")
_BAD_MIME = (
    "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, "
    "`application/json`, `application/xml`, `application/yaml` and `text/x.enum`."
)
_THOUGHT_SUMMARY = "**Weighing the request**\nI consider what is asked about {topic} and settle on a concise answer."


def prompt_text(body: dict[str, Any]) -> str:
    """The text of all parts of the request's contents (what markers and scripts match against)."""
    contents = body.get("contents") or ()
    if len(contents) == 1:
        parts = contents[0].get("parts") or ()
        if len(parts) == 1:
            return parts[0].get("text") or ""
    return "\n".join(part.get("text") or "" for content in contents for part in content.get("parts") or ())


class Generator:
    """Builds replies; ``respond`` is deterministic in (seed, request key, request)."""

    def __init__(
        self,
        *,
        seed: int,
        responder: Responder | None,
        caches: CacheStore,
        files: FileStore | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self._seed = seed.to_bytes(8, "big", signed=True)
        self._aliases = aliases if aliases is not None else {}
        self._responder = responder
        self._caches = caches
        self._files = files if files is not None else FileStore()

    def respond(self, model: str, body: dict[str, Any], markers: Markers | None = None) -> dict[str, Any]:
        """The GenerateContentResponse for ``body`` sent to ``model`` (a bare model id); ``markers`` when the caller
        has parsed them already. Raises ApiError for invalid requests."""
        contents = body.get("contents")
        if not contents:
            raise ApiError.invalid("* GenerateContentRequest.contents: contents is not specified", "contents")
        prompt = prompt_text(body)
        if markers is None:
            markers = parse_markers(prompt)
        config = pick(body, "generationConfig", "generation_config") or {}
        if (pick(config, "responseMimeType", "response_mime_type") or "text/plain") not in _MIME_TYPES:
            raise ApiError.invalid(_BAD_MIME, "generation_config.response_mime_type")
        system = pick(body, "systemInstruction", "system_instruction")
        cached_tokens = self._cached_tokens(model, body, system)
        seen = media_parts(contents, self._files)
        prompt_tokens = count_contents(contents, self._files) + count_content(system) + cached_tokens
        key = _request_key(model, {**body, "contents": without_media(contents, seen)}, system, config)
        digest = hashlib.blake2b(key, digest_size=16, key=self._seed).digest()
        response: dict[str, Any] = {}
        if markers.block:
            # a safety block rates what it found; the other reasons carry no ratings
            levels = markers.unsafe or ({"HARM_CATEGORY_HARASSMENT": "HIGH"} if markers.block == "SAFETY" else {})
            response["promptFeedback"] = _with_ratings({"blockReason": markers.block}, ratings(levels, None))
            response["usageMetadata"] = _usage(prompt_tokens, cached_tokens, 0, 0)
        else:
            rng = random.Random(int.from_bytes(digest[:8], "big"))
            thinking = pick(config, "thinkingConfig", "thinking_config")
            # a stream of its own, so thinking or not leaves the reply text of a request unchanged
            thoughts = _thought_tokens(model, thinking, prompt_tokens, random.Random(int.from_bytes(digest[8:], "big")))
            max_tokens = pick(config, "maxOutputTokens", "max_output_tokens")
            if max_tokens is not None:  # thinking shares the output budget and stops at it
                thoughts = min(thoughts, int(max_tokens))
            count = int(pick(config, "candidateCount", "candidate_count") or 1)
            candidates = [
                self._candidate(i, model, body, config, system, prompt, markers, thoughts, rng, seen)
                for i in range(count)
            ]
            output_tokens = sum(candidate.pop("_tokens") for candidate in candidates)
            response["candidates"] = candidates
            response["usageMetadata"] = _usage(prompt_tokens, cached_tokens, output_tokens, thoughts * count)
        response["modelVersion"] = self._aliases.get(model, model) + EMULATOR_SUFFIX
        response["responseId"] = digest[8:].hex()
        return response

    def _cached_tokens(self, model: str, body: dict[str, Any], system: Any) -> int:
        name = pick(body, "cachedContent", "cached_content")
        if not name:
            return 0
        if system or body.get("tools") or pick(body, "toolConfig", "tool_config"):
            raise ApiError.invalid(_CACHE_CONFLICT)
        return self._caches.use(name, model)

    def _candidate(
        self,
        index: int,
        model: str,
        body: dict[str, Any],
        config: dict[str, Any],
        system: Any,
        prompt: str,
        markers: Markers,
        thoughts: int,
        rng: random.Random,
        seen: list[MediaPart],
    ) -> dict[str, Any]:
        levels = markers.unsafe
        blocked = markers.safety_stop or blocking_category(levels, pick(body, "safetySettings", "safety_settings"))
        candidate: dict[str, Any] = {"index": index}
        if blocked:
            candidate["finishReason"] = "SAFETY"
            candidate["safetyRatings"] = ratings({**levels, blocked: levels.get(blocked, "HIGH")}, blocked)
            candidate["_tokens"] = 0
            return candidate
        if markers.function_call:
            call = {"name": _first_function(body), "args": {"query": (prompt.split() or ["it"])[0]}}
            candidate["content"] = {"parts": [{"functionCall": call}], "role": "model"}
            candidate["finishReason"] = "STOP"
            candidate["_tokens"] = 8
            return candidate
        if markers.finish not in (None, "STOP", "MAX_TOKENS"):
            candidate["finishReason"] = markers.finish
            _with_ratings(candidate, ratings(levels, None))
            candidate["_tokens"] = 0
            return candidate
        text = self._reply_text(model, body, config, system, prompt, markers, rng, seen)
        finish = "STOP"
        if markers.finish == "MAX_TOKENS":
            text, finish = text[: max(1, len(text) // 2)], "MAX_TOKENS"
        max_tokens = pick(config, "maxOutputTokens", "max_output_tokens")
        if max_tokens is not None:
            # thinking counts against the output budget, as on Gemini 2.5
            room = int(max_tokens) - thoughts
            if count_text(text) > room:
                text, finish = text[: max(room, 0) * 4], "MAX_TOKENS"
        parts: list[dict[str, Any]] = []
        thinking = pick(config, "thinkingConfig", "thinking_config") or {}
        if thoughts and pick(thinking, "includeThoughts", "include_thoughts"):
            topic = (prompt.split() or ["it"])[0]
            parts.append({"text": _THOUGHT_SUMMARY.format(topic=topic), "thought": True})
        if text:
            parts.append({"text": text})
        if parts:
            candidate["content"] = {"parts": parts, "role": "model"}
        candidate["finishReason"] = finish
        _with_ratings(candidate, ratings(levels, None))
        candidate["_tokens"] = count_text(text)
        return candidate

    def _reply_text(
        self,
        model: str,
        body: dict[str, Any],
        config: dict[str, Any],
        system: Any,
        prompt: str,
        markers: Markers,
        rng: random.Random,
        seen: list[MediaPart],
    ) -> str:
        mime = pick(config, "responseMimeType", "response_mime_type") or "text/plain"
        schema = pick(config, "responseJsonSchema", "response_json_schema") or pick(
            config, "responseSchema", "response_schema"
        )
        json_mode = mime == "application/json"
        text: Any = None
        if self._responder is not None:
            request = ReplyRequest(
                model=model,
                prompt=prompt,
                contents=body.get("contents") or [],
                system_instruction=prompt_text({"contents": [system]}) if system else "",
                generation_config=config,
                json_mode=json_mode,
                schema=schema,
                rng=rng,
            )
            text = self._responder(request)
            if text is not None and not isinstance(text, str):
                text = json.dumps(text)
        if text is None:
            if json_mode:
                text = json_reply(schema, prompt, rng)
            elif mime == "text/x.enum":
                text = enum_reply(schema, rng)
            else:
                text = text_reply(prompt, rng, markers.reply_tokens)
                if seen:  # the reply shows which content arrived, not which path or URI carried it
                    text += " Seen: " + "; ".join(m.describe() for m in seen) + "."
        if markers.bad_json and json_mode:
            text = text[: max(1, len(text) // 2)]
        return text


def _first_function(body: dict[str, Any]) -> str:
    """The name of the request's first function declaration (``lookup`` when it declares none)."""
    for tool in body.get("tools") or ():
        declarations = pick(tool, "functionDeclarations", "function_declarations") or ()
        for declaration in declarations:
            if declaration.get("name"):
                return str(declaration["name"])
    return "lookup"


def _with_ratings(target: dict[str, Any], safety_ratings: list[dict[str, Any]]) -> dict[str, Any]:
    """``target`` with ``safetyRatings`` set only when there are ratings (the real API leaves the key out)."""
    if safety_ratings:
        target["safetyRatings"] = safety_ratings
    return target


def _request_key(model: str, body: dict[str, Any], system: Any, config: dict[str, Any]) -> bytes:
    """What makes two requests "the same" for the seeded choices: online, streamed or in a batch alike."""
    cached = pick(body, "cachedContent", "cached_content")
    return json.dumps([model, body["contents"], system, config or None, cached], sort_keys=True).encode()


_LEVEL_SCALE = {"MINIMAL": 0.25, "LOW": 0.5, "MEDIUM": 1.0, "HIGH": 2.0}


def _thought_tokens(model: str, thinking: dict[str, Any] | None, prompt_tokens: int, rng: random.Random) -> int:
    """Thinking tokens: as the model does by default (see :func:`.catalog.thinks_by_default`), unless
    thinkingConfig says otherwise (a budget, 0 = none; a thinking level; includeThoughts)."""
    thinking = thinking or {}
    budget = pick(thinking, "thinkingBudget", "thinking_budget")
    level = str(pick(thinking, "thinkingLevel", "thinking_level") or "").upper()
    asked = budget is not None or level or pick(thinking, "includeThoughts", "include_thoughts")
    if budget == 0 or not (asked or thinks_by_default(model)):
        return 0
    wanted = int((32 + prompt_tokens // 2 + rng.randint(0, 96)) * _LEVEL_SCALE.get(level, 1.0))
    return min(wanted, int(budget)) if budget is not None and budget > 0 else wanted


def _usage(prompt: int, cached: int, candidates: int, thoughts: int) -> dict[str, Any]:
    """usageMetadata as the real API reports it: zero counts left out, prompt count including cached tokens."""
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates:
        usage["candidatesTokenCount"] = candidates
    if cached:
        usage["cachedContentTokenCount"] = cached
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    usage["totalTokenCount"] = prompt + candidates + thoughts
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if cached:
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    return usage
