"""Run All in Jupyter: cells queued behind a cell that calls the sync ``nl.run`` all run (ipykernel 7 shares one
contextvars Context between cells, which the original nest_asyncio re-entered, leaving every later cell queued).

Three execute requests are sent to a real kernel back to back, as JupyterLab's Run All does; nbmake would wait for
each cell, which is why it never saw the problem.
"""

from __future__ import annotations

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


@pytest.fixture
def kernel() -> Any:
    km, kc = start_new_kernel(kernel_name="python3")
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_run_all_with_sync_runs_finishes_every_queued_cell(kernel: Any) -> None:
    ids = [kernel.execute(code) for code in CELLS]
    idle: set[str] = set()
    out: list[str] = []
    errors: list[str] = []
    while len(idle) < len(ids):
        try:
            msg = kernel.get_iopub_msg(timeout=60)
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
