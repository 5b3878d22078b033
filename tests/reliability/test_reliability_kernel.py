"""A real kernel. Run All in Jupyter: cells queued behind a cell that calls the sync ``nl.run`` all run
(ipykernel 7 shares one contextvars Context between cells, which the original nest_asyncio re-entered, leaving
every later cell queued); and a cell interrupted, re-executed, and run again after a restart.

Three execute requests are sent to a real kernel back to back, as JupyterLab's Run All does; nbmake would wait for
each cell, which is why it never saw the problem.
"""

from __future__ import annotations

import sqlite3
import time
from queue import Empty
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

CELLS = [
    "import notebookllm as nl\nr1 = nl.run(['a', 'b'], prompt='{text}', cache=False, progress=False)\n"
    "print('cell1', len(r1), r1.df['success'].all())",
    "r2 = nl.run(['c'], prompt='{text}', cache=False, progress=False)\nprint('cell2', len(r2), r2.df['success'].all())",
    "r3 = await nl.arun(['d'], prompt='{text}', cache=False, progress=False)\nprint('cell3', len(r3))",
    "print('cell4')",
]


@pytest.fixture(scope="module")
def kernel() -> Any:
    """One kernel for the module (starting one and importing notebookllm in it is most of each test's time): the
    Run All test gets it fresh, the interrupt test then runs in it and restarts it."""
    km, kc = start_new_kernel(kernel_name="python3")
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_run_all_with_sync_runs_finishes_every_queued_cell(kernel: Any) -> None:
    _, kc = kernel
    ids = [kc.execute(code) for code in CELLS]
    idle: set[str] = set()
    out: list[str] = []
    errors: list[str] = []
    while len(idle) < len(ids):
        try:
            msg = kc.get_iopub_msg(timeout=60)
        except Empty:
            break  # a cell left queued: the assertions below say which
        parent, kind, content = msg["parent_header"].get("msg_id"), msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle" and parent in ids:
            idle.add(parent)
    text = "".join(out)
    assert errors == [] and "Traceback" not in text and "destroyed but it is pending" not in text, text
    assert len(idle) == len(ids), f"cells left queued; output so far: {text!r}"
    assert "cell1 2 True" in text and "cell2 1 True" in text and "cell3 1" in text and "cell4" in text


_RUN_CELL = """
import notebookllm as nl
from google import genai
client = genai.Client(api_key={key!r}, http_options={{"base_url": {url!r}, "api_version": "v1beta"}})
prompts = [f"question {{i}}" for i in range(10)] + ["slow a [[fail:hangx1]]", "slow b [[fail:hangx1]]"]
r = nl.run(prompts, strategy=nl.GeminiStrategy(client=client), store={store!r}, progress=False)
print("result", int(r.df["success"].sum()), int(r.df["from_cache"].sum()), r.interrupted)
"""


def _execute(kc: Any, code: str, timeout: float = 60) -> str:
    """Run one cell and return its stream output (errors included), waiting for the kernel to go idle."""
    msg_id = kc.execute(code)
    out: list[str] = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            out.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


def _stored(path: Any) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_interrupt_rerun_and_restart_keep_what_finished(kernel: Any, emulator: Any, tmp_path: Any) -> None:
    """A cell interrupted (the kernel's interrupt) while a run goes, re-executed, then the kernel restarted and the
    cell run again: what finished is returned, stored and never requested again."""
    store = tmp_path / ".notebookllm" / "store.sqlite"
    code = _RUN_CELL.format(key=emulator.api_key, url=emulator.base_url, store=str(store))
    km, kc = kernel
    msg_id = kc.execute(code)
    deadline = time.monotonic() + 60
    while _stored(store) < 10:  # the ten quick answers are committed; the two slow ones hang
        assert time.monotonic() < deadline, "the run never committed its quick answers"
        time.sleep(0.005)  # polling another process's progress, not a synchronisation sleep
    km.interrupt_kernel()  # the notebook's stop button
    out: list[str] = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
    assert "result 10 0 True" in "".join(out), out  # what finished is returned, the run marked interrupted
    sent = emulator.count(endpoint="generateContent", status=200)
    assert "result 12 10 False" in _execute(kc, code)  # re-executed: the ten come from the store
    assert emulator.count(endpoint="generateContent", status=200) == sent + 2  # only the two unfinished
    km.restart_kernel(now=True)
    kc.wait_for_ready(timeout=60)
    assert "result 12 12 False" in _execute(kc, code)  # a fresh kernel: everything from the store
    assert emulator.count(endpoint="generateContent", status=200) == sent + 2
