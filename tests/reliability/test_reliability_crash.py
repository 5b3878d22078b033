"""Crash recovery: a run process killed with SIGKILL at seeded points — before its first commit, mid-run, during a
cooldown — then run again: the final results equal an uninterrupted run's, and the requests repeated are bounded by
what was in flight (plus the commit window). Counted from the emulator's log; the emulator lives in this process,
the killed run in its own."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import notebookllm as nl
from notebookllm.emulator import Emulator

ITEMS, WORKERS, LATENCY_S = 60, 4, 0.05
COMMIT_WINDOW = WORKERS  # replies that may have arrived but not been committed at the kill

_CHILD = textwrap.dedent(
    """
    import sys
    from google import genai
    import notebookllm as nl

    base_url, key, store, items, workers, first = sys.argv[1:7]
    client = genai.Client(api_key=key, http_options={"base_url": base_url, "api_version": "v1beta"})
    prompts = [first] + [f"question {i}" for i in range(1, int(items))]
    nl.run(prompts, strategy=nl.GeminiStrategy(client=client), store=store, progress=False, max_workers=int(workers))
    """
)


def _count(path: Path, table: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _wait(child: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert child.poll() is None, f"the run ended before the kill point: {child.communicate()}"
        assert time.monotonic() < deadline, "the kill point never came"
        time.sleep(0.002)  # polling another process's progress, not a synchronisation sleep


def _args(emu: Emulator, path: Path, first: str) -> list[str]:
    return [sys.executable, "-c", _CHILD, emu.base_url, emu.api_key, str(path), str(ITEMS), str(WORKERS), first]


MID_RUN_COMMITS = random.Random(11).randint(10, 40)  # the seeded kill point of the mid-run case
POINTS = {
    "before the first commit": ("question 0", lambda emu, path: _count(path, "claims") > 0),
    "mid-run": ("question 0", lambda emu, path: _count(path, "responses") >= MID_RUN_COMMITS),
    "during a cooldown": ("question 0 [[fail:429:30]]", lambda emu, path: emu.count(status=429) > 0),
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("point", list(POINTS))
def test_a_run_killed_at_a_seeded_point_resumes_to_the_same_results(
    make_emulator: Any, tmp_path: Path, point: str
) -> None:
    first, ready = POINTS[point]
    client = make_emulator(seed=5).client()
    prompts = [first] + [f"question {i}" for i in range(1, ITEMS)]
    quick = nl.RateLimitConfig(max_cooldown_seconds=0.05, slow_start_items=0)  # the reference need not wait 30 s
    strategy = nl.GeminiStrategy(client=client)
    reference = nl.run(prompts, strategy=strategy, cache=False, progress=False, rate_limit=quick).outputs

    emu: Emulator = make_emulator(seed=5, latency_s=LATENCY_S)
    path = tmp_path / ".notebookllm" / "store.sqlite"
    child = subprocess.Popen(_args(emu, path, first), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(child, lambda: ready(emu, path))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    committed = _count(path, "responses")

    # The rerun in this process: a kernel restarted after the crash (this process never opened that store).
    rerun = nl.run(prompts, strategy=nl.GeminiStrategy(client=emu.client()), store=path, progress=False,
                   max_workers=WORKERS)  # fmt: skip
    from_cache = int(rerun.df["from_cache"].sum())
    answered = emu.count(endpoint="generateContent", status=200)
    repeated = answered - ITEMS
    print(f"\n{point}: killed after {committed} commits; rerun took {from_cache} from the store; "
          f"requests answered twice: {repeated}")  # fmt: skip
    assert rerun.outputs == reference  # identical to an uninterrupted run
    assert from_cache == committed  # everything committed before the kill is served, not re-requested
    assert 0 <= repeated <= WORKERS + COMMIT_WINDOW  # repeats bounded by what was in flight plus the commit window
