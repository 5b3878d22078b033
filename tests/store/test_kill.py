"""``kill -9`` in the middle of a 200-item job loses at most the replies in flight; the rerun asks only for the rest.

The emulator runs in this process, so its request log counts every request the child processes send.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notebookllm.emulator import Emulator, EmulatorConfig

JOB = Path(__file__).with_name("kill_job.py")
# 8 workers at 0.1 s a reply: at most 80 replies a second, so the kill (after KILL_AT commits) comes at least 1.5 s
# into the job, and the "about one second of commits" the issue allows to lose is well inside the run.
ITEMS, WORKERS, LATENCY_S = 200, 8, 0.1
KILL_AT = 120  # committed replies
COMMIT_WINDOW_S = 1.0  # results finished longer ago than this at the kill must be in the store


def _committed(path: Path) -> int:
    """Replies committed to the store file, read as a second process would (0 before the table exists)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _job(path: Path, emu: Emulator) -> list[str]:
    return [sys.executable, str(JOB), str(path), emu.base_url, emu.api_key, str(ITEMS), str(WORKERS)]


def _wait_for_commits(child: subprocess.Popen[str], path: Path, at_least: int) -> None:
    """Poll the file until the child has committed ``at_least`` replies (bounded; the child must still run)."""
    deadline = time.monotonic() + 60
    while _committed(path) < at_least:
        assert child.poll() is None, f"the job ended before it could be killed: {child.communicate()}"
        assert time.monotonic() < deadline, "the job committed nothing for 60 s"
        time.sleep(0.002)  # polling interval of another process's progress, not a synchronisation sleep


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_rerun_after_sigkill_requests_only_unfinished_items(tmp_path: Path) -> None:
    path = tmp_path / ".notebookllm" / "store.sqlite"
    with Emulator(EmulatorConfig(seed=0, latency_s=LATENCY_S)) as emu:
        child = subprocess.Popen(_job(path, emu), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait_for_commits(child, path, KILL_AT)
        finally:
            killed_at = time.time()
            os.kill(child.pid, signal.SIGKILL)
            child.communicate()
        assert child.returncode == -signal.SIGKILL
        committed = _committed(path)
        # Replies the emulator had sent back more than COMMIT_WINDOW_S before the kill (its log and killed_at read
        # the same clock): every one of them must have been committed.
        answered_long_before = sum(
            r.endpoint == "generateContent"
            and r.status == 200
            and r.started_at + r.duration_s < killed_at - COMMIT_WINDOW_S
            for r in emu.log
        )

        rerun_started = time.time()
        rerun = subprocess.run(_job(path, emu), capture_output=True, text=True, timeout=120, check=True)
        summary = json.loads(rerun.stdout)
        # Split the log by start time: a request in flight at the kill is logged when the emulator answers it,
        # which may be after the kill.
        started = [r.started_at for r in emu.log if r.endpoint == "generateContent"]
        sent_before_kill = sum(t < rerun_started for t in started)
        sent_by_rerun = len(started) - sent_before_kill

        assert KILL_AT <= committed < ITEMS
        # The rerun asked for exactly what was not committed, and answered the rest from the store.
        assert sent_by_rerun == ITEMS - committed
        assert summary == {"from_store": committed, "requested": ITEMS - committed, "succeeded": ITEMS}
        assert _committed(path) == ITEMS
        # Paid twice: replies in flight at the kill, plus those finished but not yet committed. Commits are grouped,
        # not timed, so in practice that is a handful; the issue allows about one second of them.
        assert answered_long_before > 0, "the kill came too early for the commit window to be checked"
        assert committed >= answered_long_before
        assert sent_before_kill - committed >= 0
        key = emu.api_key.encode()
    assert all(key not in p.read_bytes() for p in path.parent.iterdir())
