"""Scoring comparisons against labels on the emulator, whose replies are deterministic, so scores are known.

The emulator answers a "classify ... sentiment" prompt by counting positive and negative cue words in the whole
prompt (``notebookllm/emulator/replies.py``). The "biased" variant's instruction holds the cue word "good", which
tips neutral reviews to positive and one-cue negative ones to neutral: the two variants really differ.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import pytest
from nb_strategies import Scripted
from pydantic import BaseModel

import notebookllm as nl
from notebookllm import ConfigurationError
from notebookllm.gemini import DEFAULT_MODEL, GeminiStrategy
from notebookllm.notebook.judge import JudgeVerdict
from notebookllm.store import Store

pytestmark = pytest.mark.sdk_compat

MODEL = DEFAULT_MODEL
PROMPTS = {
    "guided": "Classify the sentiment: {review}",
    "biased": "Classify the sentiment, a good one-word answer: {review}",
}
# review, label, what "guided" answers, what "biased" answers
ROWS = [
    ("I love it, great value", "positive", "positive", "positive"),
    ("It broke, awful", "negative", "negative", "negative"),
    ("It arrived on Tuesday", "neutral", "neutral", "positive"),
    ("It broke", "negative", "negative", "neutral"),
    ("Good but it broke quickly", "negative", "positive", "positive"),
    ("Arrived late", "neutral", "neutral", "positive"),
    ("Perfect", "positive", "positive", "positive"),
    ("Meh", None, "neutral", "positive"),  # no label: left out of the scores
    ("Fine [[fail:400x*]]", "neutral", None, None),  # fails in both: scored wrong
    ("Nice [[block]]", "positive", None, None),  # blocked in both: scored wrong
]


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame({"review": [r[0] for r in ROWS], "sentiment": [r[1] for r in ROWS]})


@pytest.fixture
def store() -> Store:
    return Store.open(memory=True)


@pytest.fixture
def strategy(emulator_client) -> GeminiStrategy:
    return GeminiStrategy(emulator_client, MODEL, include_metadata=True)


async def _compare(df, strategy, store, **options):
    return await nl.acompare(df, prompts=PROMPTS, strategy=strategy, labels="sentiment", store=store, progress=False,
                             max_attempts=1, **options)  # fmt: skip


async def test_scores_match_hand_computed_values(df, strategy, store, emulator) -> None:
    cmp = await _compare(df, strategy, store)
    assert [str(o).lower() if o else None for o in cmp.df["output_guided"]] == [r[2] for r in ROWS]
    assert [str(o).lower() if o else None for o in cmp.df["output_biased"]] == [r[3] for r in ROWS]
    s = cmp.scores
    # 9 labelled rows; guided is right on rows 1, 2, 3, 4, 6, 7; biased on 1, 2, 7; the failed and blocked rows
    # count as wrong for both.
    assert s.loc["guided", "n_scored"] == 9 and s.loc["biased", "n_scored"] == 9
    assert s.loc["guided", "accuracy"] == pytest.approx(6 / 9) and s.loc["biased", "accuracy"] == pytest.approx(3 / 9)
    assert (s["unlabelled"] == 1).all() and (s["failed"] == 1).all() and (s["blocked"] == 1).all()
    assert (s["scorer_errors"] == 0).all()
    # Macro-F1 by hand. guided: positive P=2/3 R=2/3, negative P=1 R=2/3, neutral P=1 R=2/3.
    f1 = [2 * p * r / (p + r) for p, r in ((2 / 3, 2 / 3), (1, 2 / 3), (1, 2 / 3))]
    assert s.loc["guided", "macro_f1"] == pytest.approx(sum(f1) / 3)
    # biased: positive P=2/5 R=2/3, negative P=1 R=1/3, neutral P=0 (1 predicted, wrong).
    f1 = [2 * p * r / (p + r) for p, r in ((2 / 5, 2 / 3), (1, 1 / 3))] + [0.0]
    assert s.loc["biased", "macro_f1"] == pytest.approx(sum(f1) / 3)
    for name, res in cmp.results.items():
        cost = sum(r.metadata.get("cost_usd") or 0.0 for r in res.results)
        assert s.loc[name, "cost_usd"] == pytest.approx(cost)
        assert s.loc[name, "cost_per_correct"] == pytest.approx(cost / (6 if name == "guided" else 3))
        assert s.loc[name, "tokens"] == res.df[["input_tokens", "output_tokens", "thoughts_tokens"]].sum().sum()
        assert 0 < s.loc[name, "latency_p50_s"] <= s.loc[name, "latency_p95_s"]
    # The 95% interval of 6/9 right: the bootstrap distribution of the mean is Binomial(9, 2/3) / 9, whose
    # 2.5% and 97.5% quantiles are 3/9 and 9/9.
    assert s.loc["guided", "ci_low"] == pytest.approx(3 / 9, abs=1 / 9) and s.loc["guided", "ci_high"] == 1.0
    assert s.loc["guided", "ci_low"] < 6 / 9 < s.loc["guided", "ci_high"]


async def test_confusion_significance_disagreements_plot_and_html(df, strategy, store) -> None:
    cmp = await _compare(df, strategy, store)
    confusion = cmp.confusion("biased")
    assert confusion.df.loc["negative"].to_dict() == {"negative": 1, "neutral": 1, "positive": 1, "(failed)": 0}
    assert confusion.df.loc["neutral"].to_dict() == {"negative": 0, "neutral": 0, "positive": 2, "(failed)": 1}
    assert confusion.df.loc["positive"].to_dict() == {"negative": 0, "neutral": 0, "positive": 2, "(failed)": 1}
    assert len(confusion.plot().axes) >= 1 and "confusion matrix" in confusion._repr_html_()

    sig = cmp.significance("guided", "biased")
    # Discordant pairs: only guided right on rows 3, 4, 6; only biased right on none → p = 2 * (1/2)^3.
    assert (sig.test, sig.only_a, sig.only_b, sig.n) == ("exact McNemar", 3, 0, 9)
    assert sig.p_value == pytest.approx(0.25) and not sig.significant
    assert sig.difference == pytest.approx(3 / 9) and "No real difference" in sig.verdict

    dis = cmp.disagreements
    assert list(dis["review"]) == ["It arrived on Tuesday", "It broke", "Arrived late", "Meh"]
    assert list(dis["sentiment"].fillna("-")) == ["neutral", "negative", "neutral", "-"]

    fig = cmp.plot()
    assert fig.axes[0].get_legend_handles_labels()[1] == ["Pareto front"]
    html = cmp._repr_html_()
    assert "accuracy" in html and "macro_f1" in html and "No real difference" in html
    with pytest.raises(ConfigurationError, match="no variant 'nope'"):
        cmp.significance("guided", "nope")


async def test_missing_label_column_fails_before_any_request(df, strategy, store, emulator) -> None:
    with pytest.raises(ConfigurationError, match="labels='truth' is not a column"):
        await nl.acompare(df, prompts=PROMPTS, strategy=strategy, labels="truth", store=store, progress=False)
    with pytest.raises(ConfigurationError, match="scorer must be"):
        await nl.acompare(df, prompts=PROMPTS, strategy=strategy, labels="sentiment", scorer=3, progress=False)
    with pytest.raises(ConfigurationError, match="3 labels for 10 rows"):
        await nl.acompare(df, prompts=PROMPTS, strategy=strategy, labels=["a", "b", "c"], progress=False)
    assert emulator.count() == 0


async def test_judge_scores_are_cached_and_counted_apart(df, strategy, store, emulator, emulator_client) -> None:
    df = df.iloc[:8]  # every row answered, so a rerun has nothing to re-request but what the judge may
    judge = nl.judge(GeminiStrategy(emulator_client, MODEL), rubric="Is the sentiment label right?")
    plain = await _compare(df, strategy, store)
    emulator.reset_log()
    cmp = await _compare(df, strategy, store, scorer=judge)
    assert emulator.count(endpoint="generateContent") == 7 + 7  # the labelled rows of each variant; variants stored
    s = cmp.scores
    assert "mean_score" in s and "accuracy" not in s
    for name in PROMPTS:
        frame = cmp.evaluation.df
        scores = frame[f"score_{name}"].dropna()
        assert len(scores) == 7 and scores.between(1, 5).all()
        assert s.loc[name, "mean_score"] == pytest.approx(scores.mean())
        assert frame[f"reason_{name}"].notna().sum() == 7  # a one-line reason per judged row
        judged = cmp.evaluation.judged[name]
        assert all(isinstance(o, JudgeVerdict) for o in judged.outputs)
        judge_tokens = judged.df[["input_tokens", "output_tokens", "thoughts_tokens"]].sum().sum()
        assert s.loc[name, "judge_tokens"] == judge_tokens > 0
        assert s.loc[name, "judge_cost_usd"] > 0
        assert s.loc[name, "tokens"] == plain.scores.loc[name, "tokens"]  # the judge's tokens are not the variant's
    assert cmp.significance("guided", "biased").test == "paired bootstrap"
    assert "sentiment" not in cmp.evaluation.judged["guided"].inputs  # the label reaches the judge via show_label only
    rescored = await plain.ascore(scorer=judge)  # the compare's labels again: still the input column
    assert "sentiment" not in rescored.judged["guided"].inputs and list(rescored.df.columns).count("sentiment") == 1

    emulator.reset_log()
    again = await _compare(df, strategy, store, scorer=judge)
    assert emulator.count(endpoint="generateContent") == 0  # variants and verdicts all from the store
    pd.testing.assert_frame_equal(again.scores, cmp.scores)


async def test_rescoring_reads_what_is_there_and_sends_nothing(df, strategy, store, emulator) -> None:
    cmp = await _compare(df, strategy, store)
    emulator.reset_log()
    lenient = cmp.score(scorer=lambda output, label: output.lower()[:3] == label[:3])
    partial = await cmp.ascore(scorer=lambda output, label: 0.5 if output.lower() == "neutral" else 1.0)
    assert emulator.count() == 0
    assert lenient.scores.loc["guided", "accuracy"] == pytest.approx(6 / 9)
    assert partial.binary is False and "mean_score" in partial.scores
    assert cmp.scores.loc["guided", "accuracy"] == pytest.approx(6 / 9)  # the comparison's own scores are kept


async def test_single_run_score_and_field_scorer(emulator_client, store) -> None:
    class Review(BaseModel):
        sentiment: Literal["positive", "negative"]
        summary: str

    frame = pd.DataFrame({"review": ["I love it", "It broke"], "label": ["positive", "negative"]})
    strategy = GeminiStrategy(emulator_client, MODEL, response_schema=Review)
    results = await nl.arun(frame, prompt="Review: {review}", strategy=strategy, store=store, progress=False)
    evaluation = await results.ascore(labels="label", scorer=nl.field("sentiment"))
    expected = [float(o.sentiment == label) for o, label in zip(results.outputs, frame["label"], strict=True)]
    assert list(evaluation.rows["run"].values) == expected and evaluation.scorer.name == "field 'sentiment'"
    broken = await results.ascore(labels="label")  # exact match on a structured output: each row's error
    assert broken.scores.loc["run", "scorer_errors"] == 2 and broken.scores.loc["run", "n_scored"] == 0
    assert "nl.field" in broken.df["scorer_error_run"].iloc[0]


def test_a_scorer_that_raises_on_a_row_records_it_and_goes_on() -> None:
    def picky(output: str, label: str) -> bool:
        if label == "boom":
            raise ValueError("cannot score this one")
        return output == label.upper()

    frame = pd.DataFrame({"text": ["a", "b", "c", "d"], "label": ["a", "boom", "x", None]})
    cmp = nl.compare(frame, strategies={"one": Scripted(), "two": Scripted()}, prompt="{text}", labels="label",
                     scorer=picky, cache=False, progress=False)  # fmt: skip
    s = cmp.scores
    assert s.loc["one", "n_scored"] == 2 and s.loc["one", "scorer_errors"] == 1 and s.loc["one", "unlabelled"] == 1
    assert s.loc["one", "accuracy"] == 0.5
    assert cmp.evaluation.rows["one"].errors == [None, "ValueError: cannot score this one", None, None]
    assert cmp.evaluation.df["scorer_error_one"].notna().tolist() == [False, True, False, False]
    with pytest.raises(ConfigurationError, match="categorical"):
        cmp.confusion("one")


async def test_batch_mode_scores_like_online_at_the_batch_price(df, emulator_client, store, emulator) -> None:
    df = df.iloc[:8]  # no failing row: a rerun has nothing left to send
    strategies = {
        "plain": GeminiStrategy(emulator_client, MODEL, include_metadata=True),
        "terse": GeminiStrategy(emulator_client, MODEL, include_metadata=True, system_instruction="Be terse."),
    }
    kwargs = dict(strategies=strategies, prompt=PROMPTS["guided"], labels="sentiment", progress=False, max_attempts=1)
    batch = await nl.acompare(df, mode="batch", store=store, **kwargs)
    assert emulator.count(endpoint="batchGenerateContent") == 2 and emulator.count(endpoint="generateContent") == 0
    online = await nl.acompare(df, cache=False, **kwargs)
    pd.testing.assert_series_equal(batch.scores["accuracy"], online.scores["accuracy"])
    assert batch.scores.loc["plain", "cost_usd"] == pytest.approx(online.scores.loc["plain", "cost_usd"] / 2)

    emulator.reset_log()
    judge = nl.judge(GeminiStrategy(emulator_client, MODEL), rubric="Right sentiment?")
    judged = await batch.ascore(scorer=judge)
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="generateContent") == 0
    assert judged.scores["judge_cost_usd"].gt(0).all()
    again = await nl.acompare(df, mode="batch", store=store, **kwargs)  # resumed from the store: nothing sent
    assert emulator.count(endpoint="batchGenerateContent") == 1
    pd.testing.assert_frame_equal(again.scores, batch.scores)


def test_judge_prompt_shows_what_it_is_told_to() -> None:
    judge = nl.judge(Scripted(), rubric="Right?", show_input=False, show_label=False)
    prompt = judge.prompt({"review": "secret review"}, "Positive", "positive-label")
    assert "Right?" in prompt and "Positive" in prompt
    assert "secret review" not in prompt and "positive-label" not in prompt
    shown = nl.judge(Scripted(), rubric="Right?").prompt({"review": "secret review"}, {"a": 1}, "positive-label")
    assert "review: secret review" in shown and "positive-label" in shown and '{"a": 1}' in shown


def test_bad_scoring_options() -> None:
    with pytest.raises(ConfigurationError, match="needs labels"):
        nl.compare(["a"], strategies={"x": Scripted(), "y": Scripted()}, prompt="{text}", scorer=len)
    with pytest.raises(ConfigurationError, match="rubric"):
        nl.judge(Scripted(), rubric=" ")
    with pytest.raises(ConfigurationError, match="mode"):
        nl.compare(["a"], strategies={"x": Scripted(), "y": Scripted()}, prompt="{text}", mode="fast")
    cmp = nl.compare(["a"], strategies={"x": Scripted(), "y": Scripted()}, prompt="{text}", cache=False,
                     progress=False)  # fmt: skip
    with pytest.raises(ConfigurationError, match="no labels"):
        cmp.scores  # noqa: B018
