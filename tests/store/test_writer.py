"""The writer thread: grouped commits that wait briefly for more rows, and flushes that never wait for that."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebookllm.store import writer as writer_module
from notebookllm.store.db import Database
from notebookllm.store.writer import Writer

_INSERT = "INSERT INTO runs (run_id, name, items, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"


@pytest.fixture
def lingering_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # A linger far longer than the test's bound: only a flush that cuts it short lets the test finish.
    monkeypatch.setattr(writer_module, "_LINGER_S", 600.0)
    db = Database(tmp_path / "store.sqlite")
    writer = Writer(db)
    yield writer, db
    writer.close()
    db.close()


def test_a_flush_commits_what_is_queued_without_waiting_for_more_rows(lingering_writer) -> None:
    writer, db = lingering_writer
    for i in range(3):
        writer.submit(_INSERT, (f"run-{i}", None, 0, 0.0, 0.0))
    writer.flush().result(timeout=30)
    assert writer.committed == 3
    (count,) = db.read(lambda conn: conn.execute("SELECT count(*) FROM runs").fetchone())[0]
    assert count == 3


def test_a_flush_behind_more_rows_than_a_transaction_takes_does_not_wait_either(
    lingering_writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, _ = lingering_writer
    monkeypatch.setattr(writer_module, "_MAX_BATCH", 2)
    for i in range(5):
        writer.submit(_INSERT, (f"run-{i}", None, 0, 0.0, 0.0))
    writer.flush().result(timeout=30)
    assert writer.committed == 5


def test_closing_commits_at_once_too(lingering_writer) -> None:
    writer, _ = lingering_writer
    writer.submit(_INSERT, ("run", None, 0, 0.0, 0.0))
    writer.close()
    assert writer.committed == 1
