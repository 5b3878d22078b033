"""The store under hostile conditions: a lock held past the busy timeout, the folder deleted in a live kernel, a
row SQLite cannot encode, two processes creating one new store at once. Nothing finished is lost or re-paid."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import notebookllm as nl
from notebookllm import LLMCallStrategy
from notebookllm.emulator import Emulator
from notebookllm.store import Store, StoreWarning

ROWS = pd.DataFrame({"text": [f"review {i}" for i in range(5)]})


def _stored(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM responses").fetchone()[0]


def _run(frame: pd.DataFrame, strategy: Any, store: Store, **kw: Any) -> nl.Results:
    return nl.run(frame, strategy=strategy, prompt="Classify: {text}", store=store, **kw)


def test_a_lock_past_the_busy_timeout_degrades_then_recovers_without_losing_or_repaying(
    emulator: Emulator, strategy: Any, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(store_path, timeout=0.05)
    try:
        _run(ROWS[:2], strategy, store, progress=False)
        assert _stored(store_path) == 2

        blocker = sqlite3.connect(store_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another kernel, the batch CLI, a DB browser mid-write
        with pytest.warns(StoreWarning, match="database is locked"):
            locked = _run(ROWS, strategy, store, progress="text")
        assert locked.df["from_cache"].tolist() == [True, True, False, False, False]  # the file stays readable
        assert "database is locked" in (locked.store_warning or "")
        assert str(locked.summary()).startswith("store") and "writes held in memory" in str(locked.summary())
        assert "not taking results" in capsys.readouterr().err  # the progress line says so too

        with pytest.warns(StoreWarning, match="not taking results"):  # every run while degraded warns again
            again = _run(ROWS, strategy, store, progress=False)
        assert again.df["from_cache"].all()  # answered from the rows held in memory

        blocker.execute("ROLLBACK")
        blocker.close()
        with warnings.catch_warnings():
            warnings.simplefilter("error", StoreWarning)
            _run(ROWS, strategy, store, progress=False)  # the next run (its first write) retries the file
        store.flush()
        assert store.degraded is None and not store.in_memory
        assert _stored(store_path) == 5
    finally:
        store.close()
    # A restarted kernel finds everything: 5 requests in all, none repeated.
    reopened = Store.open(store_path)
    try:
        assert _run(ROWS, strategy, reopened, progress=False).df["from_cache"].all()
    finally:
        reopened.close()
    assert emulator.count(endpoint="generateContent") == 5


def test_deleting_the_store_folder_in_a_live_kernel_does_not_stop_saving(
    emulator: Emulator, strategy: Any, store_path: Path
) -> None:
    store = Store.open(store_path)
    try:
        _run(ROWS[:2], strategy, store, progress=False)
        shutil.rmtree(store_path.parent)
        with pytest.warns(StoreWarning, match="deleted or replaced"):
            _run(ROWS[2:], strategy, store, progress=False)
            store.flush()
        assert _stored(store_path) == 3
    finally:
        store.close()


class _Odd(LLMCallStrategy[Any]):
    """Answers every prompt; one answer holds a lone surrogate, which SQLite cannot encode as UTF-8."""

    async def execute(self, prompt: str, attempt: int, timeout: float, state: Any = None) -> tuple[Any, Any]:
        return ("bad \ud800" if "2" in prompt else prompt.upper()), {"input_tokens": 1, "output_tokens": 1}

    def request_fingerprint(self, prompt: str) -> dict[str, Any]:
        return {"namespace": "tests.reliability/odd", "prompt": prompt}


def test_a_row_sqlite_cannot_encode_loses_only_itself(store_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store.open(store_path)
    try:
        results = _run(ROWS, _Odd(), store, progress=False)  # the final flush does not raise after paying
        assert results.df["success"].all()
        store.flush()
        assert _stored(store_path) == 4
        assert "could not be stored" in caplog.text
    finally:
        store.close()


def _open_and_write(path: str, barrier: Any, queue: Any) -> None:
    barrier.wait()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = Store.open(path)
        store.close()
    queue.put([str(w.message) for w in caught])


def test_processes_creating_one_new_store_at_once_do_not_clash(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")  # the children touch only sqlite3: quick and safe to fork
    path, n = str(tmp_path / "new" / "store.sqlite"), 4
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_open_and_write, args=(path, barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    reports = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert reports == [[]] * n  # no StoreWarning: nobody fell back to memory
    assert _stored(Path(path)) == 0
