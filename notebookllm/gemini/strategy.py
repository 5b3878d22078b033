"""``GeminiStrategy``: one Gemini ``generateContent`` call per attempt, through ``client.aio``.

Every reply, whatever ``include_metadata`` says, is reported to the running attempt: the billed tokens as soon as
they are known (so a reply that then fails to parse still counts) and the result-row metadata (finish reason,
safety ratings, blocked, block reason, model, model version, emulated, cost). The finish reason decides what
happens next (see :mod:`notebookllm.gemini.finish_reasons`): a blocked prompt or a safety stop raises
:class:`~notebookllm.gemini.GeminiBlockedError`; ``MAX_TOKENS`` raises :class:`~notebookllm.gemini.GeminiTruncatedError`
(not retried, partial text kept, never repaired as JSON); other reasons the same request would meet again raise
:class:`~notebookllm.gemini.GeminiFinishReasonError`. A reply that does not parse raises the (retryable) pydantic
``ValidationError`` or ``json.JSONDecodeError``.

Current models (Gemini 3) think by default and deprecate ``temperature``/``top_p``/``top_k``: leave those unset
and steer cost and depth with ``thinking`` (a level such as ``"low"``, or a token budget on 2.5 models).

Example:
    >>> from pydantic import BaseModel
    >>> class Book(BaseModel):
    ...     title: str
    ...     year: int
    >>> strategy = GeminiStrategy(client, response_schema=Book, thinking="low")
    >>> book, usage = await strategy.execute("Dune by Frank Herbert, as JSON", attempt=1, timeout=30)
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, ClassVar, TypeVar

import json_repair
import pydantic
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..core.attempt import current_attempt
from ..core.classification import ErrorClassifier
from ..core.errors import ConfigurationError
from ..core.retry_state import RetryState
from ..core.strategy import LLMCallStrategy, canonical_json
from ..core.tokens import TokenUsage
from ..media import MultimodalPrompt
from .classifier import GeminiErrorClassifier
from .connection import account_error, default_client, default_model
from .errors import (
    GeminiBlockedError,
    GeminiEmptyResponseError,
    GeminiError,
    GeminiFinishReasonError,
    GeminiTruncatedError,
)
from .finish_reasons import finish_outcome
from .media_parts import MediaParts, fingerprint_contents
from .pricing import cache_saving, estimate_cost
from .response import GeminiResponse, audio_tokens_of, response_metadata, to_gemini_response, usage_of
from .source import answer_source
from .transport import RunTransport

__all__ = ["GeminiStrategy"]

_CONTENTS_MARK = "\x00notebookllm: the contents go here\x00"  # no request holds it: see _identity_json

TOutput = TypeVar("TOutput")

ResponseParser = Callable[[types.GenerateContentResponse], Any]


class GeminiStrategy(LLMCallStrategy[TOutput]):
    """Call a Gemini model once per attempt and parse the reply.

    Args:
        client: a ``genai.Client`` (see :func:`~notebookllm.connect`); defaults to the last ``connect()``'s client.
        model: e.g. ``"gemini-3.5-flash-lite"``; defaults to the model given to ``connect()``, else
            ``$NOTEBOOKLLM_MODEL``, else :data:`~notebookllm.DEFAULT_MODEL`.
        system_instruction: the system prompt.
        config: a ``GenerateContentConfig`` (or dict) for anything else (tools, service tier, ...).
        thinking: how much the model thinks: a level (``"minimal"``, ``"low"``, ``"medium"``, ``"high"``; Gemini 3),
            a token budget (an ``int``; Gemini 2.5, ``0`` turns thinking off), or a ``ThinkingConfig``. Unset, the
            model thinks as it does by default (current Flash and Pro models do, and the thinking tokens are billed
            as output and count against ``max_output_tokens``).
        max_output_tokens, seed, stop_sequences, safety_settings: generation parameters; they override the same
            fields of ``config``.
        temperature, top_p, top_k: deprecated on current models (Gemini 3 works best at its defaults); still sent
            when given, for older models.
        response_schema: a pydantic model class (or list of them, a ``types.Schema`` or a dict): the request asks
            for JSON of that shape and the output is the parsed, validated value. Slightly broken JSON is repaired
            first.
        response_json_schema: a JSON Schema (dict) sent as ``response_json_schema``, the form current models
            prefer; the output is the parsed JSON.
        response_parser: ``parser(response) -> output``; takes precedence over the schema for the output.
        include_metadata: return :class:`~notebookllm.gemini.GeminiResponse` (output + safety ratings, finish
            reason, usage, raw response) instead of the bare output.
        retry_blocked: let the default classifier retry safety-blocked items (off by default).

    ``execute`` takes the item's :class:`~notebookllm.RetryState`; subclasses can read and write it and call
    ``super().execute(...)``.

    A :class:`~notebookllm.MultimodalPrompt` (a template row with file cells) is sent as text and file parts;
    :attr:`media` decides inline or uploaded and remembers uploads (see :mod:`notebookllm.gemini.media_parts`).
    """

    cache_namespace: ClassVar[str | None] = "notebookllm.gemini/1"

    def __init__(
        self,
        client: genai.Client | None = None,
        model: str | None = None,
        *,
        system_instruction: str | types.ContentUnion | None = None,
        config: types.GenerateContentConfig | Mapping[str, Any] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: float | None = None,
        max_output_tokens: int | None = None,
        seed: int | None = None,
        stop_sequences: list[str] | None = None,
        safety_settings: list[types.SafetySetting] | None = None,
        thinking: str | int | types.ThinkingConfig | None = None,
        response_schema: Any = None,
        response_json_schema: dict[str, Any] | None = None,
        response_parser: ResponseParser | None = None,
        include_metadata: bool = False,
        retry_blocked: bool = False,
    ) -> None:
        self.client = client if client is not None else default_client()
        self.model = model or default_model()
        if response_schema is not None and response_json_schema is not None:
            raise ConfigurationError("give response_schema or response_json_schema, not both")
        self.response_schema = response_schema if response_schema is not None else response_json_schema
        self.response_parser = response_parser
        self.include_metadata = include_metadata
        self.retry_blocked = retry_blocked
        params = dict(
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            max_output_tokens=max_output_tokens,
            seed=seed,
            stop_sequences=stop_sequences,
            safety_settings=safety_settings,
            thinking_config=_thinking_config(thinking),
        )
        if system_instruction is not None:
            params["system_instruction"] = system_instruction
        if response_schema is not None:
            params.update(response_mime_type="application/json", response_schema=response_schema)
        if response_json_schema is not None:
            params.update(response_mime_type="application/json", response_json_schema=response_json_schema)
        base = types.GenerateContentConfig.model_validate(config or {})
        self.config = base.model_copy(update={k: v for k, v in params.items() if v is not None})
        self._transport = RunTransport()

    def __repr__(self) -> str:
        # Never the client: its repr is harmless today, but nothing here should risk showing a key.
        return f"{type(self).__name__}(model={self.model!r}, include_metadata={self.include_metadata})"

    async def prepare(self) -> None:
        """Open the run's HTTP session (see :mod:`notebookllm.gemini.transport`). Called once per run."""
        await self._transport.open(self.client)

    async def cleanup(self) -> None:
        """Close the run's HTTP session."""
        await self._transport.close()

    async def execute(
        self, prompt: str, attempt: int, timeout: float, state: RetryState | None = None
    ) -> tuple[Any, TokenUsage]:
        """Send ``prompt``; return ``(output, usage)`` (``output`` is a ``GeminiResponse`` if ``include_metadata``)."""
        if isinstance(prompt, MultimodalPrompt):
            return self._finish(await self.media.send(prompt, lambda: self._generate(prompt)))
        return self._finish(await self._generate(prompt))

    @functools.cached_property
    def media(self) -> MediaParts:
        """The file parts of this strategy's prompts: inline or uploaded, uploads remembered in the store."""
        return MediaParts(self.client)

    def default_error_classifier(self) -> ErrorClassifier:
        """A :class:`~notebookllm.gemini.GeminiErrorClassifier` honouring ``retry_blocked``."""
        return GeminiErrorClassifier(retry_blocked=self.retry_blocked)

    def request_fingerprint(self, prompt: str) -> dict[str, Any]:
        """The final request ``prompt`` becomes, as JSON: model, contents, full config (schema as JSON schema),
        plus the strategy class and how its output is built. What the response cache keys on.
        """
        if isinstance(prompt, MultimodalPrompt):
            return {**self._request_identity, "contents": fingerprint_contents(prompt)}
        return {**self._request_identity, "contents": contents_json(self._request_contents(prompt))}

    def request_key(self, prompt: str) -> str | None:
        """:meth:`request_fingerprint`'s digest, the same one, with the request identity's JSON written once per
        strategy and the prompt's contents spliced into it (14.6 → 8.6 µs a prompt: the key of every row of a run
        is computed before its first request)."""
        halves = self._identity_json
        if halves is None or isinstance(prompt, MultimodalPrompt):
            return super().request_key(prompt)
        contents = canonical_json(contents_json(self._request_contents(prompt)))
        return hashlib.sha256(f"{halves[0]}{contents}{halves[1]}".encode()).hexdigest()

    @functools.cached_property
    def _identity_json(self) -> tuple[str, str] | None:
        """The canonical JSON of :meth:`request_fingerprint` up to its contents and after them (its keys are sorted,
        so the contents sit in one place); ``None`` if the marker put there cannot be found once, or if a subclass
        writes its own fingerprint."""
        if type(self).request_fingerprint is not GeminiStrategy.request_fingerprint:
            return None
        text = canonical_json({**self._request_identity, "contents": _CONTENTS_MARK})
        marker = f'"contents":{canonical_json(_CONTENTS_MARK)}'
        if text.count(marker) != 1:
            return None
        head, _, tail = text.partition(marker)
        return f'{head}"contents":', tail

    @functools.cached_property
    def _request_identity(self) -> dict[str, Any]:
        """Everything in :meth:`request_fingerprint` but the prompt. Computed once per strategy because rendering
        the schema as JSON schema costs far more than the rest; the strategy's settings are fixed once built."""
        config = self.config.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"http_options", "response_schema", "response_json_schema", "cached_content"},
        )
        if self.response_schema is not None:
            config["response_schema"] = _json_schema(self.response_schema)
        return {
            "namespace": self.cache_namespace,
            "strategy": f"{type(self).__module__}.{type(self).__qualname__}",
            "model": self.model,
            "source": answer_source(self.client),  # an emulated answer is never served as a real one
            "config": config,
            **self._fingerprint_extra(),
            "output": {
                "parser": _callable_name(self.response_parser),
                "include_metadata": self.include_metadata,
            },
        }

    # -- the request/response path shared with GeminiCachedStrategy -------------------------------------------------

    def _fingerprint_extra(self) -> dict[str, Any]:
        """Request parts that live outside ``config`` (the cached strategy's context cache identity)."""
        return {}

    def _contents(self, prompt: str) -> list[types.Content]:
        if isinstance(prompt, MultimodalPrompt):
            return [types.Content(role="user", parts=self.media.parts(prompt))]
        return [types.Content(role="user", parts=[types.Part(text=prompt)])]

    def _request_contents(self, prompt: str) -> types.ContentListUnion:
        """``prompt`` as the request's contents, in the form the SDK takes in cheapest (see
        :func:`_sendable_contents`): a plain-text prompt is sent as the string, with no ``Content`` built for it."""
        return prompt if type(prompt) is str else self._contents(prompt)

    async def _generate(self, prompt: str) -> types.GenerateContentResponse:
        """One request for ``prompt`` (the cached strategy names its cache here)."""
        return await self._send(self._request_contents(prompt), self.config)

    async def _send(
        self, contents: types.ContentListUnion, config: types.GenerateContentConfig
    ) -> types.GenerateContentResponse:
        ctx = current_attempt()
        if ctx is not None:
            ctx.annotate(model=self.model)
        try:
            return await self._transport.client(self.client).aio.models.generate_content(
                model=self.model, contents=_sendable_contents(contents), config=self._sendable_config(config)
            )
        except genai_errors.ClientError as exc:
            refused = await account_error(self.client, self.model, exc)
            if refused is not None:
                raise refused from exc
            raise

    def _sendable_config(self, config: types.GenerateContentConfig) -> types.GenerateContentConfig | None:
        """``config`` as sent, the same request on the wire: ``None`` when it sets nothing (the SDK copies and converts
        a config object field by field on every call, about 0.7 ms of CPU per request on 2 cores, even when every field
        is empty), and the strategy's response schema already in the SDK's ``Schema`` form (converting a pydantic
        model costs the SDK about 0.6 ms per call; here it is done once per strategy)."""
        if not any(getattr(config, name) is not None for name in config.model_fields_set):
            return None
        schema = config.response_schema
        if schema is not None and schema is self.response_schema and self._sent_schema is not schema:
            return config.model_copy(update={"response_schema": self._sent_schema})
        return config

    @functools.cached_property
    def _sent_schema(self) -> Any:
        """The response schema as the request carries it. Python types (pydantic models, ``list[Model]``, ...) are
        converted once, by the SDK's own converter; enums, dicts and ``Schema`` objects go as given (the SDK reads
        enum replies its own way, and the others cost it little)."""
        schema = self.response_schema
        if isinstance(schema, (dict, types.Schema, enum.EnumMeta)):
            return schema
        from google.genai import _transformers  # private: the converter generate_content runs on every call

        return _transformers.t_schema(self.client._api_client, schema)

    @functools.cached_property
    def _output_adapter(self) -> pydantic.TypeAdapter[Any]:
        return pydantic.TypeAdapter(self.response_schema)

    def _finish(self, response: types.GenerateContentResponse) -> tuple[Any, TokenUsage]:
        """Report usage and metadata to the running attempt, refuse blocked replies, parse the rest."""
        usage = usage_of(response)
        reply = to_gemini_response(response, usage=usage)
        ctx = current_attempt()
        if ctx is not None:
            ctx.bill(usage)
            ctx.annotate(**response_metadata(reply, self.model), **self._costs(response, usage))
        if reply.blocked:
            raise GeminiBlockedError(reply)
        outcome = finish_outcome(reply.finish_reason)
        if outcome != "ok":
            partial = _answer_text(response)
            if ctx is not None and partial:
                ctx.annotate(partial_text=partial)
            raise _finish_error(outcome, reply, partial)
        reply.output = self._parse(response, reply.finish_reason)
        return (reply if self.include_metadata else reply.output), usage

    def _costs(self, response: types.GenerateContentResponse, usage: TokenUsage) -> dict[str, float | None]:
        """``cost_usd`` (service tier and audio input counted) and, on a cache hit, ``cache_saving_usd``."""
        tier = _service_tier(response, self.config)
        audio, cached_audio = audio_tokens_of(response)
        costs = {
            "cost_usd": estimate_cost(
                usage, self.model, service_tier=tier, audio_input_tokens=audio, cached_audio_tokens=cached_audio
            )
        }
        if usage.cached_input_tokens:
            costs["cache_saving_usd"] = cache_saving(usage, self.model, service_tier=tier)
        return costs

    def _parse(self, response: types.GenerateContentResponse, finish_reason: str | None) -> Any:
        if self.response_parser is not None:
            return self.response_parser(response)
        # The SDK parses the reply by the schema it was sent: a model instance for a pydantic model, JSON data for a
        # converted schema (see _sent_schema), None when the JSON did not parse or validate.
        data = response.parsed if self.response_schema is not None else None
        if data is None:
            text = _answer_text(response)
            if text is None:
                if response.function_calls:  # a reply that only calls a tool has an answer, just not text
                    return response.function_calls
                raise GeminiEmptyResponseError(finish_reason)
            if self.response_schema is None:
                return text
            data = _load_json(text)
        if isinstance(self.response_schema, (dict, types.Schema)):
            return data
        output = self._output_adapter.validate_python(data)
        # The SDK, sent the converted schema, parsed the reply as JSON data; the raw response carries the model
        # instance, as when the SDK converts the schema itself (and as the store restores it).
        response.parsed = output
        return output


def contents_json(contents: str | list[types.Content]) -> list[dict[str, Any]]:
    """Request contents as the JSON data the cache key and a batch job's fingerprint hash: what ``model_dump`` makes
    of them, a plain-text prompt as the ``Content`` it is sent as, without building it (50 µs a row)."""
    if isinstance(contents, str):
        return [{"parts": [{"text": contents}], "role": "user"}]
    return [c.model_dump(mode="json", exclude_none=True) for c in contents]


def _sendable_contents(contents: types.ContentListUnion) -> types.ContentListUnion:
    """``contents`` in the form the SDK takes in cheapest, for the same request on the wire: one user turn of plain
    text as the bare string. The SDK validates ``Content`` objects again on every call (pydantic tries each member of
    its content unions), about 0.9 ms of CPU per request on 2 cores against 20 µs for a string."""
    if isinstance(contents, list) and len(contents) == 1 and isinstance(contents[0], types.Content):
        turn = contents[0]
        if turn.role == "user" and turn.parts is not None and len(turn.parts) == 1:
            part = turn.parts[0]
            if part.model_fields_set == {"text"} and part.text is not None:
                return part.text
    return contents


def _finish_error(outcome: str, reply: GeminiResponse[Any], text: str | None) -> GeminiError:
    """The error for a reply whose finish reason is not ``"ok"`` (see :mod:`.finish_reasons`)."""
    if outcome == "truncated":
        return GeminiTruncatedError(reply, text)
    if outcome == "retry":
        return GeminiEmptyResponseError(reply.finish_reason)
    return GeminiFinishReasonError(reply, text, account=outcome == "account")


def _answer_text(response: types.GenerateContentResponse) -> str | None:
    """The answer's text parts joined, thoughts left out; ``None`` when there are none (``response.text`` also
    warns about non-text parts, which a tool-calling reply has)."""
    candidate = response.candidates[0] if response.candidates else None
    parts = candidate.content.parts if candidate is not None and candidate.content is not None else None
    texts = [p.text for p in parts or () if p.text is not None and not p.thought]
    return "".join(texts) if texts else None


def _thinking_config(thinking: str | int | types.ThinkingConfig | None) -> types.ThinkingConfig | None:
    if thinking is None or isinstance(thinking, types.ThinkingConfig):
        return thinking
    if isinstance(thinking, bool) or not isinstance(thinking, (str, int)):
        raise ConfigurationError(f"thinking must be a level name, a token budget or a ThinkingConfig, not {thinking!r}")
    if isinstance(thinking, int):
        return types.ThinkingConfig(thinking_budget=thinking)
    if not hasattr(types, "ThinkingLevel"):
        raise ConfigurationError("thinking levels need a newer google-genai; pass a token budget (an int) instead")
    level = thinking.strip().upper()
    if level not in types.ThinkingLevel.__members__ or level == "THINKING_LEVEL_UNSPECIFIED":
        names = ", ".join(m.lower() for m in types.ThinkingLevel.__members__ if m != "THINKING_LEVEL_UNSPECIFIED")
        raise ConfigurationError(f"unknown thinking level {thinking!r}; one of {names}")
    return types.ThinkingConfig(thinking_level=types.ThinkingLevel[level])


def _service_tier(response: types.GenerateContentResponse, config: types.GenerateContentConfig) -> str | None:
    """The tier the reply was billed at: the service's ``trafficType`` when it says, else the tier asked for.
    (Older google-genai versions have neither field.)"""
    traffic = _enum_name(getattr(response.usage_metadata, "traffic_type", None))
    if traffic in _TRAFFIC_TIERS:
        return _TRAFFIC_TIERS[traffic]
    return requested_service_tier(config)


def requested_service_tier(config: types.GenerateContentConfig) -> str | None:
    """The service tier a request asks for (``"flex"``, ``"priority"``, ...); ``None``: standard."""
    return _enum_name(getattr(config, "service_tier", None))


_TRAFFIC_TIERS = {"ON_DEMAND": "standard", "ON_DEMAND_FLEX": "flex", "ON_DEMAND_PRIORITY": "priority"}


def _enum_name(value: Any) -> str | None:
    return value.name if isinstance(value, Enum) else value


def _load_json(text: str) -> Any:
    """Parse model JSON, repairing what json-repair can (a missing brace, a trailing comma, prose around it)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        repaired = json_repair.loads(text)
        if not isinstance(repaired, (dict, list)):  # json-repair answers "" for text it cannot repair
            raise err from None
        return repaired


def _json_schema(schema: Any) -> Any:
    if isinstance(schema, dict):
        return schema
    if isinstance(schema, types.Schema):
        return schema.model_dump(mode="json", exclude_none=True)
    return pydantic.TypeAdapter(schema).json_schema()


def _callable_name(fn: Callable[..., Any] | None) -> str | None:
    # A name, never the source: the fingerprint must stay stable across kernels and reformatting.
    if fn is None:
        return None
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
