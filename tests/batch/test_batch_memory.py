"""A big job is never held whole: requests keep their prompt strings, the fingerprint is the digest of the whole
payload without building it, and replies are read from the output file and mapped back one at a time (issue 14)."""

from __future__ import annotations

import json

import pytest
from google.genai import types

from notebookllm.core.strategy import fingerprint_digest
from notebookllm.gemini import GeminiStrategy, job_state
from notebookllm.gemini.batch import _by_key
from notebookllm.gemini.batch_replies import RawReply, read_jsonl
from notebookllm.gemini.batch_requests import build_requests, payload_fingerprint

MODEL = "gemini-2.5-flash"


def _line(key: str | None, text: str) -> bytes:
    entry = {"response": {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}]}}
    return json.dumps(entry if key is None else {"key": key, **entry}).encode() + b"\n"


def test_the_output_file_is_read_a_line_at_a_time():
    lines = iter([_line("r000000", "first"), b"\n", b"{not json"])
    replies = read_jsonl(lines)
    first = next(replies)  # a reader of the whole file would fail here, on the third line
    assert first.key == "r000000" and first.response.candidates[0].content.parts[0].text == "first"
    with pytest.raises(json.JSONDecodeError):
        next(replies)


def test_replies_map_back_by_their_keys_in_any_order():
    keys = ["r000000", "r000001", "r000002"]
    raw = [RawReply("r000002"), RawReply("r000000"), RawReply("r000001", error={"code": 14})]
    assert [(key, reply.key) for key, reply in _by_key(keys, iter(raw))] == [
        ("r000002", "r000002"),
        ("r000000", "r000000"),
        ("r000001", "r000001"),
    ]


def test_replies_without_keys_map_by_position_only_when_none_has_a_key_and_each_request_has_one(caplog):
    keys = ["a", "b"]
    first, second = RawReply(None, error={"code": 3}), RawReply(None, error={"code": 14})
    assert list(_by_key(keys, [first, second])) == [("a", first), ("b", second)]
    assert list(_by_key(keys, [first])) == []  # one reply for two requests: which one it answers is unknown
    assert list(_by_key(keys, [RawReply("b"), first])) == [("b", RawReply("b"))]
    assert "without keys" in caplog.text


def test_a_plain_text_request_keeps_its_prompt_string_and_a_multi_part_one_its_contents(emulator_client):
    prompt = "Categorise: Geography GCSE"
    plain, parts = build_requests(GeminiStrategy(emulator_client, MODEL), [prompt, ["Categorise:", "French GCSE"]])
    assert plain.contents is prompt
    assert parts.contents == [
        types.Content(role="user", parts=[types.Part(text="Categorise:"), types.Part(text="French GCSE")])
    ]


@pytest.mark.parametrize("settings", [{}, {"system_instruction": "Answer in French.", "max_output_tokens": 64}])
def test_the_payload_fingerprint_is_the_digest_of_the_whole_payload(emulator_client, settings):
    strategy = GeminiStrategy(emulator_client, MODEL, **settings)
    payload = ["Dune", ["context", "question"], 'emoji \N{GRINNING FACE} and "quotes"']
    requests = build_requests(strategy, payload, ["x", "y", "z"])
    whole = {
        "request": strategy._request_identity,
        "requests": [
            ["x", [{"parts": [{"text": "Dune"}], "role": "user"}]],
            ["y", [{"parts": [{"text": "context"}, {"text": "question"}], "role": "user"}]],
            ["z", [{"parts": [{"text": payload[2]}], "role": "user"}]],
        ],
        "options": {"filter_json": True},
    }
    # the digest jobs were recorded under before it was hashed a request at a time: they are still found
    assert payload_fingerprint(strategy, requests, filter_json=True) == fingerprint_digest(whole)
    assert payload_fingerprint(strategy, requests, filter_json=False) != fingerprint_digest(whole)


async def test_a_poll_reads_the_job_state_not_its_request_keys(make_batch, ledger):
    batch = make_batch()
    name = await batch.acreate_batch_job(["Categorise: Geography GCSE", "Categorise: Maths"])
    statements: list[str] = []
    ledger._db.run(lambda conn: conn.set_trace_callback(statements.append))
    try:
        job = await batch.aget_batch_job(name)
    finally:
        ledger._db.run(lambda conn: conn.set_trace_callback(None))
    assert any("SELECT state FROM batch_jobs" in s for s in statements)
    assert not any("request_keys" in s for s in statements)  # megabytes of JSON for a 100,000-request job
    assert ledger.get(name).state == job_state(job)
