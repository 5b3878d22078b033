"""Each thread calling the sync ``nl.run`` gets its own loop, closed when the thread ends: no file descriptors
leak however many threads a program (a web app, a thread pool) runs jobs from."""

from __future__ import annotations

import gc
import os
import sys
import threading
from typing import Any

import pytest

import notebookllm as nl
from notebookllm.emulator import Emulator


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")
def test_threads_calling_run_leak_no_file_descriptors(emulator: Emulator) -> None:
    outputs: list[Any] = []
    strategy = nl.GeminiStrategy(client=emulator.client())  # one client shared by every thread, as in an app

    def job() -> None:
        outputs.append(nl.run(["a", "b"], strategy=strategy, cache=False, progress=False).outputs)

    def wave(n: int) -> None:
        threads = [threading.Thread(target=job) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        gc.collect()

    wave(2)  # first use: lazy imports and pools that stay
    before = _open_fds()
    wave(10)
    assert len(outputs) == 12 and all(len(o) == 2 and all(o) for o in outputs)
    # A thread's loop (selector, self-pipe) and the SDK's HTTP session on it (a connection: two descriptors with
    # the emulator in this process) used to outlive the thread: 10 threads left about 70 descriptors open.
    assert _open_fds() - before < 5
