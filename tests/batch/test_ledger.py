"""The job ledger (lessons for seeds/003, items 6-8): one table in the store, transactional updates, refetch by
completion time."""

from __future__ import annotations

import sqlite3

import pytest

from notebookllm.core.redaction import key_fingerprint
from notebookllm.emulator import ManualClock
from notebookllm.store import SCHEMA_VERSION, BatchLedger, LedgerEntry, Store
from notebookllm.store.migrations import upgrade

HOUR = 3600.0


def _entry(name: str, **fields) -> LedgerEntry:
    base = dict(display_name=None, model="gemini-2.5-flash", fingerprint=f"fp-{name}", request_keys={"r0": "0"},
                options={}, state="JOB_STATE_PENDING")  # fmt: skip
    return LedgerEntry(name=name, **{**base, **fields})


def test_refetch_selects_jobs_by_completion_time_not_creation_time():
    clock = ManualClock()
    ledger = BatchLedger(Store.open(memory=True), clock=clock)
    now = clock()
    ledger.record(_entry("batches/old-but-just-done", created_at=now - 30 * HOUR))
    ledger.record(_entry("batches/new-but-done-long-ago", created_at=now - 8 * HOUR))
    ledger.record(_entry("batches/still-running", created_at=now - 1 * HOUR))
    ledger.record(_entry("batches/failed-recently", created_at=now - 1 * HOUR))
    ledger.update_state("batches/old-but-just-done", "JOB_STATE_SUCCEEDED", completed_at=now - 0.5 * HOUR)
    ledger.update_state("batches/new-but-done-long-ago", "JOB_STATE_SUCCEEDED", completed_at=now - 7 * HOUR)
    ledger.update_state("batches/failed-recently", "JOB_STATE_FAILED", completed_at=now - 0.2 * HOUR)
    assert [e.name for e in ledger.completed_since(hours=2)] == ["batches/old-but-just-done"]
    assert [e.name for e in ledger.completed_since(hours=7.5)] == [
        "batches/new-but-done-long-ago",
        "batches/old-but-just-done",
    ]
    with pytest.raises(ValueError):
        ledger.completed_since(hours=-1)


def test_completion_time_and_the_fetched_marker_survive_later_updates():
    ledger = BatchLedger(Store.open(memory=True), clock=lambda: 1000.0)
    ledger.record(_entry("batches/a"))
    ledger.update_state("batches/a", "JOB_STATE_SUCCEEDED", completed_at=900.0)
    ledger.mark_fetched("batches/a")
    ledger.update_state("batches/a", "JOB_STATE_SUCCEEDED", completed_at=990.0)  # a refetch sees it again
    entry = ledger.get("batches/a")
    assert entry.completed_at == 900.0 and entry.fetched_at == 1000.0
    assert ledger.unfetched() == []


def test_idempotency_skips_failed_jobs_and_prefers_the_newest():
    ledger = BatchLedger(Store.open(memory=True), clock=lambda: 50.0)
    ledger.record(_entry("batches/first", fingerprint="same", created_at=10.0, state="JOB_STATE_SUCCEEDED"))
    ledger.record(_entry("batches/second", fingerprint="same", created_at=20.0, state="JOB_STATE_EXPIRED"))
    assert ledger.reusable("same").name == "batches/first"
    ledger.record(_entry("batches/third", fingerprint="same", created_at=30.0, state="JOB_STATE_RUNNING"))
    assert ledger.reusable("same").name == "batches/third"
    assert ledger.reusable("other") is None


def test_a_group_of_updates_is_one_transaction():
    ledger = BatchLedger(Store.open(memory=True), clock=lambda: 5.0)
    ledger.record(_entry("batches/a"))
    ledger.record(_entry("batches/b"))
    with pytest.raises(sqlite3.IntegrityError):  # the second update breaks a constraint: neither is applied
        ledger.update_states({"batches/a": ("JOB_STATE_RUNNING", None), "batches/b": (None, None)})
    assert [ledger.get(n).state for n in ("batches/a", "batches/b")] == ["JOB_STATE_PENDING"] * 2


def test_the_ledger_lives_in_the_store_file_and_an_older_store_is_upgraded(tmp_path):
    path = tmp_path / "store.sqlite"
    old = sqlite3.connect(path, isolation_level=None)
    assert upgrade(old, to=2) == 2
    old.close()
    store = Store.open(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        BatchLedger(store).record(_entry("batches/kept", display_name="nightly"))
    finally:
        store.close()
    reopened = Store.open(path)
    try:
        assert BatchLedger(reopened).get("batches/kept").display_name == "nightly"
    finally:
        reopened.close()


def test_a_row_is_reused_only_at_its_endpoint_with_its_key_and_never_once_lost():
    ledger = BatchLedger(Store.open(memory=True))
    key_a, key_b = key_fingerprint("key-a"), key_fingerprint("key-b")
    ledger.record(_entry("batches/a", fingerprint="same", endpoint="http://127.0.0.1:1/", key_fingerprint=key_a))
    assert ledger.reusable("same", endpoint="http://127.0.0.1:1/", key_fingerprint=key_a).name == "batches/a"
    assert ledger.reusable("same", endpoint="http://127.0.0.1:1/", key_fingerprint=key_b) is None
    assert ledger.reusable("same", endpoint="https://generativelanguage.googleapis.com/", key_fingerprint=key_a) is None
    ledger.mark_lost("batches/a", "gone")
    assert ledger.reusable("same", endpoint="http://127.0.0.1:1/", key_fingerprint=key_a) is None
    assert ledger.get("batches/a").lost_reason == "gone" and ledger.unfetched() == []
    ledger.record(_entry("batches/from-v3", fingerprint="old"))  # recorded before endpoints were kept
    assert ledger.reusable("old", endpoint="anything", key_fingerprint=key_b).name == "batches/from-v3"
    assert key_a != key_b and "key-a" not in key_a
