"""A spent daily quota on the emulator: the run stops saying when the quota resets (the server's hint, else midnight
Pacific), ``retry_failed()`` after the reset goes on, and the summary counts today's requests per model."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pandas as pd
import pytest
from google.genai import errors as genai_errors

import notebookllm as nl
from notebookllm.emulator import EmulatorConfig, ManualClock
from notebookllm.gemini import GeminiAccountError, GeminiStrategy
from notebookllm.gemini.connection import account_error
from notebookllm.quota_day import PACIFIC, describe_reset, next_reset, quota_day_start
from notebookllm.store import Store


def _rows(n: int, word: str = "row") -> pd.DataFrame:
    return pd.DataFrame({"text": [f"{word} {i}" for i in range(n)]})


def _epoch(*args: int) -> float:
    return datetime(*args, tzinfo=timezone.utc).timestamp()


def test_the_quota_day_runs_midnight_to_midnight_pacific_across_daylight_saving():
    winter = _epoch(2026, 11, 22, 12)  # 04:00 PST
    assert next_reset(winter) == _epoch(2026, 11, 23, 8) and quota_day_start(winter) == _epoch(2026, 11, 22, 8)
    summer = _epoch(2026, 7, 1, 12)  # 05:00 PDT
    assert next_reset(summer) == _epoch(2026, 7, 2, 7)
    # 2026-11-01 is 25 hours long in California (PDT ends): it began at 07:00 UTC and ends at 08:00 UTC the next day.
    autumn = _epoch(2026, 11, 1, 20)
    assert next_reset(autumn) - quota_day_start(autumn) == 25 * 3600
    assert datetime.fromtimestamp(next_reset(autumn), PACIFIC).hour == 0


def test_a_reset_is_said_in_utc_pacific_and_the_readers_zone():
    now = _epoch(2026, 11, 22, 2, 48)
    text = describe_reset(next_reset(now), now, local=PACIFIC)
    assert text == "08:00 UTC (00:00 Pacific, 00:00 PST here), in 5 h 12 min"


def _daily_429(*hint: str) -> genai_errors.ClientError:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
        },
        *({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay} for delay in hint),
    ]
    message = "You exceeded your current quota"
    return genai_errors.ClientError(429, {"error": {"code": 429, "message": message, "details": details}})


@pytest.mark.parametrize("hint", [(), ("36s",)], ids=["no hint", "a per-minute hint"])
async def test_the_documented_reset_is_used_unless_the_server_says_later(hint):
    before = time.time()
    error = await account_error(None, "gemini-x", _daily_429(*hint))  # type: ignore[arg-type]
    assert isinstance(error, GeminiAccountError) and error.spent == "daily"
    # today's service may say "36s" on a daily 429: no daily quota resets that soon
    assert error.resets_at in (next_reset(before), next_reset(time.time()))
    assert "resets at" in str(error) and "Pacific" in str(error)
    later = await account_error(None, "gemini-x", _daily_429("172800s"))  # type: ignore[arg-type]
    assert abs(later.resets_at - (time.time() + 172_800)) < 60


async def test_a_spent_daily_quota_says_when_it_resets_and_retry_failed_goes_on_after(make_emulator, store_path):
    clock = ManualClock()  # 2026-11-22 12:00 UTC: the emulator's quota day ends in 20 hours
    emu = make_emulator(EmulatorConfig(clock=clock))
    emu.exhaust_daily_quota()
    strategy = GeminiStrategy(emu.client())
    results = await nl.arun(_rows(4), prompt="{text}", strategy=strategy, store=store_path, progress=False,
                            max_workers=1)  # fmt: skip
    assert emu.count(endpoint="generateContent") == 1  # the run stopped at the first 429
    error = results.results[0].error
    assert isinstance(error, GeminiAccountError) and all(r.error is error for r in results.results)
    # the server's RetryInfo hint (20 h on the emulator's clock), unless the documented reset by this machine's clock
    # is later (between 08:00 and 12:00 UTC it is)
    now = time.time()
    assert abs(error.resets_at - max(now + 20 * 3600, next_reset(now))) < 600
    assert "resets at" in str(error) and "UTC" in str(error)
    summary = results.summary()
    assert summary.daily_quota is not None and "resets at" in summary.daily_quota
    assert "daily quota" in str(summary) and "daily quota" in results._repr_html_()

    clock.advance(20 * 3600 + 1)  # past midnight Pacific on the emulator's clock: the quota is back
    again = await results.aretry_failed()
    await strategy.client.aio.aclose()
    assert again.df["success"].all() and emu.count(endpoint="generateContent") == 5
    assert again.summary().daily_quota is None


async def test_the_summary_counts_todays_answered_requests_per_model_from_the_store(emulator, store_path):
    client = emulator.client()
    store = Store.open(store_path)
    first = await nl.arun(_rows(3), prompt="{text}", strategy=GeminiStrategy(client, "gemini-3.7-flash"),
                          store=store, progress=False)  # fmt: skip
    assert first.summary().requests_today == {"gemini-3.7-flash": 3}
    second = await nl.arun(_rows(5), prompt="{text} again", strategy=GeminiStrategy(client, "gemini-3.8-flash"),
                           store=store, progress=False)  # fmt: skip
    summary = second.summary()
    assert summary.requests_today == {"gemini-3.7-flash": 3, "gemini-3.8-flash": 5}
    assert "this store only" in str(summary) and "requests today" in second._repr_html_()
    again = await nl.arun(_rows(3), prompt="{text}", strategy=GeminiStrategy(client, "gemini-3.7-flash"),
                          store=store, progress=False)  # fmt: skip
    assert again.summary().from_cache == 3 and again.summary().requests_today["gemini-3.7-flash"] == 3
    batch = await nl.arun(_rows(2, "batch"), prompt="{text}", strategy=GeminiStrategy(client, "gemini-3.7-flash"),
                          store=store, progress=False, mode="batch")  # fmt: skip
    assert batch.df["success"].all() and emulator.count(endpoint="batchGenerateContent") == 1
    assert store.requests_today() == {"gemini-3.7-flash": 3, "gemini-3.8-flash": 5}  # the Batch API's quota is apart
    off = await nl.arun(_rows(2), prompt="{text}", strategy=GeminiStrategy(client), cache=False, progress=False)
    assert off.summary().requests_today is None and "requests today" not in str(off.summary())


def test_requests_before_the_quota_day_began_are_not_counted(tmp_path):
    now = [_epoch(2026, 11, 22, 7, 59)]  # one minute before midnight Pacific
    store = Store(tmp_path / "s.sqlite", clock=lambda: now[0])
    items = [nl.LLMWorkItem(item_id=str(i), strategy=_Keyed(), prompt=f"p{i}") for i in range(3)]
    session = store.begin_run(items)
    for i, item in enumerate(items):
        if i == 2:
            now[0] += 120  # the next quota day
        session.record_nowait(nl.WorkItemResult(item.item_id, True, output="ok", metadata={"model": "m"}))
    store.flush()
    assert store.requests_today() == {"m": 1}
    store.close()


class _Keyed(nl.LLMCallStrategy[str]):
    async def execute(self, prompt, attempt, timeout):  # pragma: no cover - never called
        raise AssertionError

    def request_fingerprint(self, prompt):
        return {"prompt": prompt}
