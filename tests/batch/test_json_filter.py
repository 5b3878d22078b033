"""JSON filtering of batch replies is lossless (lessons for seeds/003, item 4): raw text kept, prose around JSON,
truncated output marked, no crash on a reply without text."""

from __future__ import annotations

import pytest

from notebookllm.gemini import GeminiEmptyResponseError, JsonReplyError, parse_json_reply


@pytest.mark.parametrize(
    ("text", "value", "status"),
    [
        ('{"a": 1}', {"a": 1}, "json"),
        ('Here you go:\n```json\n{"a": [1, 2]}\n```\nAnything else?', {"a": [1, 2]}, "extracted"),
        ('See note [1] first. The answer: {"category": "Geography"} as asked.', {"category": "Geography"}, "extracted"),
        ('{"tags": ["gcse",], }', {"tags": ["gcse"]}, "repaired"),
        ("Nothing structured here.", None, "no_json"),
        (None, None, "empty"),
        ("   ", None, "empty"),
    ],
)
def test_parse_json_reply_keeps_the_text_and_says_how_it_found_the_value(text, value, status):
    reply = parse_json_reply(text)
    assert (reply.value, reply.status, reply.raw) == (value, status, text)
    assert reply.ok == (value is not None)


def test_truncated_json_is_marked_and_keeps_every_complete_item():
    reply = parse_json_reply('Results: [{"id": 1}, {"id": 2}, {"id": 3, "na')
    assert reply.truncated and reply.ok
    assert reply.value[:2] == [{"id": 1}, {"id": 2}] and reply.value[2]["id"] == 3


@pytest.mark.sdk_compat
async def test_filter_json_reads_json_replies_and_marks_failures_per_request(make_batch):
    batch = make_batch(config={"response_mime_type": "application/json"}, filter_json=True)
    payload = ["Categorise: Geography", "Categorise: French [[bad-json]]", "plain [[other]]"]
    replies = await batch.afetch_batch_replies(await batch.acreate_batch_job(payload))
    good, cut, empty = replies
    assert good.ok and good.json.status == "json" and good.output == parse_json_reply(good.text).value
    assert cut.json is not None and cut.json.raw == cut.text  # the model's text is kept, whatever the parse
    assert cut.ok and cut.json.truncated and cut.output  # a cut-off reply: the partial value, marked
    assert not empty.ok and isinstance(empty.error, GeminiEmptyResponseError) and empty.text is None


@pytest.mark.sdk_compat
async def test_prose_replies_without_json_are_error_rows_that_keep_the_text(make_batch, emulator):
    batch = make_batch(config={"response_mime_type": "text/plain"})  # an explicit MIME type is kept
    [reply] = await batch.afetch_batch_replies(await batch.acreate_batch_job(["Describe tea"], filter_json=True))
    assert not reply.ok and isinstance(reply.error, JsonReplyError)
    assert reply.error.reply.raw == reply.text and reply.text


@pytest.mark.sdk_compat
async def test_filter_json_asks_for_json_output_and_results_are_the_values_themselves(make_batch):
    batch = make_batch()  # no MIME type chosen: a filter_json job asks for JSON
    name = await batch.acreate_batch_job(["Categorise: Geography GCSE", "Categorise: French GCSE"], filter_json=True)
    values = await batch.afetch_batch_results(name)
    replies = await batch.afetch_batch_replies(name)
    assert values == [r.json.value for r in replies] and all(isinstance(v, dict) for v in values)
