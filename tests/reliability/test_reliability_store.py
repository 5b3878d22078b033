"""The store under hostile conditions: a lock held past the busy timeout, the folder deleted in a live kernel, a
row SQLite cannot encode, two processes creating one new store at once. Nothing finished is lost or re-paid."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import Iterator
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


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Any]:
    """``mounted(*mount_args, target)``: a mount made for the test (root only), lazily unmounted after it."""
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root on Linux to mount a small or read-only filesystem")
    made: list[Path] = []

    def mount(*args: str) -> None:
        target = Path(args[-1])
        target.mkdir(parents=True, exist_ok=True)
        try:
            _mount(*args)
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"mount refused here: {exc.stderr.strip()}")
        made.append(target)

    yield mount
    for target in reversed(made):
        subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True, timeout=30)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:  # ENOSPC: the disk is full now
        pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_degrades_then_recovers_and_leaves_nothing_half_written(
    emulator: Emulator, strategy: Any, tmp_path: Path, mounted: Any
) -> None:
    disk = tmp_path / "disk"
    mounted("-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk))
    path = disk / ".notebookllm" / "store.sqlite"
    store = Store.open(path)
    try:
        _run(ROWS[:2], strategy, store, progress=False)
        store.flush()
        filler = _fill(disk)
        with pytest.warns(StoreWarning, match="disk is full"):
            full = _run(ROWS, strategy, store, progress=False)
            store.flush()
        assert full.df["success"].all()  # results still returned
        assert full.df["from_cache"].tolist() == [True, True, False, False, False]
        assert "disk is full" in (full.store_warning or "")
        filler.unlink()
        again = _run(ROWS, strategy, store, progress=False)  # its first write retries the file
        store.flush()
        assert again.df["from_cache"].all() and store.degraded is None
    finally:
        store.close()
    assert _stored(path) == 5
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert emulator.count(endpoint="generateContent") == 5  # nothing requested twice


def test_a_read_only_store_serves_what_it_holds_and_keeps_new_results_in_memory(
    emulator: Emulator, strategy: Any, tmp_path: Path, mounted: Any
) -> None:
    source = tmp_path / "source" / ".notebookllm" / "store.sqlite"
    store = Store.open(source)
    _run(ROWS[:3], strategy, store, progress=False)
    store.close()
    before = source.read_bytes()
    view = tmp_path / "read-only"
    mounted("--bind", str(source.parent.parent), str(view))
    mounted("-o", "remount,bind,ro", str(view))
    with pytest.warns(StoreWarning, match="cannot be used.*make it writable"):
        store = Store.open(view / ".notebookllm" / "store.sqlite", timeout=0.05)
    try:
        with pytest.warns(StoreWarning, match="not taking results"):
            results = _run(ROWS, strategy, store, progress=False)
        assert results.df["success"].all()
        assert results.df["from_cache"].tolist() == [True, True, True, False, False]  # the file is still read
        assert "not taking results" in (results.store_warning or "")
        with pytest.warns(StoreWarning):
            assert _run(ROWS, strategy, store, progress=False).df["from_cache"].all()  # new ones held in memory
    finally:
        store.close()
    assert source.read_bytes() == before  # untouched
    assert emulator.count(endpoint="generateContent") == 5


def _newer(path: Path) -> None:
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 9999")


def _garbage(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database, whatever the name says " * 100)


def _contents(path: Path) -> Any:
    """What a file holds: its schema version and rows if SQLite can read it, else its bytes."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone(), list(conn.iterdump())
    except sqlite3.DatabaseError:
        return path.read_bytes()
    finally:
        conn.close()


@pytest.mark.parametrize(("spoil", "match"), [(_garbage, "not a database"), (_newer, "newer|knows up to")])
def test_a_corrupt_or_newer_store_still_returns_results_and_is_left_alone(
    emulator: Emulator, strategy: Any, store_path: Path, spoil: Any, match: str
) -> None:
    spoil(store_path)
    before = _contents(store_path)
    with pytest.warns(StoreWarning, match=match):
        results = nl.run(ROWS, strategy=strategy, prompt="Classify: {text}", store=store_path, progress=False)
    assert results.df["success"].all() and results.store_warning
    assert _contents(store_path) == before
