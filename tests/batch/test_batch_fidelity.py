"""The Batch API as the real one behaves (issue 9, item 8), through the real SDK: a job reported SUCCEEDED before
its output is attached, gRPC-coded per-request errors, ``batches.delete`` beside cancel, the pinned API version, and
jobs the endpoint no longer knows (issue 10, item 4)."""

from __future__ import annotations

import warnings

import pytest
from google.genai import types

from notebookllm import BatchJobLostError, BatchJobLostWarning, BatchJobNotDoneError, LLMProviderError
from notebookllm.core.work_item import LLMWorkItem
from notebookllm.emulator import ManualClock
from notebookllm.gemini import BATCH_API_VERSION, GeminiBatch, GeminiStrategy, job_state
from notebookllm.store import BatchLedger, Store

pytestmark = pytest.mark.sdk_compat

MODEL = "gemini-2.5-flash"


def batch_on(emu, clock=None, **client_options) -> GeminiBatch:
    ledger = BatchLedger(Store.open(memory=True), **({"clock": clock} if clock else {}))
    return GeminiBatch(GeminiStrategy(emu.client(**client_options), MODEL), ledger=ledger)


async def test_a_job_succeeded_before_its_output_is_attached_is_polled_again_not_read_as_empty(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock, batch_pending_s=10, batch_running_s=10, batch_output_delay_s=30)
    batch = batch_on(emu, clock)
    name = await batch.acreate_batch_job(["one", "two"])
    clock.advance(25)  # SUCCEEDED, output not attached yet
    raw = await batch.aget_batch_job(name)
    assert job_state(raw) == "JOB_STATE_SUCCEEDED" and raw.dest is None  # what the SDK shows in that window
    with pytest.raises(BatchJobNotDoneError) as info:  # a ValueError: "not ready", not "no results"
        await batch.afetch_batch_replies(name)
    assert info.value.state == "JOB_STATE_SUCCEEDED" and "not attached" in str(info.value)
    assert batch.ledger.get(name).fetched_at is None  # not marked fetched

    polls = []

    def advance(job: types.BatchJob) -> None:
        polls.append(job.dest is not None)
        clock.advance(10)

    job = await batch.await_job(name, poll_initial=0.001, poll_max=0.002, on_state=advance)
    assert polls[0] is False and polls[-1] is True and job.dest is not None  # kept polling through the window
    replies = await batch.afetch_batch_replies(name)
    await batch.client.aio.aclose()
    assert [r.ok for r in replies] == [True, True] and batch.ledger.get(name).fetched_at is not None


@pytest.mark.parametrize(("codes", "sent"), [("grpc", [14, 8, 3]), ("http", [503, 429, 400])])
async def test_per_request_errors_read_the_same_whether_grpc_or_http_coded(make_emulator, codes, sent):
    emu = make_emulator(batch_error_codes=codes)
    batch = batch_on(emu)
    name = await batch.acreate_batch_job(["ok", "a [[fail:503]]", "b [[fail:429]]", "c [[fail:400]]"])
    raw = await batch.aget_batch_job(name)
    assert [r.error.code for r in raw.dest.inlined_responses[1:]] == sent  # as the API wrote them
    ok, unavailable, exhausted, invalid = await batch.afetch_batch_replies(name)
    await batch.client.aio.aclose()
    assert ok.ok and [r.error.code for r in (unavailable, exhausted, invalid)] == [503, 429, 400]
    assert [r.error.status for r in (unavailable, exhausted, invalid)] == [
        "UNAVAILABLE",
        "RESOURCE_EXHAUSTED",
        "INVALID_ARGUMENT",
    ]
    assert unavailable.result.error_info.retryable and unavailable.result.error_info.category == "server"
    assert exhausted.result.error_info.is_rate_limit
    assert not invalid.result.error_info.retryable


async def test_delete_is_there_beside_cancel_and_the_ledger_keeps_the_job_marked(make_emulator):
    emu = make_emulator(batch_pending_s=3600)
    batch = batch_on(emu)
    name = await batch.acreate_batch_job(["to delete"])
    await batch.adelete_batch_job(name)
    assert emu.count(endpoint="batches.delete") == 1 and emu.count(endpoint="batches.cancel") == 0
    assert "deleted" in batch.ledger.get(name).lost_reason
    again = await batch.acreate_batch_job(["to delete"])  # a deleted job is not reused
    assert again != name and emu.count(endpoint="batchGenerateContent") == 2


async def test_every_batch_and_file_call_uses_v1beta_whatever_the_client_version(make_emulator):
    emu = make_emulator()
    batch = batch_on(emu, api_version="v1")  # google-genai 3.x's default
    batch.inline_limit_bytes = 0  # a file job: upload and download too
    name = await batch.acreate_batch_job(["pinned"])
    await batch.afetch_batch_replies(name)
    await batch.alist_batch_jobs()
    await batch.adelete_batch_job(name)
    calls = [r for r in emu.log if r.endpoint.startswith(("batch", "files"))]
    assert {r.endpoint for r in calls} >= {"batchGenerateContent", "batches.get", "batches.list", "files.upload"}
    assert all(f"/{BATCH_API_VERSION}/" in r.path for r in calls), [r.path for r in calls]


async def test_a_recorded_job_the_endpoint_lost_is_marked_and_the_work_submitted_again(emulator, emulator_client):
    ledger = BatchLedger(Store.open(memory=True))
    strategy = GeminiStrategy(emulator_client, MODEL)
    batch = GeminiBatch(strategy, ledger=ledger)
    items = [LLMWorkItem(f"row-{i}", strategy, f"prompt {i}") for i in range(3)]
    first = await batch.arun_items(items, poll_initial=0.001)
    [old] = ledger.entries()
    emulator.reset()  # the emulator restarted at the same address: it knows no jobs
    with pytest.warns(BatchJobLostWarning, match=old.name):
        again = await batch.arun_items(items, poll_initial=0.001)  # the same call again: no 404 crash
    assert [r.success for r in again] == [r.success for r in first] == [True, True, True]
    assert emulator.count(endpoint="batchGenerateContent") == 1 and len(ledger.entries()) == 2
    assert "404" in ledger.get(old.name).lost_reason  # kept, with the reason
    with pytest.raises(BatchJobLostError) as info:  # asked for by name, it says lost, not a bare 404
        await batch.afetch_batch_replies(old.name)
    assert isinstance(info.value, LLMProviderError)


async def test_a_job_of_another_endpoint_is_neither_polled_nor_marked(make_emulator):
    here, there = make_emulator(), make_emulator()
    ledger = BatchLedger(Store.open(memory=True))
    made_there = GeminiBatch(GeminiStrategy(there.client(), MODEL), ledger=ledger)
    name = await made_there.acreate_batch_job(["same payload"])
    made_here = GeminiBatch(GeminiStrategy(here.client(), MODEL), ledger=ledger)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchJobLostWarning)
        other = await made_here.acreate_batch_job(["same payload"])
    assert other != name and here.count(endpoint="batches.get") == 0
    assert not made_here.owns(ledger.get(name)) and ledger.get(name).lost_reason is None
