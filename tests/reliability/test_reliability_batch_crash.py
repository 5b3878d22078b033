"""Crash recovery at the batch points: a batch run killed with SIGKILL between ``batches.create`` and its ledger
write, and during the fetch of the job's results, then run again: the final results equal an uninterrupted run's,
and the job is submitted once (the ledger adopts the unrecorded job by the payload tag in its display name).
Counted from the emulator's log; the emulator lives in this process, the killed run in its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import notebookllm as nl
from notebookllm.emulator import Emulator

ITEMS = 12
PROMPTS = [f"question {i}" for i in range(ITEMS)]

# The kill point is a seam in the child: the step after it blocks, the child says so, and the test kills it there.
_CHILD = textwrap.dedent(
    """
    import sys, time
    from google import genai
    import notebookllm as nl
    from notebookllm.gemini.batch import GeminiBatch
    from notebookllm.store.ledger import BatchLedger

    base_url, key, store, items, point = sys.argv[1:6]

    def stop_here():
        print("at the kill point", flush=True)
        time.sleep(600)  # killed here

    if point == "create":  # batches.create answered; the ledger write never happens
        BatchLedger.record = lambda self, entry: stop_here()
    elif point == "fetch":  # the job's results downloaded; never parsed or stored
        fetch = GeminiBatch._raw_replies
        async def fetched_then_stop(self, job, *spool):
            await fetch(self, job, *spool)
            stop_here()
        GeminiBatch._raw_replies = fetched_then_stop

    client = genai.Client(api_key=key, http_options={"base_url": base_url, "api_version": "v1beta"})
    prompts = [f"question {i}" for i in range(int(items))]
    nl.run(prompts, strategy=nl.GeminiStrategy(client=client), store=store, mode="batch", progress=False)
    """
)


def _args(emu: Emulator, path: Path, point: str) -> list[str]:
    return [sys.executable, "-c", _CHILD, emu.base_url, emu.api_key, str(path), str(ITEMS), point]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("point", ["create", "fetch"])
def test_a_batch_run_killed_at_a_batch_point_resumes_without_a_second_job(
    make_emulator: Any, tmp_path: Path, point: str
) -> None:
    reference_emu: Emulator = make_emulator(seed=7)
    reference = nl.run(PROMPTS, strategy=nl.GeminiStrategy(client=reference_emu.client()),
                       store=tmp_path / "reference.sqlite", mode="batch", progress=False).outputs  # fmt: skip

    emu: Emulator = make_emulator(seed=7)
    path = tmp_path / ".notebookllm" / "store.sqlite"
    child = subprocess.Popen(_args(emu, path, point), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the child reaches the point (or ends)
        assert line.strip() == "at the kill point", f"the run never reached it: {line}{child.stderr.read()}"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert emu.count(endpoint="batchGenerateContent", status=200) == 1  # the job exists on the service

    # The rerun in this process: a kernel restarted after the crash (this process never opened that store).
    rerun = nl.run(PROMPTS, strategy=nl.GeminiStrategy(client=emu.client()), store=path, mode="batch", progress=False)
    creates = emu.count(endpoint="batchGenerateContent")
    print(f"\nkilled {point}: jobs submitted in all: {creates}; requests online: "
          f"{emu.count(endpoint='generateContent')}")  # fmt: skip
    assert rerun.outputs == reference  # identical to an uninterrupted run
    assert creates == 1  # adopted (or re-attached), never submitted twice
    assert emu.count(endpoint="generateContent") == 0  # nothing re-paid at the online price either
