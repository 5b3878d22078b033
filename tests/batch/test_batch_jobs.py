"""GeminiBatch through the real SDK against the emulator: packing, key mapping, per-request errors, job outcomes,
polling, idempotent create, cancel. (Lessons for seeds/003, items 1-6 and 9.)"""

from __future__ import annotations

import pytest
from google.genai import errors as genai_errors
from google.genai import types

from notebookllm.emulator import ManualClock
from notebookllm.gemini import (
    BatchDeadlineError,
    BatchJobFailedError,
    BatchJobNotDoneError,
    GeminiBatch,
    GeminiBlockedError,
    GeminiStrategy,
    estimate_cost,
    job_state,
)
from notebookllm.store import BatchLedger, Store

MODEL = "gemini-2.5-flash"

pytestmark = pytest.mark.sdk_compat

PAYLOAD = [["Categorise: Geography GCSE"], ["Categorise: French GCSE", "speaking assessment"], "Categorise: Maths"]


async def test_inline_job_packs_every_request_into_one_job_and_returns_them_in_order(make_batch, emulator, ledger):
    batch = make_batch(include_metadata=True)
    name = await batch.acreate_batch_job(PAYLOAD)
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="files.upload") == 0
    replies = await batch.afetch_batch_replies(name)
    assert [r.key for r in replies] == ["r000000", "r000001", "r000002"]
    assert [r.result.item_id for r in replies] == ["0", "1", "2"]
    assert all(r.ok for r in replies)
    assert "geography" in replies[0].text.lower() and "maths" in replies[2].text.lower()  # each answers its own
    first = replies[0]
    assert first.metadata["finish_reason"] == "STOP" and first.metadata["emulated"] is True
    assert first.metadata["cost_usd"] == estimate_cost(first.token_usage, MODEL, batch=True) > 0
    assert first.output.output == first.text  # include_metadata: the same GeminiResponse an online call returns
    entry = ledger.get(name)
    assert entry.state == "JOB_STATE_SUCCEEDED" and entry.fetched_at is not None and entry.completed_at is not None


async def test_a_large_job_goes_as_a_jsonl_file_and_reads_back_like_the_inline_one(make_batch, emulator):
    inline = await make_batch().afetch_batch_replies(await make_batch().acreate_batch_job(PAYLOAD))
    file_batch = make_batch(inline_limit_bytes=0, temperature=0.0)
    name = await file_batch.acreate_batch_job(PAYLOAD)
    assert emulator.count(endpoint="files.upload") >= 1 and file_batch.ledger.get(name).options["source"] == "file"
    from_file = await file_batch.afetch_batch_replies(name)
    assert emulator.count(endpoint="files.download") == 1
    assert [r.key for r in from_file] == [r.key for r in inline]
    assert [r.ok for r in from_file] == [True, True, True]


async def test_per_request_errors_are_rows_and_the_good_replies_are_kept(make_batch):
    payload = ["first", "second [[fail:503]]", "third [[fail:400]]", "fourth [[block]]", "fifth"]
    for inline_limit in (10**9, 0):  # inline and file jobs alike
        batch = make_batch(inline_limit_bytes=inline_limit)
        replies = await batch.afetch_batch_replies(await batch.acreate_batch_job(payload))
        assert [r.ok for r in replies] == [True, False, False, False, True]
        assert "first" in replies[0].text and "fifth" in replies[4].text
        assert isinstance(replies[1].error, genai_errors.ServerError) and replies[1].error.code == 503
        assert replies[1].result.error_info.retryable and replies[1].result.error_info.category == "server"
        assert isinstance(replies[2].error, genai_errors.ClientError) and not replies[2].result.error_info.retryable
        assert isinstance(replies[3].error, GeminiBlockedError) and replies[3].metadata["blocked"] is True


async def test_a_schema_strategy_parses_batch_replies_as_it_parses_online_ones(make_batch, emulator_client):
    from pydantic import BaseModel

    class Category(BaseModel):
        subject: str
        level: str

    strategy = GeminiStrategy(emulator_client, MODEL, response_schema=Category, temperature=0.0)
    batch = GeminiBatch(strategy, ledger=BatchLedger(Store.open(memory=True)))
    [reply] = await batch.afetch_batch_replies(await batch.acreate_batch_job(["Categorise: Geography GCSE"]))
    online, _ = await strategy.execute("Categorise: Geography GCSE", attempt=1, timeout=30)
    assert isinstance(reply.output, Category) and reply.output == online


@pytest.mark.parametrize(("marker", "state"), [("[[job:fail]]", "FAILED"), ("[[job:expire]]", "EXPIRED")])
async def test_a_job_that_ends_without_results_raises_with_its_state(make_batch, ledger, marker, state):
    batch = make_batch()
    name = await batch.acreate_batch_job(["a", f"b {marker}"])
    job = await batch.await_job(name, poll_initial=0.01)
    assert job_state(job) == f"JOB_STATE_{state}"
    with pytest.raises(BatchJobFailedError) as info:
        await batch.afetch_batch_replies(name)
    assert info.value.state == f"JOB_STATE_{state}" and ledger.get(name).state == f"JOB_STATE_{state}"
    assert await batch.acreate_batch_job(["a", f"b {marker}"]) != name  # a failed job is not reused


async def test_a_stalled_job_stops_waiting_at_the_deadline_and_is_not_done(make_batch, ledger):
    batch = make_batch()
    name = await batch.acreate_batch_job(["x [[job:stall]]"])
    with pytest.raises(BatchDeadlineError) as info:
        await batch.await_job(name, poll_initial=0.01, deadline=0.0)
    assert info.value.state == "JOB_STATE_PENDING" and ledger.get(name).state == "JOB_STATE_PENDING"
    with pytest.raises(ValueError):  # BatchJobNotDoneError, a ValueError as the seed guide documents
        await batch.afetch_batch_replies(name)


async def test_waiting_follows_the_lifecycle_on_the_emulator_clock(make_emulator):
    clock = ManualClock()
    emu = make_emulator(clock=clock, batch_pending_s=30, batch_running_s=60)
    ledger = BatchLedger(Store.open(memory=True), clock=clock)
    batch = GeminiBatch(GeminiStrategy(emu.client(), MODEL), ledger=ledger)
    name = await batch.acreate_batch_job(["one", "two"])
    with pytest.raises(BatchJobNotDoneError):
        await batch.afetch_batch_replies(name)
    seen = []

    def advance(job: types.BatchJob) -> None:
        seen.append(job_state(job))
        clock.advance(25)  # the job moves on between polls

    job = await batch.await_job(name, poll_initial=0.001, poll_max=0.002, on_state=advance)
    assert seen[0] == "JOB_STATE_PENDING" and "JOB_STATE_RUNNING" in seen and seen[-1] == "JOB_STATE_SUCCEEDED"
    assert ledger.get(name).completed_at == job.end_time.timestamp()  # the server's end time, not our poll's


async def test_a_network_blip_while_polling_does_not_fail_the_job(flaky_front, emulator, ledger):
    client = flaky_front.client(emulator.api_key)
    batch = GeminiBatch(GeminiStrategy(client, MODEL), ledger=ledger)
    name = await batch.acreate_batch_job(["survives a blip"])
    flaky_front.fail_gets = 2
    job = await batch.await_job(name, poll_initial=0.001, poll_max=0.002)
    assert flaky_front.failed == 2 and job_state(job) == "JOB_STATE_SUCCEEDED"
    assert ledger.get(name).state == "JOB_STATE_SUCCEEDED"
    assert [r.ok for r in await batch.afetch_batch_replies(name)] == [True]


async def test_a_permanent_error_while_polling_is_raised_and_records_nothing(make_batch):
    batch = make_batch()
    with pytest.raises(genai_errors.ClientError) as info:
        await batch.await_job("batches/doesnotexist", poll_initial=0.001)
    assert info.value.code == 404


async def test_creating_the_same_payload_again_returns_the_recorded_job(make_batch, emulator, ledger):
    batch = make_batch()
    name = await batch.acreate_batch_job(PAYLOAD, filter_json=False)
    again = await make_batch().acreate_batch_job(PAYLOAD)  # a new object, as after a kernel restart
    assert again == name and emulator.count(endpoint="batchGenerateContent") == 1
    other = await batch.acreate_batch_job(PAYLOAD, filter_json=True)  # reading options are part of the identity
    assert other != name and emulator.count(endpoint="batchGenerateContent") == 2


async def test_cancel_calls_batches_cancel_and_keeps_the_job(make_emulator):
    emu = make_emulator(batch_pending_s=3600)
    ledger = BatchLedger(Store.open(memory=True))
    batch = GeminiBatch(GeminiStrategy(emu.client(), MODEL), ledger=ledger)
    name = await batch.acreate_batch_job(["to cancel"])
    await batch.acancel_batch_job(name)
    assert emu.count(endpoint="batches.cancel") == 1 and emu.count(endpoint="batches.delete") == 0
    assert job_state(await batch.aget_batch_job(name)) == "JOB_STATE_CANCELLED"
    assert ledger.get(name).state == "JOB_STATE_CANCELLED"
    assert name in [job.name for job in await batch.alist_batch_jobs()]


def test_sync_twins_run_in_a_script(make_batch, emulator):
    batch = make_batch()
    name = batch.create_batch_job(PAYLOAD)
    assert batch.get_batch_job(name).done
    assert job_state(batch.wait(name, poll_initial=0.01)) == "JOB_STATE_SUCCEEDED"
    assert len(batch.fetch_batch_replies(name)) == 3 and len(batch.list_batch_jobs()) == 1


async def test_a_job_submitted_but_never_recorded_is_adopted_not_submitted_again(make_batch, emulator):
    # The process dies between batches.create and the ledger write (seeds/003 lesson 6: no duplicate jobs).
    crashing = BatchLedger(Store.open(memory=True))

    def die(entry):
        raise SystemExit("killed before the ledger write")

    crashing.record = die
    with pytest.raises(SystemExit):
        await make_batch(batch_ledger=crashing).acreate_batch_job(PAYLOAD, display_name="nightly")
    assert emulator.count(endpoint="batchGenerateContent") == 1

    batch = make_batch()  # the rerun, with the project's ledger that never heard of the job
    name = await batch.acreate_batch_job(PAYLOAD, display_name="nightly")
    assert emulator.count(endpoint="batchGenerateContent") == 1  # adopted, not submitted again
    entry = batch.ledger.get(name)
    assert entry.display_name == "nightly" and entry.options == {"filter_json": False, "adopted": True}
    assert len(await batch.afetch_batch_replies(name)) == len(PAYLOAD)
    # a different payload is still submitted
    await batch.acreate_batch_job(PAYLOAD[:1], display_name="nightly")
    assert emulator.count(endpoint="batchGenerateContent") == 2
