"""The progress widget's model values, the text line, and when each display is chosen."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from nb_strategies import Scripted

import notebookllm as nl
from notebookllm import BaseObserver, ProcessingEvent, RateLimitConfig
from notebookllm.notebook import Progress, TextProgress, WidgetProgress
from notebookllm.notebook.progress import make_progress

PROMPTS = ["ok 1", "flaky 2", "limit 3", "fail 4", "ok 5", "fail 6"]


class SeeDuringCooldown(BaseObserver):
    """Reads the widget while the cooldown runs (observers are called after the run's own one)."""

    def __init__(self, progress: WidgetProgress) -> None:
        self.progress = progress
        self.seen: list[tuple[str, str, int]] = []

    async def on_event(self, event: ProcessingEvent, data: dict[str, Any]) -> None:
        if event is ProcessingEvent.COOLDOWN_STARTED:
            p = self.progress
            self.seen.append((p.cooldown.value, p.bar.bar_style, p.state.retrying))


def test_widget_values_after_a_run_with_failures_retries_and_a_cooldown(fast_retries: dict) -> None:
    progress = WidgetProgress(display=False)
    watcher = SeeDuringCooldown(progress)
    results = nl.run(
        pd.DataFrame({"text": PROMPTS}),
        prompt="{text}",
        strategy=Scripted(retry_after=0.05),
        cache=False,
        progress=progress,
        observers=[watcher],
        max_workers=2,
        **fast_retries,
    )
    assert results.progress is progress
    # During the cooldown the widget said so, at once (not at the next tick).
    assert len(watcher.seen) == 1
    cooldown_text, style, retrying = watcher.seen[0]
    assert "cooling down" in cooldown_text and "(rate limit)" in cooldown_text
    assert style == "warning" and retrying >= 1  # the rate-limited attempt waits for its retry

    s = progress.state
    assert (s.total, s.done, s.succeeded, s.failed) == (6, 6, 4, 2)
    assert (s.in_flight, s.retrying, s.retries, s.cooldowns) == (0, 0, 2, 1)  # "flaky" and "limit" retried once
    assert s.status == "done" and not s.cooling_down
    assert s.input_tokens == results.summary().input_tokens and s.output_tokens == 8 and s.cached_tokens == 4
    assert s.last_error is not None and s.last_error.startswith("ValueError: cannot answer 'fail")

    assert (progress.bar.value, progress.bar.max) == (6, 6)
    assert progress.bar.description == "done" and progress.bar.bar_style == "warning"
    assert "6/6 · 4 succeeded · 2 failed · 0 retrying (2 retries) · 0 in flight" in progress.counts.value
    assert progress.tokens.value.startswith(f"tokens {s.input_tokens:,} in / 8 out / 4 cached")
    assert progress.cooldown.value == "1 rate-limit cooldown"
    assert "last error: ValueError" in progress.error.value


def test_widget_after_a_clean_run_is_green() -> None:
    progress = WidgetProgress(display=False)
    nl.run(["a", "b"], strategy=Scripted(), cache=False, progress=progress)
    assert progress.bar.bar_style == "success" and progress.bar.description == "done"
    assert progress.error.value == "" and progress.cooldown.value == ""


class Counting(Progress):
    def __init__(self) -> None:
        super().__init__()
        self.draws: list[str] = []

    def draw(self, state) -> None:
        self.draws.append(state.status)


def test_items_do_not_draw_only_the_ticker_and_the_end_do() -> None:
    progress = Counting()
    nl.run([f"t{i}" for i in range(2000)], strategy=Scripted(), cache=False, progress=progress, max_workers=50)
    assert progress.draws[0] == "running" and progress.draws[-1] == "done"
    assert len(progress.draws) < 200  # ticker-paced, far below one per item
    # At most one draw per min_interval of the run's own clock (5 a second), plus the first and the last.
    assert Progress.min_interval == 0.2
    assert len(progress.draws) <= 2 + progress.state.elapsed_s / progress.min_interval
    assert progress.state.done == 2000


def test_text_progress_writes_one_rewritten_line_and_a_final_newline() -> None:
    stream = io.StringIO()
    nl.run(["a", "fail b"], strategy=Scripted(), cache=False, progress=TextProgress(stream))
    text = stream.getvalue()
    assert text.startswith("\rrunning") and text.endswith("\n")
    final = text.rstrip("\n").rsplit("\r", 1)[-1]
    assert final.startswith("done 100% | 2/2 · 1 succeeded · 1 failed")


def test_auto_progress_is_nothing_when_stderr_is_not_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert make_progress(True) is None
    assert make_progress(False) is None
    assert isinstance(make_progress("text"), TextProgress)


def test_auto_progress_is_text_on_a_terminal_and_a_widget_in_jupyter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("notebookllm.environment.stderr_is_tty", lambda: True)
    assert isinstance(make_progress("auto"), TextProgress)
    monkeypatch.setattr("notebookllm.environment.in_jupyter_kernel", lambda: True)
    assert isinstance(make_progress(True), WidgetProgress)


class Exits(Scripted):
    async def execute(self, prompt, attempt, timeout, state=None):
        if prompt == "exit":
            raise SystemExit(3)
        return await super().execute(prompt, attempt, timeout, state)


def test_a_run_ended_by_an_exception_still_draws_its_final_state_as_failed() -> None:
    progress = WidgetProgress(display=False)
    with pytest.raises(SystemExit):
        nl.run(["a", "exit"], strategy=Exits(), cache=False, progress=progress, max_workers=1)
    assert progress.bar.description == "failed" and progress.bar.bar_style == "danger"
    assert progress.state.done == 1 and progress.state.succeeded == 1


class Broken(Progress):
    def draw(self, state) -> None:
        raise RuntimeError("comm closed")


def test_a_display_that_cannot_draw_does_not_break_the_run(caplog: pytest.LogCaptureFixture) -> None:
    results = nl.run(
        ["a", "limit b"],
        strategy=Scripted(),
        cache=False,
        progress=Broken(),
        rate_limit=RateLimitConfig(slow_start_items=0),
    )
    assert results.df["success"].all()
    assert "failed to draw" in caplog.text
