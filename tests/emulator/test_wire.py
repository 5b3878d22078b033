"""The emulator on the wire, below the SDK: snake_case request fields, ``?key=``, every version prefix on every
resource, pagination tokens, SSE framing. Plain HTTP from urllib to 127.0.0.1.

The SDK only ever sends camelCase at the top level, so these spellings can only be shown by hand-written requests.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import jsonschema
import pytest

MODEL = "gemini-2.5-flash"
VERSIONS = ["v1", "v1beta", "v1alpha"]


def _call(emulator, method: str, path: str, body: dict[str, Any] | None = None, *, key: str | None = "header"):
    """(status, parsed JSON body or raw text, headers) of one request; ``key``: "header", "query" or None."""
    url = emulator.base_url + path
    headers = {"Content-Type": "application/json"}
    if key == "header":
        headers["x-goog-api-key"] = emulator.api_key
    elif key == "query":
        url += ("&" if "?" in url else "?") + "key=" + emulator.api_key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), error.headers
    text = raw.decode()
    if got.get("Content-Type", "").startswith("application/json"):
        return status, json.loads(text) if text else {}, got
    return status, text, got


def _contents(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "parts": [{"text": text}]}]


def test_snake_case_generation_fields_are_honoured(emulator):
    path = f"/v1beta/models/{MODEL}:generateContent"
    body = {
        "contents": _contents("Write about the ocean [[tokens:40]]"),
        "system_instruction": {"parts": [{"text": "be terse"}]},
        "generation_config": {"max_output_tokens": 5, "candidate_count": 2},
    }
    status, reply, _ = _call(emulator, "POST", path, body)
    assert status == 200
    assert [c["finishReason"] for c in reply["candidates"]] == ["MAX_TOKENS", "MAX_TOKENS"]
    # the system instruction ("be terse": 2 tokens) is counted in the prompt, as with systemInstruction
    camel = {"contents": body["contents"], "systemInstruction": body["system_instruction"]}
    bare = {"contents": body["contents"]}
    with_system = _call(emulator, "POST", path, camel)[1]["usageMetadata"]["promptTokenCount"]
    without = _call(emulator, "POST", path, bare)[1]["usageMetadata"]["promptTokenCount"]
    assert reply["usageMetadata"]["promptTokenCount"] == with_system == without + 2


@pytest.mark.parametrize("spelling", ["camel", "snake"])
def test_json_mode_and_thinking_in_either_spelling(emulator, spelling):
    schema = {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": ["spam", "ham"]}, "score": {"type": "number"}},
        "required": ["label", "score"],
    }
    if spelling == "camel":
        config = {
            "responseMimeType": "application/json",
            "responseJsonSchema": schema,
            "thinkingConfig": {"thinkingBudget": 50},
        }
    else:
        config = {
            "response_mime_type": "application/json",
            "response_json_schema": schema,
            "thinking_config": {"thinking_budget": 50},
        }
    key = "generationConfig" if spelling == "camel" else "generation_config"
    body = {"contents": _contents("Is this spam?"), key: config}
    status, reply, _ = _call(emulator, "POST", f"/v1beta/models/{MODEL}:generateContent", body)
    assert status == 200
    jsonschema.validate(json.loads(reply["candidates"][0]["content"]["parts"][-1]["text"]), schema)
    assert 0 < reply["usageMetadata"]["thoughtsTokenCount"] <= 50


def test_snake_case_cache_fields(emulator):
    big = "The quick brown fox jumps over the lazy dog. " * 200  # 2250 tokens
    status, cache, _ = _call(
        emulator,
        "POST",
        "/v1beta/cachedContents",
        {"model": f"models/{MODEL}", "contents": _contents(big), "display_name": "snake", "ttl": "60s"},
    )
    assert status == 200 and cache["displayName"] == "snake"
    status, patched, _ = _call(
        emulator, "PATCH", "/v1beta/" + cache["name"], {"expire_time": "2100-01-01T00:00:00+00:00"}
    )
    assert status == 200 and patched["expireTime"].startswith("2100-01-01T00:00:00")
    body = {"contents": _contents("abcd"), "cached_content": cache["name"]}
    status, reply, _ = _call(emulator, "POST", f"/v1beta/models/{MODEL}:generateContent", body)
    assert status == 200 and reply["usageMetadata"]["cachedContentTokenCount"] == 2250
    counted = _call(
        emulator,
        "POST",
        f"/v1beta/models/{MODEL}:countTokens",
        {"generate_content_request": {"contents": _contents("abcd"), "cached_content": cache["name"]}},
    )[1]
    assert counted["totalTokens"] == 2251 and counted["cachedContentTokenCount"] == 2250


def test_key_in_the_query_string_and_its_absence(emulator):
    path = f"/v1beta/models/{MODEL}:countTokens"
    body = {"contents": _contents("abcd")}
    assert _call(emulator, "POST", path, body, key="query")[0] == 200
    status, error, _ = _call(emulator, "POST", path, body, key=None)
    assert status == 403 and error["error"]["status"] == "PERMISSION_DENIED"
    assert "unregistered callers" in error["error"]["message"]
    assert [r.key_fingerprint is None for r in emulator.log] == [False, True]
    assert all(emulator.api_key not in repr(record) for record in emulator.log)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_resource_under_every_version_prefix(emulator, version):
    v = f"/{version}"
    generated = _call(emulator, "POST", f"{v}/models/{MODEL}:generateContent", {"contents": _contents("hi")})
    counted = _call(emulator, "POST", f"{v}/models/{MODEL}:countTokens", {"contents": _contents("abcd")})
    model = _call(emulator, "GET", f"{v}/models/{MODEL}")
    batch = {"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": _contents("q")}}]}}}}
    job = _call(emulator, "POST", f"{v}/models/{MODEL}:batchGenerateContent", batch)
    listings = [_call(emulator, "GET", f"{v}/{kind}") for kind in ("cachedContents", "batches", "files", "models")]
    assert [r[0] for r in (generated, counted, model, job, *listings)] == [200] * 8
    assert counted[1]["totalTokens"] == 1 and model[1]["name"] == f"models/{MODEL}"
    job_path = f"{v}/{job[1]['name']}"
    assert _call(emulator, "GET", job_path)[1]["name"] == job[1]["name"]
    assert _call(emulator, "POST", job_path + ":cancel")[0] == 200
    assert _call(emulator, "DELETE", job_path)[0] == 200
    status, error, _ = _call(emulator, "GET", f"{v}/models/gemini-0-nope")
    assert status == 404 and error["error"]["status"] == "NOT_FOUND"
    assert f"for API version {version}" in error["error"]["message"]
    assert {r.path.split("/")[1] for r in emulator.log} == {version}


def test_batch_list_pages_with_tokens(emulator):
    batch = {"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": _contents("q")}}]}}}}
    names = {_call(emulator, "POST", f"/v1beta/models/{MODEL}:batchGenerateContent", batch)[1]["name"] for _ in "abc"}
    first = _call(emulator, "GET", "/v1beta/batches?pageSize=2")[1]
    second = _call(emulator, "GET", f"/v1beta/batches?pageSize=2&pageToken={first['nextPageToken']}")[1]
    assert len(first["operations"]) == 2 and "nextPageToken" not in second
    assert {op["name"] for op in first["operations"] + second["operations"]} == names
    status, error, _ = _call(emulator, "GET", "/v1beta/batches?pageToken=garbage")
    assert status == 400 and error["error"]["status"] == "INVALID_ARGUMENT"


def test_stream_is_server_sent_events(emulator):
    body = {"contents": _contents("Stream a story on owls")}
    status, text, headers = _call(emulator, "POST", f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse", body)
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    events = [chunk for chunk in text.split("\r\n\r\n") if chunk]
    assert len(events) > 1 and all(event.startswith("data: ") for event in events)
    frames = [json.loads(event.removeprefix("data: ")) for event in events]
    assert [f["candidates"][0].get("finishReason") for f in frames][-1] == "STOP"
    assert all("finishReason" not in f["candidates"][0] for f in frames[:-1])
