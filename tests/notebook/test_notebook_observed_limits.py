"""Observed limits on the emulator: a 429's ``quotaValue`` is kept in the store per account and model, and a later
run given no ``rpm=``/``tpm=`` paces at it, saying so once (``mode="auto"`` plans with it too)."""

from __future__ import annotations

import pandas as pd
from google.genai import errors as genai_errors

import notebookllm as nl
from notebookllm.gemini import GeminiStrategy
from notebookllm.gemini.classifier import reported_limits
from notebookllm.notebook.observed_limits import account_name, observed_limits, pace_at_observed
from notebookllm.notebook.runner import RunOptions
from notebookllm.store import Store


def _rows(n: int, word: str = "row") -> pd.DataFrame:
    return pd.DataFrame({"text": [f"{word} {i}" for i in range(n)]})


def _quota_429(*violations: dict) -> genai_errors.ClientError:
    details = [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": list(violations)}]
    return genai_errors.ClientError(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": details}})


def test_the_quota_id_tells_the_kind_of_each_reported_limit():
    exc = _quota_429(
        {"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "quotaValue": "10"},
        {"quotaId": "GenerateContentInputTokensPerModelPerMinute-FreeTier", "quotaValue": "250000",
         "quotaDimensions": {"model": "gemini-b"}},
        {"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "quotaValue": "250"},
        {"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"},  # no value: nothing learnt
        {"quotaId": "GenerateContentInputTokensPerDay-FreeTier", "quotaValue": "9", "quotaDimensions": "[MaxDepth]"},
    )  # fmt: skip
    assert reported_limits(exc, "gemini-a") == {
        "gemini-a": {"rpm": 10.0, "rpd": 250.0, "tpd": 9.0},
        "gemini-b": {"tpm": 250000.0},
    }
    assert reported_limits(genai_errors.ClientError(400, {"error": {"code": 400}}), "gemini-a") == {}


async def test_a_reported_limit_is_remembered_and_paces_the_next_run(make_emulator, store_path, fast_retries, capsys):
    emu = make_emulator(rpm=2, quota_window_s=0.2)  # a short window: the 429's retry delay is a fraction of a second
    client = emu.client()
    strategy = GeminiStrategy(client)
    first = await nl.arun(_rows(3), prompt="{text}", strategy=strategy, store=store_path, progress=False,
                          max_workers=1, **fast_retries)  # fmt: skip
    assert first.df["success"].all() and emu.count(status=429) >= 1
    store = Store.open(store_path)
    limits = observed_limits(store, strategy.model, client=client)
    assert limits is not None and (limits.rpm, limits.tpm) == (2.0, None)
    assert store.observed_limits(strategy.model, "another account") is None  # kept per account
    assert "pacing" not in capsys.readouterr().out

    emu.reset()  # a fresh quota window: the paced request below meets no 429 (its retry would wait 30 s)
    second = await nl.arun(_rows(1, "next"), prompt="{text}", strategy=strategy, store=store_path, progress=False)
    assert second.df["success"].all()
    out = capsys.readouterr().out
    assert out.count("pacing at 2 requests/min, the limit Google reported on ") == 1

    items = [nl.LLMWorkItem(item_id="x", strategy=strategy, prompt="x")]
    paced = pace_at_observed(items, RunOptions.build(store=store_path))
    assert paced.config.rate_limit.requests_per_minute == 2.0 and "pacing at 2" in capsys.readouterr().out
    chosen = pace_at_observed(items, RunOptions.build(store=store_path, rpm=600))  # the user's rpm= wins
    assert chosen.config.rate_limit.requests_per_minute == 600 and "pacing" not in capsys.readouterr().out
    assert pace_at_observed(items, RunOptions.build(cache=False)).config.rate_limit.requests_per_minute is None

    emu.reset()
    await nl.arun(_rows(1, "auto"), prompt="{text}", strategy=strategy, store=store_path, progress=False, mode="auto")
    assert "paced by rpm=2" in capsys.readouterr().out  # mode="auto" plans with the observed limit


def test_the_account_is_named_without_the_key(emulator):
    name = account_name(emulator.client())
    assert emulator.base_url in name and emulator.api_key not in name
