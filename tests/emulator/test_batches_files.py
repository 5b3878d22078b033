"""Batch jobs and files through the real SDK: lifecycle, inline and file input/output, upload, download."""

from __future__ import annotations

import json

import pytest
from google.genai import errors, types

from notebookllm.emulator import ManualClock

pytestmark = pytest.mark.sdk_compat
MODEL = "gemini-2.5-flash"


def _inline(*prompts):
    return [
        {"contents": [{"parts": [{"text": p}], "role": "user"}], "metadata": {"key": f"k{i}"}}
        for i, p in enumerate(prompts)
    ]


def test_lifecycle_on_manual_clock(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock, batch_pending_s=10, batch_running_s=20)
    client = emu.client()
    job = client.batches.create(model=MODEL, src=_inline("first", "second"), config={"display_name": "demo"})
    assert job.name.startswith("batches/") and job.display_name == "demo"
    assert job.state == types.JobState.JOB_STATE_PENDING and job.model == f"models/{MODEL}"
    clock.advance(10)
    assert client.batches.get(name=job.name).state == types.JobState.JOB_STATE_RUNNING
    clock.advance(20)
    done = client.batches.get(name=job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED and done.end_time is not None
    responses = done.dest.inlined_responses
    assert [r.response.text is not None for r in responses] == [True, True]
    assert responses[0].response.usage_metadata.prompt_token_count > 0
    if "metadata" in type(responses[0]).model_fields:  # InlinedResponse.metadata is missing in google-genai 1.49
        assert [r.metadata for r in responses] == [{"key": "k0"}, {"key": "k1"}]


def test_replies_match_online_replies(emulator_client):
    job = emulator_client.batches.create(model=MODEL, src=_inline("Describe autumn leaves"))
    done = emulator_client.batches.get(name=job.name)
    online = emulator_client.models.generate_content(model=MODEL, contents="Describe autumn leaves")
    assert done.dest.inlined_responses[0].response.text == online.text


def test_per_request_errors_and_request_config(emulator_client):
    src = _inline("fine", "broken [[fail:500]]")
    src[0]["config"] = {"system_instruction": "be terse", "temperature": 0.0}
    job = emulator_client.batches.create(model=MODEL, src=src)
    responses = emulator_client.batches.get(name=job.name).dest.inlined_responses
    assert responses[0].response.text and responses[0].error is None
    assert responses[1].response is None and responses[1].error.code == 13  # gRPC INTERNAL, as the API writes it


@pytest.mark.parametrize(
    ("marker", "state"),
    [
        ("[[job:fail]]", types.JobState.JOB_STATE_FAILED),
        ("[[job:expire]]", types.JobState.JOB_STATE_EXPIRED),
        ("[[job:stall]]", types.JobState.JOB_STATE_PENDING),
    ],
)
def test_job_outcomes(make_emulator, marker, state):
    clock = ManualClock()
    client = make_emulator(clock=clock, batch_pending_s=1, batch_running_s=1).client()
    job = client.batches.create(model=MODEL, src=_inline("a", f"b {marker}"))
    clock.advance(86_400)
    got = client.batches.get(name=job.name)
    assert got.state == state and got.dest is None


def test_cancel_delete_list(emulator, make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock, batch_pending_s=5)
    client = emu.client()
    jobs = [client.batches.create(model=MODEL, src=_inline(f"q{i}")) for i in range(3)]
    client.batches.cancel(name=jobs[0].name)
    assert client.batches.get(name=jobs[0].name).state == types.JobState.JOB_STATE_CANCELLED
    listed = [job.name for job in client.batches.list(config={"page_size": 2})]
    assert sorted(listed) == sorted(job.name for job in jobs)
    assert emu.count(endpoint="batches.list") == 2  # two pages of at most two
    client.batches.delete(name=jobs[1].name)
    with pytest.raises(errors.ClientError) as info:
        client.batches.get(name=jobs[1].name)
    client.close()
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")


async def test_aio_batch(emulator_client):
    job = await emulator_client.aio.batches.create(model=MODEL, src=_inline("async one"))
    done = await emulator_client.aio.batches.get(name=job.name)
    assert done.dest.inlined_responses[0].response.text


def _jsonl(tmp_path, prompts):
    path = tmp_path / "requests.jsonl"
    lines = [
        json.dumps({"key": f"row-{i}", "request": {"contents": [{"parts": [{"text": p}], "role": "user"}]}})
        for i, p in enumerate(prompts)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_file_batch_with_download(emulator_client, tmp_path):
    path = _jsonl(tmp_path, ["alpha question", "beta [[fail:429]]", "gamma question"])
    uploaded = emulator_client.files.upload(file=str(path), config={"mime_type": "jsonl", "display_name": "in"})
    assert uploaded.name.startswith("files/") and uploaded.size_bytes == path.stat().st_size
    assert emulator_client.files.get(name=uploaded.name).display_name == "in"
    job = emulator_client.batches.create(model=MODEL, src=uploaded.name)
    done = emulator_client.batches.get(name=job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED and done.dest.file_name
    lines = [json.loads(line) for line in emulator_client.files.download(file=done.dest.file_name).splitlines()]
    assert [line["key"] for line in lines] == ["row-0", "row-1", "row-2"]
    assert types.GenerateContentResponse.model_validate(lines[0]["response"]).text
    assert lines[1]["error"]["code"] == 8  # gRPC RESOURCE_EXHAUSTED


async def test_aio_upload_and_download(emulator_client, tmp_path):
    path = _jsonl(tmp_path, ["one"])
    uploaded = await emulator_client.aio.files.upload(file=str(path), config={"mime_type": "jsonl"})
    job = await emulator_client.aio.batches.create(model=MODEL, src=uploaded.name)
    done = await emulator_client.aio.batches.get(name=job.name)
    data = await emulator_client.aio.files.download(file=done.dest.file_name)
    assert json.loads(data.splitlines()[0])["key"] == "row-0"


def test_unknown_file_is_an_error(emulator_client):
    with pytest.raises(errors.ClientError):
        emulator_client.files.get(name="files/nope")
    with pytest.raises(errors.ClientError):
        emulator_client.batches.create(model=MODEL, src="files/nope")


def test_a_job_cancelled_while_running_keeps_what_it_had_processed(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock, batch_pending_s=10, batch_running_s=40)
    client = emu.client()
    job = client.batches.create(model=MODEL, src=_inline("a", "b", "c", "d"))
    clock.advance(10 + 20)  # half of the running time: two of four requests done
    client.batches.cancel(name=job.name)
    clock.advance(3600)
    got = client.batches.get(name=job.name)
    assert got.state == types.JobState.JOB_STATE_CANCELLED
    assert [r.response.text is not None for r in got.dest.inlined_responses] == [True, True]
    assert emu.batch_rows_billed() == 2


def test_a_job_cancelled_while_pending_has_no_output(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock, batch_pending_s=10, batch_running_s=40)
    client = emu.client()
    job = client.batches.create(model=MODEL, src=_inline("a", "b"))
    client.batches.cancel(name=job.name)
    got = client.batches.get(name=job.name)
    assert got.state == types.JobState.JOB_STATE_CANCELLED and got.dest is None
    assert emu.batch_rows_billed() == 0
