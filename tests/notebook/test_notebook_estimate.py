"""``nl.estimate`` on the emulator: its token counts are the emulator's countTokens, its cost what the run bills."""

from __future__ import annotations

import pandas as pd
import pytest
from nb_strategies import Scripted

import notebookllm as nl
from notebookllm import ConfigurationError, InvalidWorkItemError
from notebookllm.emulator.tokens import count_text
from notebookllm.gemini import DEFAULT_MODEL, GeminiStrategy
from notebookllm.notebook.estimate import DEFAULT_LATENCY_S
from notebookllm.store import Store

pytestmark = pytest.mark.sdk_compat

MODEL = DEFAULT_MODEL
PROMPT = "Classify the sentiment of this review: {review}"


@pytest.fixture
def store() -> Store:
    return Store.open(memory=True)


@pytest.fixture
def df() -> pd.DataFrame:
    reviews = [f"Review {i}: I love it, great value" + " and more" * (i % 7) for i in range(24)]
    return pd.DataFrame({"review": reviews})


async def test_exact_tokens_and_the_cost_the_run_then_bills(emulator_client, emulator, store, df) -> None:
    # Thinking off: its length varies from reply to reply, the answer's own length is what an estimate can know.
    strategy = GeminiStrategy(emulator_client, MODEL, system_instruction="Answer with one word.", thinking=0)
    await nl.arun(df.iloc[:8], prompt=PROMPT, strategy=strategy, store=store, progress=False)  # the history
    emulator.reset_log()

    est = await nl.aestimate(df, prompt=PROMPT, strategy=strategy, store=store)
    assert emulator.count(endpoint="generateContent") == 0
    assert (est.rows, est.free_rows, est.rows_to_send, est.distinct, est.sampled) == (24, 8, 16, 16, False)
    system = emulator_client.models.count_tokens(model=MODEL, contents="Answer with one word.").total_tokens
    counted = sum(
        emulator_client.models.count_tokens(model=MODEL, contents=PROMPT.format(review=r)).total_tokens + system
        for r in df["review"].iloc[8:]
    )
    assert est.input_tokens == counted

    results = await nl.arun(df, prompt=PROMPT, strategy=strategy, store=store, progress=False)
    billed = results.summary()
    assert billed.from_cache == 8 and est.input_tokens == billed.input_tokens  # the run bills what was counted
    assert est.output_tokens == billed.output_tokens + billed.thoughts_tokens  # the sentiment word's length
    assert est.online_cost_usd == pytest.approx(billed.cost_usd, rel=1e-9)
    assert est.batch_cost_usd == pytest.approx(billed.cost_usd / 2, rel=1e-9)
    assert "exact: countTokens of all 16 distinct prompts" in str(est) and "16 to send" in est._repr_html_()


async def test_a_stratified_sample_above_the_limit_is_within_one_percent(emulator_client, emulator, store) -> None:
    reviews = [f"Review {i}: " + "a rather long sentence about the product " * (i % 23) for i in range(200)]
    frame = pd.DataFrame({"review": reviews + reviews[:20]})  # duplicates are billed once per row
    strategy = GeminiStrategy(emulator_client, MODEL, thinking=0)  # replies of one length (see above)
    await nl.arun(["I love it"], prompt=PROMPT.replace("{review}", "{text}"), strategy=strategy, store=store,
                  progress=False)  # fmt: skip  # a reply of the model, for the expected output length
    emulator.reset_log()
    est = await nl.aestimate(frame, prompt=PROMPT, strategy=strategy, store=store, exact_limit=40)
    assert est.sampled and est.distinct == 200 and 40 <= est.counted <= 50
    assert emulator.count(endpoint="countTokens") == est.counted
    exact = sum(count_text(PROMPT.format(review=r)) for r in frame["review"])  # the emulator's countTokens rule
    assert est.input_tokens == pytest.approx(exact, rel=0.01)
    assert "stratified sample of" in str(est)
    billed = (await nl.arun(frame, prompt=PROMPT, strategy=strategy, cache=False, progress=False)).summary()
    assert est.input_tokens == pytest.approx(billed.input_tokens, rel=0.01)
    assert est.online_cost_usd == pytest.approx(billed.cost_usd, rel=0.01)


async def test_output_from_max_output_tokens_and_wall_time_at_the_limits(emulator_client, store, df) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL, max_output_tokens=50)
    est = await nl.aestimate(df, prompt=PROMPT, strategy=strategy, store=store, rpm=60, max_workers=4)
    assert est.output_tokens == 50 * 24 and "upper bound" in est.output_source
    assert est.latency_s == DEFAULT_LATENCY_S
    assert est.wall_s == 24.0 and "paced by rpm=60" in str(est)  # 1 request/s beats 4 workers at 1 s each
    est = await nl.aestimate(df, prompt=PROMPT, strategy=strategy, store=store, max_workers=4)
    assert est.wall_s == 6.0 and "max_workers=4" in est.limit
    tokens_per_request = (est.input_tokens + est.output_tokens) / 24
    est = await nl.aestimate(df, prompt=PROMPT, strategy=strategy, store=store, tpm=600)
    assert est.wall_s == pytest.approx(24 / (600 / 60 / tokens_per_request)) and "tpm=600" in est.limit
    no_history = await nl.aestimate(df, prompt=PROMPT, strategy=GeminiStrategy(emulator_client, MODEL), store=store)
    assert no_history.output_tokens is None and "(input only)" in str(no_history)


async def test_a_cached_strategy_is_estimated_without_its_cache_and_says_so(emulator_client, store, df) -> None:
    from notebookllm.gemini import GeminiCachedStrategy

    cached = GeminiCachedStrategy(emulator_client, MODEL, cached_content="A long style guide. " * 400,
                                  system_instruction="Answer with one word.")  # fmt: skip
    est = await nl.aestimate(df, prompt=PROMPT, strategy=cached, store=store)
    plain = await nl.aestimate(df, prompt=PROMPT, strategy=GeminiStrategy(emulator_client, MODEL), store=store)
    assert est.input_tokens == plain.input_tokens and "not counted: the context cache" in str(est)


async def test_bad_input_fails_before_any_request(emulator_client, emulator, store) -> None:
    strategy = GeminiStrategy(emulator_client, MODEL)
    with pytest.raises(ConfigurationError, match="GeminiStrategy"):
        await nl.aestimate(["a"], prompt="{text}", strategy=Scripted(), store=store)
    with pytest.raises(ConfigurationError, match="review"):
        await nl.aestimate(pd.DataFrame({"text": ["a"]}), prompt=PROMPT, strategy=strategy, store=store)
    with pytest.raises(InvalidWorkItemError):
        await nl.aestimate(pd.DataFrame({"review": ["a", None]}), prompt=PROMPT, strategy=strategy, store=store)
    with pytest.raises(ConfigurationError, match="requests_per_minute"):
        await nl.aestimate(["a"], prompt="{text}", strategy=strategy, store=store, rpm=-1)
    assert emulator.count() == 0


def test_rows_a_batch_job_answered_do_not_set_the_request_latency() -> None:
    from notebookllm.notebook.estimate import DEFAULT_LATENCY_S, typical_latency

    # A batch reply is stored with latency 0: a wall-time estimate divided by it (mode="auto" after a batch run).
    assert typical_latency([(5, 0.0), (5, 0.0)])[0] == DEFAULT_LATENCY_S
    assert typical_latency([(5, 0.0), (5, 2.0), (5, float("nan"))]) == (2.0, "median of 1 stored replies")
