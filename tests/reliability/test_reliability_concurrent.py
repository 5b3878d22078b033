"""Two runs of the same job on one store pay once: two concurrent ``arun``s in one loop (with and without the same
``run=``), and two processes (this one and a child). Counted from the emulator's own request log."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import notebookllm as nl
from notebookllm.emulator import Emulator

FRAME = pd.DataFrame({"text": [f"review number {i}" for i in range(24)]})
FRAME_60 = pd.DataFrame({"text": [f"review number {i}" for i in range(60)]})


@pytest.mark.parametrize("run_name", [None, "same-job"])
async def test_two_concurrent_aruns_in_one_loop_request_each_item_once(
    make_emulator: Any, store_path: Path, run_name: str | None
) -> None:
    emu: Emulator = make_emulator(latency_s=0.02)
    strategy = nl.GeminiStrategy(client=emu.client())
    store = nl.Store.open(store_path)
    try:
        options = {"prompt": "Classify: {text}", "strategy": strategy, "store": store, "progress": False,
                   "run": run_name, "max_workers": 4}  # fmt: skip
        first, second = await asyncio.gather(nl.arun(FRAME, **options), nl.arun(FRAME, **options))
    finally:
        store.close()
    assert emu.count(endpoint="generateContent") == len(FRAME)  # every request once, none twice
    assert first.df["success"].all() and second.df["success"].all()
    assert first.outputs == second.outputs
    # One run requested everything; the other waited for its answers.
    assert sorted([int(first.df["from_cache"].sum()), int(second.df["from_cache"].sum())]) == [0, len(FRAME)]


_CHILD = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from google import genai
    import notebookllm as nl

    base_url, key, store = sys.argv[1:4]
    client = genai.Client(api_key=key, http_options={"base_url": base_url, "api_version": "v1beta"})
    frame = pd.DataFrame({"text": [f"review number {i}" for i in range(60)]})
    results = nl.run(frame, prompt="Classify: {text}", strategy=nl.GeminiStrategy(client=client), store=store,
                     progress=False, max_workers=4)
    print(int(results.df["success"].sum()), int(results.df["from_cache"].sum()))
    """
)


def test_two_processes_running_the_same_job_on_one_store_pay_once(make_emulator: Any, store_path: Path) -> None:
    emu: Emulator = make_emulator(latency_s=0.1)  # 1.5 s of work for the other process: this one starts meanwhile
    strategy = nl.GeminiStrategy(client=emu.client())
    nl.run(["warm-up"], strategy=strategy, cache=False, progress=False)  # this process starts its run at once
    emu.reset_log()
    args = [sys.executable, "-c", _CHILD, emu.base_url, emu.api_key, str(store_path)]
    other = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not emu.count(endpoint="generateContent"):  # the other process's run has begun
        assert other.poll() is None, f"the other process ended before its run began: {other.communicate()}"
        assert time.monotonic() < deadline, "the other process never sent a request"
        time.sleep(0.002)  # polling another process's progress, not a synchronisation sleep
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mine = nl.run(FRAME_60, prompt="Classify: {text}", strategy=strategy, store=store_path, progress=False,
                      max_workers=4)  # fmt: skip
    out, err = other.communicate(timeout=100)
    assert other.returncode == 0, err[-2000:]
    assert "database is locked" not in err and not [w for w in caught if "locked" in str(w.message)]
    assert mine.store_warning is None
    succeeded = [int(out.split()[0]), int(mine.df["success"].sum())]
    assert succeeded == [60, 60]  # both get complete results
    from_cache = int(out.split()[1]) + int(mine.df["from_cache"].sum())
    assert from_cache >= 1  # the runs overlapped: one took the other's answers
    assert emu.count(endpoint="generateContent") == 60  # no request sent twice


async def test_the_same_batch_cell_run_twice_at_once_submits_one_job(emulator: Emulator, store_path: Path) -> None:
    strategy = nl.GeminiStrategy(client=emulator.client())
    store = nl.Store.open(store_path)
    try:
        options = {"prompt": "Classify: {text}", "strategy": strategy, "store": store, "progress": False,
                   "mode": "batch"}  # fmt: skip
        first, second = await asyncio.gather(nl.arun(FRAME, **options), nl.arun(FRAME, **options))
    finally:
        store.close()
    assert emulator.count(endpoint="batchGenerateContent") == 1  # one job, not two
    assert first.outputs == second.outputs and first.df["success"].all()
