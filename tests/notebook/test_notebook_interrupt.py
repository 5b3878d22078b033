"""Interrupting a run: in-flight requests are cancelled, what finished is returned and kept, the widget says so."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pandas as pd
import pytest
from nb_strategies import Scripted

import notebookllm as nl
from notebookllm.notebook import RunInterruptedWarning, WidgetProgress

PROMPTS = ["ok 1", "ok 2", "ok 3", "hang 4", "hang 5", "hang 6"]


class CtrlC(Scripted):
    """Presses Ctrl+C (a real SIGINT) once every hanging item is in flight."""

    async def execute(self, prompt, attempt, timeout, state=None):
        if "hang" in prompt and sum(1 for p, _ in self.calls if "hang" in p) == 2:
            signal.raise_signal(signal.SIGINT)
        return await super().execute(prompt, attempt, timeout, state)


def assert_kept_and_marked(results: nl.Results, strategy: Scripted, cancelled: int = 3) -> None:
    d = results.df
    assert results.interrupted and results.summary().interrupted
    assert d["success"].tolist() == [True, True, True, False, False, False]
    assert d["output"].tolist()[:3] == ["OK 1", "OK 2", "OK 3"]
    assert set(d["error_type"].tolist()[3:]) == {"ItemCancelledError"}
    # The requests in flight were cancelled, not left running.
    assert sorted(strategy.cancelled) == ["hang 4", "hang 5", "hang 6"][:cancelled]


@pytest.mark.skipif(
    signal.getsignal(signal.SIGINT) is not signal.default_int_handler, reason="needs Python's default SIGINT handler"
)
def test_ctrl_c_during_sync_run_returns_finished_results_and_widget_says_interrupted() -> None:
    strategy = CtrlC()
    progress = WidgetProgress(display=False)
    with pytest.warns(RunInterruptedWarning, match="3 of 6 items finished"):
        results = nl.run(pd.DataFrame({"text": PROMPTS}), prompt="{text}", strategy=strategy, cache=False,
                         progress=progress, max_workers=6)  # fmt: skip
    assert_kept_and_marked(results, strategy)
    assert progress.bar.description == "interrupted" and progress.bar.bar_style == "danger"
    assert progress.state.done == 3 and progress.state.unfinished == 3
    assert "3 not finished" in progress.counts.value
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


class RaisesKeyboardInterrupt(Scripted):
    async def execute(self, prompt, attempt, timeout, state=None):
        if prompt == "hang 6":
            raise KeyboardInterrupt
        return await super().execute(prompt, attempt, timeout, state)


async def test_keyboard_interrupt_inside_the_run_returns_finished_results() -> None:
    strategy = RaisesKeyboardInterrupt()
    progress = WidgetProgress(display=False)
    with pytest.warns(RunInterruptedWarning):
        results = await nl.arun(PROMPTS, strategy=strategy, cache=False, progress=progress, max_workers=6)
    assert_kept_and_marked(results, strategy, cancelled=2)  # "hang 6" raised instead of hanging
    assert progress.state.status == "interrupted"


async def run_until_hanging(strategy: Scripted, **options) -> asyncio.Task:
    """Start ``nl.arun`` and return its task once all three hanging items are in flight."""
    strategy.hang_target = 3
    task = asyncio.ensure_future(nl.arun(PROMPTS, strategy=strategy, max_workers=6, progress=False, **options))
    await strategy.all_hanging.wait()
    return task


async def test_cancel_from_jupyter_returns_finished_results(monkeypatch: pytest.MonkeyPatch) -> None:
    # In Jupyter the stop button cancels the cell's task (ipykernel's _cancel_on_sigint).
    monkeypatch.setattr("notebookllm.notebook.runner.in_jupyter_kernel", lambda: True)
    strategy = Scripted()
    task = await run_until_hanging(strategy, cache=False)
    task.cancel()
    with pytest.warns(RunInterruptedWarning):
        results = await task
    assert_kept_and_marked(results, strategy)


@pytest.mark.parametrize("run", ["resume-me", None], ids=["by-name", "by-automatic-fingerprint"])
async def test_cancel_by_code_reraises_and_a_rerun_requests_only_the_unfinished(
    store_path: Path, run: str | None
) -> None:
    # Scripted has no request fingerprint: only the run's identity (its name, or without one the fingerprint of
    # its items) lets the store recognise what the first run finished.
    assert Scripted().request_fingerprint("ok 1") is None
    strategy = Scripted()
    task = await run_until_hanging(strategy, store=store_path, run=run)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(strategy.cancelled) == ["hang 4", "hang 5", "hang 6"]

    again = Scripted()
    again_task = await run_until_hanging(again, store=store_path, run=run)
    assert sorted(p for p, _ in again.calls) == ["hang 4", "hang 5", "hang 6"]  # the ok ones came from the store
    again_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await again_task
