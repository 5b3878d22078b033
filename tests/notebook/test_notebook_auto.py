"""``mode="auto"`` on the emulator: a batch job for a large job, online for a small one and for everything the
store answers, said in one line before anything is sent."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

import notebookllm as nl
from notebookllm import ConfigurationError
from notebookllm.gemini import GeminiStrategy
from notebookllm.notebook.auto import choose_mode
from notebookllm.notebook.runner import RunOptions
from notebookllm.store import Store

MODEL = "gemini-2.5-flash"
PROMPT = "Classify the sentiment of this review: {review}"


@pytest.fixture
def store() -> Store:
    return Store.open(memory=True)


def _reviews(n: int) -> pd.DataFrame:
    return pd.DataFrame({"review": [f"Review {i}: I love it, great value" for i in range(n)]})


async def test_a_large_job_goes_to_batch_and_the_store_answers_its_known_rows(
    emulator_client, emulator, store, capsys
) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL)
    df = _reviews(40)
    await nl.arun(df.head(10), prompt=PROMPT, strategy=strategy, store=store, progress=False)
    capsys.readouterr()
    emulator.reset_log()
    # 30 rows at 1 request a minute: half an hour online.
    results = await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, progress=False, rpm=1, mode="auto")
    line = capsys.readouterr().out.strip()
    assert line.startswith('notebookllm: mode="auto" chose batch: 30 rows to send would take about 30.0 min')
    assert "paced by rpm=1" in line and "10 more the store answers" in line and "\n" not in line
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="generateContent") == 0
    assert results.df["success"].all() and results.summary().from_cache == 10


async def test_a_small_job_runs_online(emulator_client, emulator, store, capsys) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL)
    results = await nl.arun(_reviews(5), prompt=PROMPT, strategy=strategy, store=store, progress=False, mode="auto")
    line = capsys.readouterr().out.strip()
    assert line.startswith('notebookllm: mode="auto" chose online: 5 rows to send would take about 1.0s online')
    assert "not worth a batch job's wait" in line
    assert emulator.count(endpoint="generateContent") == 5 and emulator.count(endpoint="batchGenerateContent") == 0
    assert results.df["success"].all()


async def test_everything_the_store_answers_runs_online_and_sends_nothing(
    emulator_client, emulator, store, capsys
) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL)
    df = _reviews(30)
    await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, progress=False)
    capsys.readouterr()
    emulator.reset_log()
    results = await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, progress=False, rpm=1, mode="auto")
    assert capsys.readouterr().out.strip() == (
        'notebookllm: mode="auto" chose online: the store answers all 30 rows, nothing to send'
    )
    assert emulator.log == [] and results.summary().from_cache == 30


async def test_an_unknown_mode_is_refused(emulator_client, emulator, store) -> None:
    with pytest.raises(ConfigurationError, match="'online', 'batch' or 'auto'"):
        await nl.arun(_reviews(2), prompt=PROMPT, strategy=GeminiStrategy(emulator_client, MODEL), mode="fast")
    assert emulator.log == []


async def test_a_deadline_with_room_for_the_online_fallback_chooses_a_batch_job_that_runs_with_it(
    emulator_client, emulator, store, capsys
) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL)
    # 30 rows at rpm=1: 30 min online; a deadline 3 h away leaves the job over two hours.
    results = await nl.arun(_reviews(30), prompt=PROMPT, strategy=strategy, store=store, progress=False, rpm=1,
                            mode="auto", deadline=timedelta(hours=3))  # fmt: skip
    line = capsys.readouterr().out.strip()
    assert line.startswith('notebookllm: mode="auto" chose batch: 30 rows to send would take about 30.0 min')
    assert "what it has not answered by " in line and "finishes online before the deadline " in line
    assert results.deadline is not None and (results.deadline.by_job, results.deadline.online) == (30, 0)
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="generateContent") == 0


async def test_a_deadline_too_near_for_a_batch_job_runs_online(emulator_client, emulator, store, capsys) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL)
    # 3 rows at rpm=0.1: 30 min online; a deadline 40 min away leaves a job less than MIN_JOB_WINDOW_S once the
    # online time and its margin (7.5 min) are kept.
    choice = choose_mode(_items(strategy, 3), RunOptions.build(rpm=0.1, store=store, deadline=timedelta(minutes=40)))
    assert choice.mode == "online" and "leaves no time for a batch job's wait" in str(choice)
    assert "the deadline " in str(choice)
    assert emulator.log == []


def _items(strategy, n: int):
    from notebookllm.notebook.inputs import build_items

    return build_items(_reviews(n), prompt=PROMPT, strategy=strategy)[1]


def test_a_small_job_under_a_deadline_says_it_is_done_before_it(emulator_client, emulator, store) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL)
    choice = choose_mode(_items(strategy, 5), RunOptions.build(store=store, deadline=timedelta(hours=1)))
    assert choice.mode == "online" and "not worth a batch job's wait; done before the deadline " in str(choice)
    assert emulator.log == []
