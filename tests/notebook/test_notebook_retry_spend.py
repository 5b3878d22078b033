"""``retry_failed()`` on the emulator: each row's tokens and ``cost_usd`` count every attempt once (the first run's
and the retry's), and the summary says what the retry's own requests spent beside the totals over all attempts.
Checked against what the emulator billed."""

from __future__ import annotations

import pandas as pd
import pytest
from test_notebook_spend import MODEL, _billed

import notebookllm as nl
from notebookllm.core.tokens import format_usd

ROWS = ["a plain row", "a flaky row [[fail:500x2]]", "a blocked row [[safety-stop]]"]


async def test_retry_failed_counts_every_attempt_once_and_says_what_the_retry_spent(
    emulator_client, emulator, fast_retries
) -> None:
    df = pd.DataFrame({"text": ROWS})
    options = {"strategy": nl.GeminiStrategy(emulator_client, MODEL), "cache": False, "progress": False, **fast_retries}
    emulator.reset_log()
    first = await nl.arun(df, prompt="{text}", max_attempts=1, **options)
    first_cost, first_tokens, _ = _billed(emulator)
    assert first.df["success"].tolist() == [True, False, False] and first.df["blocked"].tolist() == [0, 0, 1]
    blocked_cost = first.df["cost_usd"].iloc[2]
    assert blocked_cost > 0  # a blocked reply still bills its prompt: a failure that cost something

    emulator.reset_log()
    second = await first.aretry_failed(include_blocked=True, max_attempts=3)
    retry_cost, retry_tokens, answered = _billed(emulator)
    assert answered == 2 and emulator.count(endpoint="generateContent", status=500) == 1
    df2 = second.df
    assert df2["success"].tolist() == [True, True, False]

    # each row counts every attempt once: the blocked row was billed twice, once per run
    assert df2["cost_usd"].iloc[2] == pytest.approx(2 * blocked_cost)
    billed_columns = ["input_tokens", "output_tokens", "thoughts_tokens"]
    assert df2[billed_columns].iloc[2].sum() == 2 * first.df[billed_columns].iloc[2].sum()
    summary = second.summary()
    assert summary.cost_usd == pytest.approx(first_cost + retry_cost)
    assert summary.input_tokens + summary.output_tokens + summary.thoughts_tokens == first_tokens + retry_tokens
    # and says what the retry's own requests spent
    assert summary.retry_cost_usd == pytest.approx(retry_cost) and summary.retry_tokens == retry_tokens
    assert f"{format_usd(retry_cost)} ({retry_tokens:,} tokens" in str(summary)
    assert first.summary().retry_tokens is None and "retry spent" not in str(first.summary())
