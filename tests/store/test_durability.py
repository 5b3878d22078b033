"""The file: WAL for a second reader, a memory fallback that loses nothing, migrations, hygiene, no secrets."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from store_helpers import FakeClock, KeyedStrategy, items_for, run_items

from notebookllm.core.results import WorkItemResult
from notebookllm.store import SCHEMA_VERSION, Store, StoreWarning
from notebookllm.store.checkpoints import item_key
from notebookllm.store.migrations import upgrade

PROMPTS = [f"q{i}" for i in range(4)]
GARBAGE = b"this is not a database" * 100


def _folder_bytes(folder: Path) -> bytes:
    """Everything written in ``folder`` (the store file, its WAL and shared memory)."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()))


@pytest.fixture
def corrupt_path(store_path: Path) -> Path:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(GARBAGE)
    return store_path


async def _answer_twice(store: Store) -> tuple[KeyedStrategy, KeyedStrategy]:
    """A run, then the same run again; returns both strategies (their ``calls`` show what was requested)."""
    first, second = KeyedStrategy(), KeyedStrategy()
    await run_items(store, items_for(first, PROMPTS))
    await run_items(store, items_for(second, PROMPTS))
    return first, second


async def test_a_corrupt_file_warns_and_keeps_the_session_in_memory(corrupt_path: Path) -> None:
    with pytest.warns(StoreWarning, match="cannot be used.*kept in memory only.*move it away"):
        store = Store.open(corrupt_path)
    try:
        assert store.in_memory and "not a database" in (store.fallback_reason or "")
        first, second = await _answer_twice(store)
        assert len(first.calls) == 4 and second.calls == []  # nothing of the session lost
    finally:
        store.close()
    assert _folder_bytes(corrupt_path.parent) == GARBAGE  # the user's file is left alone


async def test_a_file_locked_by_another_process_falls_back_without_losing_results(store_path: Path) -> None:
    store = Store.open(store_path, timeout=0.01)
    blocker = sqlite3.connect(store_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        items = items_for(KeyedStrategy(), PROMPTS)
        with pytest.warns(StoreWarning, match="database is locked"):  # claiming the items meets the lock
            session = store.begin_run(items)
            for item in items:
                await session.record(WorkItemResult(item.item_id, True, output=item.prompt, attempts=1))
            await session.close()
        assert store.in_memory
        assert sorted(store.begin_run(items).finished) == [item.item_id for item in items]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        store.close()


def test_a_file_from_a_newer_notebookllm_is_not_touched(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(store_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.warns(StoreWarning, match="newer|knows up to"):
        store = Store.open(store_path)
    store.close()
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    conn.close()


async def test_a_version_1_store_is_migrated_and_keeps_its_replies(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    old = sqlite3.connect(store_path, isolation_level=None)
    assert upgrade(old, to=1) == 1
    [item] = items_for(KeyedStrategy(), ["old question"])
    key = item_key(item, None)
    old.execute(
        "INSERT INTO responses (key, run_id, success, output, error, error_info, attempts, token_usage, metadata, "
        "latency_s, started_at, finished_at, created_at) VALUES (?, NULL, 1, ?, NULL, NULL, 1, ?, ?, 0.5, 1, 2, 3)",
        (key, json.dumps("old answer"), json.dumps({"input_tokens": 7}), json.dumps({"cost_usd": 0.25})),
    )
    old.close()

    store = Store.open(store_path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        session = store.begin_run([item])
        assert session.finished["row-0"].output == "old answer"
        assert session.saved.cost_usd == 0.25 and session.saved.tokens.input_tokens == 7
        assert store.size_report().saved_cost_usd == 0.25  # the v2 cost column was filled from the metadata
        await session.close()
    finally:
        store.close()


def test_a_version_8_store_becomes_a_rowid_table_with_its_models_as_columns(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    old = sqlite3.connect(store_path, isolation_level=None)
    assert upgrade(old, to=8) == 8
    rows = [("k1", "m", "m-001"), ("k2", "m", "m-002"), ("k3", "m", "m-002"), ("k4", "other", None)]
    for key, model, version in rows:
        old.execute(
            "INSERT INTO responses (key, success, output, attempts, token_usage, metadata, created_at) "
            "VALUES (?, 1, '\"a\"', 1, '{}', ?, 1)",
            (key, json.dumps({"model": model, "model_version": version})),
        )
    old.close()

    store = Store.open(store_path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        conn = sqlite3.connect(store_path)
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'responses'").fetchone()
        assert "WITHOUT ROWID" not in sql
        assert conn.execute("SELECT key, model, model_version FROM responses ORDER BY key").fetchall() == rows
        with pytest.raises(sqlite3.IntegrityError):  # the key stays unique
            conn.execute(
                "INSERT INTO responses (key, success, attempts, token_usage, metadata, created_at) "
                "VALUES ('k1', 1, 1, '{}', '{}', 2)"
            )
        conn.close()
        assert store.model_versions("m") == {"m-001": 1, "m-002": 2}
    finally:
        store.close()


async def test_a_second_process_can_read_while_the_store_is_open(store: Store, store_path: Path) -> None:
    await run_items(store, items_for(KeyedStrategy(), PROMPTS))

    reader = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert reader.execute("SELECT count(*) FROM responses").fetchone()[0] == 4
    finally:
        reader.close()


def test_open_defaults_to_the_project_folder_and_shares_one_store(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    store = Store.open()
    try:
        assert store.path == tmp_path.resolve() / ".notebookllm" / "store.sqlite"
        assert Store.open(tmp_path / ".notebookllm" / "store.sqlite") is store
        assert not store.in_memory
    finally:
        store.close()
    assert Store.open(memory=True).in_memory


async def test_size_report_and_clear_older_than(store: Store, clock: FakeClock) -> None:
    await run_items(store, items_for(KeyedStrategy(), PROMPTS[:2]), run_name="old")
    clock.now += 10 * 86400
    await run_items(store, items_for(KeyedStrategy(), PROMPTS[2:]), run_name="new")

    report = store.size_report()
    assert (report.replies, report.failed_replies, report.runs, report.schema_version) == (4, 0, 2, SCHEMA_VERSION)
    assert report.bytes_on_disk > 0 and report.saved_cost_usd == pytest.approx(0.004)
    assert "4 replies" in str(report)

    assert store.clear(older_than=timedelta(days=5)) == 2
    assert (store.size_report().replies, store.size_report().runs) == (2, 1)
    clock.now += 1
    assert store.clear(older_than=0) == 2
    assert store.clear() == 0
    with pytest.raises(ValueError, match="negative"):
        store.clear(older_than=-1)


class _KeyHolder(KeyedStrategy):
    """A strategy that holds an API key and fails with it in the message, as a careless SDK might."""

    api_key = "AIzaSyA-secret-secret-secret-secret-123"

    async def execute(self, prompt: str, attempt: int, timeout: float, state: Any = None) -> Any:
        raise RuntimeError(f"401 for https://example.invalid/v1?key={self.api_key} ({self.api_key})")


async def test_the_api_key_is_never_written(store: Store, store_path: Path) -> None:
    await run_items(store, items_for(_KeyHolder(), PROMPTS), cache_failures=True)
    store.flush()

    assert store.size_report().failed_replies == 4
    written = _folder_bytes(store_path.parent)
    assert b"secret" not in written
    assert b"[REDACTED]" in written
