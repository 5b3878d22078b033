"""The notebook layer over the real SDK and the emulator: safety and finish-reason columns, the store, secrets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from google import genai
from google.genai import types
from pydantic import BaseModel

import notebookllm as nl
from notebookllm.notebook import WidgetProgress

REVIEWS = [
    "Great tea, fast delivery.",
    "The box was crushed [[unsafe:harassment:MEDIUM]]",
    "Refund now [[block]]",
    "Arrived late [[fail:503x1]]",
    "Angry words [[safety-stop]]",
    "Fine [[fail:429:0.05]]",
]


@pytest.fixture
def strategy(emulator_client: genai.Client) -> nl.GeminiStrategy:
    return nl.GeminiStrategy(emulator_client, "gemini-2.5-flash", include_metadata=True)


def test_dataframe_through_gemini_has_safety_finish_reason_and_token_columns(
    strategy: nl.GeminiStrategy, fast_retries: dict
) -> None:
    df = pd.DataFrame({"review": REVIEWS}, index=[f"r{i}" for i in range(len(REVIEWS))])
    progress = WidgetProgress(display=False)
    results = nl.run(df, prompt="Classify: {review}", strategy=strategy, cache=False, progress=progress,
                     **fast_retries)  # fmt: skip
    d = results.df
    assert d["success"].tolist() == [True, True, False, True, False, True]
    assert all(isinstance(o, str) for o in d["output"][d["success"]])  # GeminiResponse unwrapped
    assert d.loc["r1", "safety_harassment"] == "MEDIUM"
    assert d.loc["r2", "blocked"] and d.loc["r2", "error_type"] == "GeminiBlockedError"
    assert d.loc["r4", "finish_reason"] == "SAFETY" and d.loc["r4", "safety_harassment"] == "HIGH"
    assert (d.loc["r3", "attempts"], d.loc["r3", "unavailable_waits"]) == (1, 1)  # a 503 uses no attempt
    assert d.loc["r0", "finish_reason"] == "STOP" and d.loc["r0", "input_tokens"] > 0
    assert list(results.blocked.index) == ["r2", "r4"]
    summary = results.summary()
    assert summary.blocked == 2 and summary.cost_usd is not None and summary.cost_usd > 0
    assert progress.state.cooldowns == 1 and progress.state.failed == 2
    html = results._repr_html_()
    assert "background:#ffe0a3" in html and "background:#f5a3a3" in html  # MEDIUM and HIGH stand out


class Label(BaseModel):
    label: str
    confidence: float


def test_structured_outputs_expand_into_columns(emulator_client: genai.Client) -> None:
    strategy = nl.GeminiStrategy(emulator_client, "gemini-2.5-flash", response_schema=Label)
    results = nl.run(["good", "bad"], prompt="Label: {text}", strategy=strategy, cache=False, progress=False)
    assert {"label", "confidence"} <= set(results.df.columns)
    assert results.df["label"].map(type).eq(str).all()


def test_rerunning_the_same_cell_answers_from_the_store_with_zero_requests(
    strategy: nl.GeminiStrategy, emulator, store_path: Path
) -> None:
    df = pd.DataFrame({"review": ["nice", "bad", "ok"]})
    first = nl.run(df, prompt="Classify: {review}", strategy=strategy, store=store_path, progress=False)
    sent = emulator.count(endpoint="generateContent")
    assert sent == 3
    again = nl.run(df, prompt="Classify: {review}", strategy=strategy, store=store_path, progress=False)
    assert emulator.count(endpoint="generateContent") == sent
    assert again.df["from_cache"].all()
    assert again.outputs == first.outputs
    assert again.summary().saved_cost_usd == pytest.approx(first.summary().cost_usd)
    billed = first.summary()
    assert again.summary().saved_tokens == billed.input_tokens + billed.output_tokens + billed.thoughts_tokens
    assert (again.summary().cost_usd, again.summary().input_tokens) == (0.0, 0)  # nothing billed this time

    df.loc[1, "review"] = "terrible"  # one edited row: only that row is requested
    edited = nl.run(df, prompt="Classify: {review}", strategy=strategy, store=store_path, progress=False)
    assert emulator.count(endpoint="generateContent") == sent + 1
    assert edited.df["from_cache"].tolist() == [True, False, True]


def test_dry_run_sends_and_stores_nothing(strategy: nl.GeminiStrategy, emulator, store_path: Path) -> None:
    results = nl.run(["a", "b"], strategy=strategy, dry_run=True, store=store_path, progress=False)
    assert results.df["success"].all()
    assert emulator.count(endpoint="generateContent") == 0
    nl.run(["a", "b"], strategy=strategy, store=store_path, progress=False)
    assert emulator.count(endpoint="generateContent") == 2  # the dry run's placeholders were not cached


def test_compare_prompts_side_by_side(strategy: nl.GeminiStrategy) -> None:
    df = pd.DataFrame({"review": ["lovely", "awful", "fine"]})
    cmp = nl.compare(
        df,
        prompts={"v1": "Classify: {review}", "v2": "Classify: {review}", "v3": "Sentiment of {review}"},
        strategy=strategy,
        cache=False,
        progress=False,
    )
    assert list(cmp.df.columns) == ["review", "output_v1", "output_v2", "output_v3", "agree"]
    assert cmp.df["output_v1"].tolist() == cmp.df["output_v2"].tolist()  # same prompt, deterministic emulator
    summary = cmp.summary()
    assert list(summary.index) == ["v1", "v2", "v3"]
    assert summary.loc["v2", "agrees_with_v1"] == 1.0
    assert (summary["input_tokens"] > 0).all() and "cost_usd" in summary.columns
    assert 0.0 <= cmp.agreement_rate <= 1.0
    assert "agreement" in cmp._repr_html_()


@pytest.mark.filterwarnings("ignore::notebookllm.gemini.EmulatorInUseWarning")
def test_compare_models(emulator_client: genai.Client) -> None:
    nl.connect(emulator=True)  # the default client of strategies built from model names
    cmp = nl.compare(["hello"], models=["gemini-2.5-flash", "gemini-2.5-pro"], prompt="Reply to {text}",
                     cache=False, progress=False)  # fmt: skip
    assert list(cmp.results) == ["gemini-2.5-flash", "gemini-2.5-pro"]
    assert cmp.results["gemini-2.5-pro"].df["success"].all()


SECRET = "AIza" + "Q7x" * 11 + "zz"  # shaped like a Google API key
ENV_SECRET = "sk-test-not-a-google-shape-123456"


class LeakyStrategy(nl.LLMCallStrategy[str]):
    """Fails with an error message that quotes the API key, as some proxies and SDK errors do."""

    async def execute(self, prompt, attempt, timeout, state=None):
        raise PermissionError(f"API key {SECRET} / {ENV_SECRET} rejected for {prompt}")


def test_the_api_key_never_appears_in_html_or_dataframe_output(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", ENV_SECRET)
    # A client with a wrong key: the emulator rejects it and the SDK raises.
    client = genai.Client(
        api_key=SECRET, http_options=types.HttpOptions(base_url=emulator.base_url, api_version="v1beta")
    )
    gemini = nl.GeminiStrategy(client, "gemini-2.5-flash", include_metadata=True)
    progress = WidgetProgress(display=False)
    results = nl.run(["a", "b"], strategy=gemini, cache=False, progress=progress, max_attempts=1)
    leaky = nl.run(["c"], strategy=LeakyStrategy(), cache=False, progress=False, max_attempts=1)
    assert not results.df["success"].any() and not leaky.df["success"].any()
    assert "[REDACTED]" in leaky.df.loc[0, "error"]

    shown = []
    for res in (results, leaky):
        shown += [res._repr_html_(), repr(res), str(res.summary()), res.summary()._repr_html_(), res.df.to_string()]
        res.to_csv(tmp_path / "out.csv")
        shown.append((tmp_path / "out.csv").read_text())
    shown += [w.value for w in (progress.counts, progress.tokens, progress.cooldown, progress.error)]
    for text in shown:
        assert SECRET not in text and ENV_SECRET not in text
