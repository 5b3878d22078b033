"""``nl.run(..., mode="batch")``: the same validation and Results as an online run, one job, the store honoured.

Tests that run several times with one client use ``await nl.arun``: google-genai 1.x binds ``client.aio`` to the
first event loop that used it, and each sync ``nl.run`` in a script runs on a fresh loop."""

from __future__ import annotations

import pandas as pd
import pytest

import notebookllm.notebook as nb
from notebookllm.core.errors import ConfigurationError, InvalidWorkItemError
from notebookllm.gemini import (
    BatchJobFailedError,
    BatchJobLostWarning,
    GeminiCachedStrategy,
    GeminiStrategy,
    estimate_cost,
)
from notebookllm.notebook.progress import Progress
from notebookllm.store import BatchLedger, Store

pytestmark = pytest.mark.sdk_compat

MODEL = "gemini-2.5-flash"


@pytest.fixture
def store():
    return Store.open(memory=True)


@pytest.fixture
def df():
    return pd.DataFrame({"review": ["great tea", "cold soup [[fail:503]]", "fine bread", "awful [[block]]"]})


async def test_batch_mode_fills_the_same_results_view_from_one_job(emulator_client, emulator, store, df):
    strategy = GeminiStrategy(emulator_client, MODEL, include_metadata=True)
    progress = Progress()
    results = await nb.arun(
        df, prompt="Review: {review}", strategy=strategy, store=store, mode="batch", progress=progress
    )
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="generateContent") == 0
    frame = results.df
    assert list(frame["review"]) == list(df["review"])
    assert list(frame["success"]) == [True, False, True, False]
    assert list(frame["error_type"].fillna("")) == ["", "ServerError", "", "GeminiBlockedError"]
    assert frame.loc[0, "finish_reason"] == "STOP" and frame.loc[3, "blocked"]
    assert frame.loc[0, "input_tokens"] > 0 and not frame["from_cache"].any()
    first = results.results[0]
    assert first.metadata["cost_usd"] == estimate_cost(first.token_usage, MODEL, batch=True)
    assert progress.state.phase.endswith("JOB_STATE_SUCCEEDED") and progress.state.status == "done"
    online = await nb.arun(df.iloc[[0]], prompt="Review: {review}", strategy=strategy, store=store, cache=False)
    assert online.results[0].output.output == first.output.output  # a batch row holds what an online row holds


async def test_cached_rows_are_not_submitted_and_a_rerun_sends_only_the_failures(emulator_client, emulator, store, df):
    strategy = GeminiStrategy(emulator_client, MODEL)
    await nb.arun(
        df.iloc[:1], prompt="Review: {review}", strategy=strategy, store=store, progress=False
    )  # online, stored
    results = await nb.arun(df, prompt="Review: {review}", strategy=strategy, store=store, mode="batch", progress=False)
    assert list(results.df["from_cache"]) == [True, False, False, False]
    [job] = BatchLedger(store).entries()
    assert sorted(job.request_keys.values()) == ["1", "2", "3"]  # the cached row was not sent
    again = await nb.arun(df, prompt="Review: {review}", strategy=strategy, store=store, mode="batch", progress=False)
    assert list(again.df["from_cache"]) == [True, False, True, False]
    retry = BatchLedger(store).entries()[0]
    assert retry.name != job.name and sorted(retry.request_keys.values()) == ["1", "3"]


async def test_running_the_same_call_again_reattaches_to_its_job(emulator_client, emulator, store, df):
    strategy = GeminiStrategy(emulator_client, MODEL)
    first = await nb.arun(df, prompt="Review: {review}", strategy=strategy, store=store, mode="batch", cache="off",
                   progress=False)  # fmt: skip
    again = await nb.arun(df, prompt="Review: {review}", strategy=strategy, store=store, mode="batch", cache="off",
                   progress=False)  # fmt: skip
    assert emulator.count(endpoint="batchGenerateContent") == 1  # e.g. after an interrupted wait or a restart
    assert list(again.df["output"]) == list(first.df["output"])


async def test_the_same_cell_against_a_fresh_emulator_resubmits_with_a_warning_not_a_404(
    emulator_client, emulator, store, df
):
    strategy = GeminiStrategy(emulator_client, MODEL)
    first = await nb.arun(df, prompt="Review: {review}", strategy=strategy, store=store, mode="batch", cache="off",
                          progress=False)  # fmt: skip
    [old] = BatchLedger(store).entries()
    emulator.reset()  # restarted at the same address, as after `python -m notebookllm emulator` is started again
    with pytest.warns(BatchJobLostWarning, match=old.name):
        again = await nb.arun(df, prompt="Review: {review}", strategy=strategy, store=store, mode="batch",
                              cache="off", progress=False)  # fmt: skip
    assert emulator.count(endpoint="batchGenerateContent") == 1  # submitted once more, not twice
    assert list(again.df["success"]) == list(first.df["success"]) == [True, False, True, False]
    assert BatchLedger(store).get(old.name).lost_reason is not None and len(BatchLedger(store).entries()) == 2


def test_a_failed_job_fails_its_rows_and_keeps_them(emulator_client, store):
    strategy = GeminiStrategy(emulator_client, MODEL)
    results = nb.run(["a", "b [[job:fail]]"], prompt="{text}", strategy=strategy, store=store, mode="batch",
                     progress=False)  # fmt: skip
    assert not results.df["success"].any() and len(results.df) == 2
    assert all(isinstance(r.error, BatchJobFailedError) for r in results.results)


def test_batch_mode_validates_before_sending(emulator_client, emulator, store):
    strategy = GeminiStrategy(emulator_client, MODEL)
    with pytest.raises(ConfigurationError):
        nb.run(["a"], prompt="{text}", strategy=strategy, store=store, mode="bulk")
    with pytest.raises(InvalidWorkItemError):
        nb.run(pd.DataFrame({"text": ["a", None]}), prompt="{text}", strategy=strategy, store=store, mode="batch")
    with pytest.warns(UserWarning), pytest.raises(ConfigurationError):
        cached = GeminiCachedStrategy(emulator_client, MODEL)
        nb.run(["a"], prompt="{text}", strategy=cached, store=store, mode="batch", progress=False)
    assert emulator.count() == 0
