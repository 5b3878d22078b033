"""The aiohttp application: routes for every endpoint under any version prefix (v1, v1beta, v1alpha), API-key
checks, Google JSON errors, faults, quotas, latency and the request log.

>>> app = EmulatorServer(EmulatorConfig()).app()
>>> sorted({route.name for route in app.router.routes() if route.name})[:3]
['batchGenerateContent', 'batches.cancel', 'batches.delete']
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiohttp import web

from ..quota_day import next_reset
from .catalog import DEPRECATED_MODELS, model_resource, retired_for_new_users, unknown_model
from .config import EmulatorConfig
from .errors import ApiError
from .faults import Fault
from .fields import pick
from .generation import prompt_text
from .log import fingerprint
from .markers import Markers, parse_markers
from .pagination import page
from .quotas import daily_quota_error, minute_quota_error
from .state import State
from .tokens import count_content, count_contents

EMULATOR_HEADER = "x-notebookllm-emulator"
_V = "/{version:v1|v1beta|v1alpha}"
_ID = "{id:[^/:]+}"
_MODEL = "{model:[^/:]+}"
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_BAD_KEY_DETAILS = [
    {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    }
]
_NON_JSON_BODY = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
_SSE_CHUNKS = 3
# The usageMetadata of the reply being served, for the request log (each request runs in its own task and context).


class _Prepared(NamedTuple):
    model: str
    body: dict[str, Any]
    markers: Markers
    mangle: str | None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json_response(data: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), content_type="application/json", headers=headers)


def _error_response(error: ApiError) -> web.Response:
    return web.Response(status=error.code, body=error.body_bytes(), content_type="application/json")


@dataclass
class _Note:
    """What a handler tells the request log beyond the status: the injected fault and the tokens billed."""

    fault: str | None = None
    usage: dict[str, Any] | None = None


_NOTE: contextvars.ContextVar[_Note] = contextvars.ContextVar("emulator_request_note")


class _ConnectionReset(Exception):
    """A ``reset`` fault: the connection was dropped instead of answered."""


def _system_tokens(body: dict[str, Any]) -> int:
    return count_content(pick(body, "systemInstruction", "system_instruction"))


async def _read_json(request: web.Request) -> tuple[bytes, dict[str, Any]]:
    raw = await request.read()
    if not raw:
        return raw, {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError.invalid("Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise ApiError.invalid("Invalid JSON payload received. Expected an object.")
    return raw, body


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


class EmulatorServer:
    """Serves one :class:`State` (replaced whole by :meth:`reset`) under one :class:`EmulatorConfig`."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.state = State(config)
        retired = frozenset(DEPRECATED_MODELS) if config.new_user else frozenset()
        self._models = frozenset(config.models) - retired
        self._retired = retired

    def reset(self) -> None:
        """Forget everything: caches, files, batches, quota windows, scripts, repeat counters, the log."""
        self.state = State(self.config)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=1024**3)
        routes = [
            ("POST", "/models/" + _MODEL + ":generateContent", self._generate, "generateContent"),
            ("POST", "/models/" + _MODEL + ":streamGenerateContent", self._stream, "streamGenerateContent"),
            ("POST", "/models/" + _MODEL + ":countTokens", self._count_tokens, "countTokens"),
            ("POST", "/models/" + _MODEL + ":batchGenerateContent", self._batch_create, "batchGenerateContent"),
            ("GET", "/models/" + _MODEL, self._model_get, "models.get"),
            ("GET", "/models", self._model_list, "models.list"),
            ("POST", "/cachedContents", self._cache_create, "cachedContents.create"),
            ("GET", "/cachedContents", self._cache_list, "cachedContents.list"),
            ("GET", "/cachedContents/" + _ID, self._cache_get, "cachedContents.get"),
            ("PATCH", "/cachedContents/" + _ID, self._cache_patch, "cachedContents.patch"),
            ("DELETE", "/cachedContents/" + _ID, self._cache_delete, "cachedContents.delete"),
            ("GET", "/batches", self._batch_list, "batches.list"),
            ("POST", "/batches/" + _ID + ":cancel", self._batch_cancel, "batches.cancel"),
            ("GET", "/batches/" + _ID, self._batch_get, "batches.get"),
            ("DELETE", "/batches/" + _ID, self._batch_delete, "batches.delete"),
            ("GET", "/files", self._file_list, "files.list"),
            ("GET", "/files/" + _ID + ":download", self._file_download, "files.download"),
            ("GET", "/files/" + _ID, self._file_get, "files.get"),
            ("DELETE", "/files/" + _ID, self._file_delete, "files.delete"),
        ]
        for method, path, handler, name in routes:
            app.router.add_route(method, _V + path, handler, name=name)
        app.router.add_route("POST", "/upload" + _V + "/files", self._upload, name="files.upload")
        return app

    # -- cross-cutting: key, errors, header, log ------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.time()
        arrived = time.monotonic()
        t0 = time.perf_counter()
        state = self.state
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        endpoint = request.match_info.route.name or "unknown"
        status: int | None = None
        retry_delay_s: float | None = None
        note = _Note()
        _NOTE.set(note)
        try:
            # upload chunks carry no key: the session id in the upload URL is the credential;
            # an unknown path is a 404 whatever the key
            if request.match_info.http_exception is None and (
                endpoint != "files.upload" or "upload_id" not in request.query
            ):
                self._check_key(key)
            response = await handler(request)
        except ApiError as error:
            retry_delay_s = error.retry_delay_s
            response = _error_response(error)
        except web.HTTPException as exc:
            code = exc.status
            message = "Method not allowed." if code == 405 else f"The requested URL {request.path} was not found."
            response = _error_response(ApiError(code, message))
        except asyncio.CancelledError:
            status = 499  # the client went away (e.g. its timeout during a hang)
            raise
        except _ConnectionReset:
            status = 0
            response = web.Response(status=500)  # never written: the connection is gone
        except Exception as exc:
            response = _error_response(ApiError(500, f"Internal error in the emulator: {type(exc).__name__}: {exc}"))
        finally:
            if status is None:
                status = response.status
            state.log.add(
                request.method,
                request.path,
                endpoint,
                request.match_info.get("model"),
                status,
                started,
                time.perf_counter() - t0,
                fingerprint(key),
                note.fault,
                note.usage,
                retry_delay_s,
                arrived,
            )
        if not response.prepared:
            response.headers[EMULATOR_HEADER] = "1"
        return response

    def _check_key(self, key: str | None) -> None:
        if not key:
            raise ApiError.permission_denied(_NO_KEY)
        expected = self.config.api_key
        if expected is not None and not hmac.compare_digest(key.encode(), expected.encode()):
            raise ApiError(400, "API key not valid. Please pass a valid API key.", _BAD_KEY_DETAILS)

    def _model(self, request: web.Request) -> str:
        return self._served(request.match_info["model"], request)

    def _served(self, model: str, request: web.Request) -> str:
        if model in self._retired:
            raise retired_for_new_users(model)
        if model not in self._models:
            raise unknown_model(model, request.match_info["version"])
        return model

    # -- generation ------------------------------------------------------------------------------------------------

    async def _prepare_generation(self, request: web.Request) -> _Prepared:
        """Everything before the reply: parse, quotas, faults, latency (and which mangling is still to apply)."""
        state = self.state
        model = self._model(request)
        raw, body = await _read_json(request)
        prompt = prompt_text(body)
        markers = parse_markers(prompt)
        contents_tokens = count_contents(body.get("contents"), state.files)
        self._check_input_limit(model, contents_tokens + _system_tokens(body))
        if state.quotas.active:
            state.quotas.admit(model, contents_tokens)
        fault = self._pick_fault(state, model, raw, prompt, markers)
        delay = state.latency.draw()
        if delay:
            await asyncio.sleep(delay)
        mangle = None
        if fault is not None:
            _NOTE.get().fault = fault.label
            if fault.kind == "reset":
                if request.transport is not None:
                    request.transport.abort()  # dropped mid-request, as a proxy or load balancer may
                raise _ConnectionReset
            if fault.kind == "status":
                if fault.code == 429:
                    raise minute_quota_error(model, fault.seconds or self.config.retry_delay_s)
                raise ApiError(fault.code)
            if fault.kind == "daily":
                now = self.config.clock()
                raise daily_quota_error(model, next_reset(now) - now)
            if fault.kind == "hang":
                await asyncio.sleep(fault.seconds if fault.seconds is not None else self.config.hang_s)
            else:
                mangle = fault.kind
        return _Prepared(model, body, markers, mangle)

    def _check_input_limit(self, model: str, tokens: int) -> None:
        limit = self.config.input_token_limit or model_resource(model)["inputTokenLimit"]
        if tokens > limit:
            raise ApiError.invalid(
                f"The input token count ({tokens}) exceeds the maximum number of tokens allowed ({limit})."
            )

    @staticmethod
    def _pick_fault(state: State, model: str, raw: bytes, prompt: str, markers: Markers) -> Fault | None:
        """Prompt marker first, then the first matching script, then the seeded random rate."""
        if markers.fail is not None and (
            markers.fail_times is None or state.repeats.hit(model.encode() + raw) < markers.fail_times
        ):
            return markers.fail
        return state.scripts.take(prompt) or state.random_faults.draw()

    def _respond(self, prepared: _Prepared) -> dict[str, Any]:
        reply = self.state.generator.respond(prepared.model, prepared.body, prepared.markers)
        _NOTE.get().usage = reply.get("usageMetadata")
        return reply

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        prepared = await self._prepare_generation(request)
        mangle = prepared.mangle
        payload = json.dumps(self._respond(prepared)).encode()
        if mangle == "truncate":
            payload = payload[: len(payload) // 2]
        elif mangle == "non-json":
            return web.Response(body=_NON_JSON_BODY, content_type="text/html")
        return web.Response(body=payload, content_type="application/json")

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        prepared = await self._prepare_generation(request)
        mangle = prepared.mangle
        reply = self._respond(prepared)
        if mangle == "non-json":
            return web.Response(body=_NON_JSON_BODY, content_type="text/html")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", EMULATOR_HEADER: "1"})
        await response.prepare(request)
        for index, frame in enumerate(_stream_frames(reply)):
            data = json.dumps(frame).encode()
            if mangle == "truncate" and index == 0:
                data = data[: len(data) // 2]
            await response.write(b"data: " + data + b"\r\n\r\n")
            if mangle == "stream-error":
                error = ApiError(500, "Internal error encountered while streaming.")
                await response.write(b"data: " + error.body_bytes() + b"\r\n\r\n")
                break
        await response.write_eof()
        return response

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        self._model(request)
        _, body = await _read_json(request)
        inner = pick(body, "generateContentRequest", "generate_content_request") or body
        total = count_contents(inner.get("contents"), self.state.files) + _system_tokens(inner)
        result: dict[str, Any] = {}
        cache = pick(inner, "cachedContent", "cached_content")
        if cache:
            cached = self.state.caches.use(cache, request.match_info["model"])
            total += cached
            result["cachedContentTokenCount"] = cached
        result["totalTokens"] = total
        result["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": total}]
        return _json_response(result)

    # -- models ----------------------------------------------------------------------------------------------------

    async def _model_get(self, request: web.Request) -> web.StreamResponse:
        return _json_response(model_resource(self._model(request)))

    async def _model_list(self, request: web.Request) -> web.StreamResponse:
        served = [model for model in self.config.models if model in self._models]
        items, next_token = page(served, request.query.get("pageSize"), request.query.get("pageToken"))
        result: dict[str, Any] = {"models": [model_resource(model) for model in items]}
        if next_token:
            result["nextPageToken"] = next_token
        return _json_response(result)

    # -- caches ----------------------------------------------------------------------------------------------------

    async def _cache_create(self, request: web.Request) -> web.StreamResponse:
        _, body = await _read_json(request)
        model = str(body.get("model") or "").removeprefix("models/")
        if model:
            self._served(model, request)
        cache = self.state.caches.create(body)
        _NOTE.get().usage = cache.get("usageMetadata")  # creating a cache bills its tokens once, at the input price
        return _json_response(cache)

    async def _cache_list(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        return _json_response(self.state.caches.list(query.get("pageSize"), query.get("pageToken")))

    async def _cache_get(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.state.caches.get(request.match_info["id"]))

    async def _cache_patch(self, request: web.Request) -> web.StreamResponse:
        _, body = await _read_json(request)
        return _json_response(self.state.caches.patch(request.match_info["id"], body))

    async def _cache_delete(self, request: web.Request) -> web.StreamResponse:
        self.state.caches.delete(request.match_info["id"])
        return _json_response({})

    # -- batches ---------------------------------------------------------------------------------------------------

    async def _batch_create(self, request: web.Request) -> web.StreamResponse:
        model = self._model(request)
        _, body = await _read_json(request)
        version = request.match_info["version"]
        return _json_response(self.state.batches.create(model, body, _base_url(request), _owner(request), version))

    async def _batch_list(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        return _json_response(self.state.batches.list(query.get("pageSize"), query.get("pageToken"), _owner(request)))

    async def _batch_get(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.state.batches.get(request.match_info["id"], _owner(request)))

    async def _batch_cancel(self, request: web.Request) -> web.StreamResponse:
        self.state.batches.cancel(request.match_info["id"], _owner(request))
        return _json_response({})

    async def _batch_delete(self, request: web.Request) -> web.StreamResponse:
        self.state.batches.delete(request.match_info["id"], _owner(request))
        return _json_response({})

    # -- files -----------------------------------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        files = self.state.files
        session = request.query.get("upload_id")
        if session is None:
            _, body = await _read_json(request)
            session = files.start_upload(body)
            url = f"{_base_url(request)}/upload/{request.match_info['version']}/files?upload_id={session}"
            return _json_response({}, {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})
        finalize = "finalize" in request.headers.get("X-Goog-Upload-Command", "")
        result = files.append(session, await request.read(), finalize=finalize, base_url=_base_url(request))
        return _json_response(result or {}, {"X-Goog-Upload-Status": "final" if finalize else "active"})

    async def _file_list(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        version = request.match_info["version"]
        return _json_response(self.state.files.list(query.get("pageSize"), query.get("pageToken"), version))

    async def _file_get(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.state.files.get(request.match_info["id"], request.match_info["version"]))

    async def _file_download(self, request: web.Request) -> web.StreamResponse:
        data = self.state.files.data(request.match_info["id"])
        return web.Response(body=data, content_type="application/octet-stream")

    async def _file_delete(self, request: web.Request) -> web.StreamResponse:
        self.state.files.delete(request.match_info["id"])
        return _json_response({})


def _stream_frames(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Split a reply into SSE frames: text spread over up to three frames, usage and finish on the last."""
    candidates = reply.get("candidates")
    parts = (candidates[0].get("content") or {}).get("parts") if candidates and len(candidates) == 1 else None
    if not parts or "text" not in parts[-1]:
        return [reply]
    text = parts[-1]["text"]
    words = text.split(" ")
    step = max(1, -(-len(words) // _SSE_CHUNKS))
    pieces = [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
    pieces = [piece + " " for piece in pieces[:-1]] + pieces[-1:]
    prompt_usage = {"promptTokenCount": reply["usageMetadata"]["promptTokenCount"]}
    frames = []
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        frame_parts = [*parts[:-1], {"text": piece}] if index == 0 else [{"text": piece}]
        candidate: dict[str, Any] = {"content": {"parts": frame_parts, "role": "model"}, "index": 0}
        if last:
            candidate["finishReason"] = candidates[0]["finishReason"]
            if "safetyRatings" in candidates[0]:
                candidate["safetyRatings"] = candidates[0]["safetyRatings"]
        frame: dict[str, Any] = {
            "candidates": [candidate],
            "usageMetadata": reply["usageMetadata"] if last else prompt_usage,
            "modelVersion": reply["modelVersion"],
            "responseId": reply["responseId"],
        }
        frames.append(frame)
    return frames


def _owner(request: web.Request) -> str | None:
    """Whose batch jobs a request sees: each API key is its own project (a job made with one key is not found
    with another, as after switching to another project's key)."""
    return fingerprint(request.headers.get("x-goog-api-key") or request.query.get("key"))
